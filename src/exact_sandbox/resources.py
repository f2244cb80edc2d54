"""The REST resources the sandbox serves, as EXACT_API.md §4 describes them.

Each ``Resource`` names its URL path (below ``/api/v1/{division}/``), the OData
entity type, its key field, typed fields, the fields Exact requires on POST,
the allowed methods, and how it is stored. Field types are one-letter codes:

    G Edm.Guid (lower-case string)   S Edm.String    I Edm.Int32     L Edm.Int64
    B Edm.Boolean                    D Edm.DateTime (aware UTC)      F Edm.Double (Decimal inside)
    X Edm.Binary (bytes; read back as a download link)               C child collection

``bulk/…`` and ``sync/…`` resources are views on a regular resource's table
(``storage``): 1000 rows a page, ``$select`` always required; sync resources
expose ``Timestamp`` (the division's Int64 row version) and only accept a
Timestamp filter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STAMPS = "Created:D Modified:D Division:I"

#: sync/Deleted EntityType per stored resource. The numbering is UNCONFIRMED at
#: Exact (no public list found); keep it in this one constant so it can change.
#: A deleted purchase or bank entry is recorded as its financial transaction
#: (EntityType 1, keyed by the EntryID; UNCONFIRMED, EXACT_API.md §5 only says that
#: deleted records appear in sync/Deleted).
DELETED_ENTITY_TYPES: dict[str, int] = {
    "purchaseentry/PurchaseEntries": 1,
    "financialtransaction/BankEntries": 1,
    "crm/Accounts": 2,
    "documents/Documents": 6,
    "financial/GLAccounts": 7,
    "project/Projects": 17,
}

ALL_METHODS = frozenset({"GET", "POST", "PUT", "DELETE"})


@dataclass(frozen=True)
class Resource:
    """One endpoint's definition; ``kind`` is regular, bulk, sync, read, virtual or me."""

    path: str
    entity: str
    key: str
    fields: dict[str, str]
    required: frozenset[str] = frozenset()
    methods: frozenset[str] = frozenset({"GET"})
    storage: str = ""
    kind: str = "regular"
    children: dict[str, str] = field(default_factory=dict)
    parent_ref: str | None = None
    indexes: tuple[str, ...] = ()
    readonly: frozenset[str] = frozenset()

    @property
    def table(self) -> str:
        """The store table holding this resource's rows."""
        return self.storage or self.path

    @property
    def key_type(self) -> str:
        return self.fields[self.key]

    @property
    def name(self) -> str:
        """The entity set name, e.g. ``GLAccounts``."""
        return self.path.rsplit("/", 1)[-1]

    @property
    def paged_in_bulk(self) -> bool:
        return self.kind in ("bulk", "sync")


def _fields(spec: str) -> dict[str, str]:
    return dict(item.split(":") for item in spec.split())


def _res(
    path: str,
    entity: str,
    key: str,
    spec: str,
    *,
    required: str = "",
    methods: str = "GET",
    **kw: Any,
) -> Resource:
    return Resource(
        path=path,
        entity=f"Exact.Web.Api.Models.{entity}",
        key=key,
        fields=_fields(spec),
        required=frozenset(required.split()),
        methods=frozenset(methods.split()),
        **kw,
    )


CRUD = "GET POST PUT DELETE"

_REGULAR = [
    _res(
        "financial/GLAccounts",
        "Financial.GLAccount",
        "ID",
        "ID:G Code:S Description:S Type:I TypeDescription:S BalanceType:S BalanceSide:S "
        "IsBlocked:B VATCode:S VATDescription:S Costcenter:S Costunit:S UseCostcenter:I "
        "UseCostunit:I Matching:B SearchCode:S " + STAMPS,
        required="Code Description",
        methods=CRUD,
        indexes=("Code",),
    ),
    _res(
        "vat/VATCodes",
        "VAT.VATCode",
        "ID",
        "ID:G Code:S Description:S Type:S VATTransactionType:S IsBlocked:B Percentage:F "
        "Charged:B GLToClaim:G GLToPay:G Account:G EUSalesListing:S IntraStat:B "
        "CalculationBasis:I VATMargin:I VATPartialRatio:I VATPercentages:C " + STAMPS,
        required="Code Description",
        methods=CRUD,
        children={"VATPercentages": "vat/VATPercentages"},
        indexes=("Code",),
    ),
    _res(
        "vat/VATPercentages",
        "VAT.VATPercentage",
        "ID",
        "ID:G VATCodeID:G LineNumber:I Percentage:F StartDate:D EndDate:D Type:I " + STAMPS,
        parent_ref="VATCodeID",
        indexes=("VATCodeID",),
    ),
    _res(
        "hrm/Costcenters",
        "HRM.Costcenter",
        "ID",
        "ID:G Code:S Description:S Active:B EndDate:D " + STAMPS,
        required="Code Description",
        methods=CRUD,
        indexes=("Code",),
    ),
    _res(
        "hrm/Costunits",
        "HRM.Costunit",
        "ID",
        "ID:G Code:S Description:S EndDate:D " + STAMPS,
        required="Code Description",
        methods=CRUD,
        indexes=("Code",),
    ),
    _res(
        "project/Projects",
        "Project.Project",
        "ID",
        "ID:G Code:S Description:S Type:I TypeDescription:S Account:G StartDate:D EndDate:D "
        "Manager:G Classification:G " + STAMPS,
        required="Code Description Type",
        methods=CRUD,
        indexes=("Code",),
    ),
    _res(
        "financial/Journals",
        "Financial.Journal",
        "ID",
        "ID:G Code:S Description:S Type:I IsBlocked:B Currency:S AllowVariableCurrency:B "
        "AllowVariableExchangeRate:B AllowVAT:B GLAccount:G GLAccountCode:S BankAccountIBAN:S "
        "BankAccountID:G PaymentServiceProvider:I " + STAMPS,
        required="Code Description Type",
        methods=CRUD,
        indexes=("Code",),
    ),
    _res(
        "financial/FinancialPeriods",
        "Financial.FinancialPeriod",
        "ID",
        "ID:G FinYear:I FinPeriod:I StartDate:D EndDate:D " + STAMPS,
        indexes=("FinYear",),
    ),
    _res(
        "crm/Accounts",
        "CRM.Account",
        "ID",
        "ID:G Code:S Name:S IsSupplier:B Blocked:B Status:S VATNumber:S ChamberOfCommerce:S "
        "Country:S City:S Email:S SearchCode:S PurchaseVATCode:S PurchaseCurrency:S "
        "PaymentConditionPurchase:S GLAP:G CodeAtSupplier:S " + STAMPS,
        required="Name",
        methods=CRUD,
        indexes=("Code",),
    ),
    _res(
        "purchaseentry/PurchaseEntries",
        "PurchaseEntry.PurchaseEntry",
        "EntryID",
        "EntryID:G Journal:S JournalDescription:S Supplier:G SupplierName:S EntryDate:D "
        "DueDate:D Currency:S Rate:F Description:S YourRef:S PaymentCondition:S "
        "PaymentReference:S ReportingPeriod:I ReportingYear:I Document:G DocumentNumber:I "
        "DocumentSubject:S EntryNumber:I InvoiceNumber:I VATAmountFC:F VATAmountDC:F "
        "AmountFC:F AmountDC:F GAccountAmountFC:F BatchNumber:I OrderNumber:I "
        "ExternalLinkReference:S ProcessNumber:I Status:I Type:I Creator:G "
        "PurchaseEntryLines:C " + STAMPS,
        required="Journal Supplier PurchaseEntryLines",
        methods=CRUD,
        children={"PurchaseEntryLines": "purchaseentry/PurchaseEntryLines"},
        indexes=("Journal", "Supplier"),
        readonly=frozenset(
            "AmountDC AmountFC VATAmountDC Status Type DocumentNumber DocumentSubject "
            "SupplierName JournalDescription Creator".split()
        ),
    ),
    _res(
        "purchaseentry/PurchaseEntryLines",
        "PurchaseEntry.PurchaseEntryLine",
        "ID",
        "ID:G EntryID:G LineNumber:I GLAccount:G GLAccountCode:S GLAccountDescription:S "
        "Description:S AmountFC:F AmountDC:F VATCode:S VATCodeDescription:S VATAmountFC:F "
        "VATAmountDC:F VATBaseAmountFC:F VATBaseAmountDC:F VATPercentage:F CostCenter:S "
        "CostUnit:S Project:G Notes:S Quantity:F From:D To:D Type:I " + STAMPS,
        required="GLAccount AmountFC",
        methods="GET POST",
        parent_ref="EntryID",
        indexes=("EntryID",),
    ),
    _res(
        "financialtransaction/BankEntries",
        "FinancialTransaction.BankEntry",
        "EntryID",
        "EntryID:G JournalCode:S JournalDescription:S Currency:S FinancialPeriod:I "
        "FinancialYear:I OpeningBalanceFC:F ClosingBalanceFC:F BankStatementDocument:G "
        "EntryNumber:I Status:I BankEntryLines:C " + STAMPS,
        required="JournalCode BankEntryLines",
        methods="GET POST DELETE",
        children={"BankEntryLines": "financialtransaction/BankEntryLines"},
        indexes=("JournalCode",),
    ),
    _res(
        "financialtransaction/BankEntryLines",
        "FinancialTransaction.BankEntryLine",
        "ID",
        "ID:G EntryID:G LineNumber:I Date:D Description:S Account:G AccountCode:S "
        "AccountName:S AmountFC:F AmountDC:F OurRef:I GLAccount:G GLAccountCode:S Notes:S "
        "Document:G VATCode:S AmountVATFC:F VATPercentage:F CostCenter:S CostUnit:S "
        "Project:G EntryNumber:I " + STAMPS,
        required="GLAccount AmountFC",
        methods="GET POST",
        parent_ref="EntryID",
        indexes=("EntryID",),
    ),
    _res(
        "documents/Documents",
        "Documents.Document",
        "ID",
        "ID:G Subject:S Type:I TypeDescription:S Account:G DocumentDate:D AmountFC:F "
        "Currency:S Category:G DocumentFolder:G FinancialTransactionEntryID:G Body:S "
        "Project:G HID:I DocumentViewUrl:S ProposedEntryStatus:I " + STAMPS,
        required="Subject Type",
        methods=CRUD,
        readonly=frozenset({"HID", "DocumentViewUrl", "TypeDescription"}),
    ),
    _res(
        "documents/DocumentAttachments",
        "Documents.DocumentAttachment",
        "ID",
        "ID:G Document:G FileName:S Attachment:X FileSize:F Url:S Division:I",
        required="Document FileName Attachment",
        methods="GET POST DELETE",
        indexes=("Document",),
        readonly=frozenset({"FileSize", "Url"}),
    ),
    _res(
        "documents/DocumentTypes",
        "Documents.DocumentType",
        "ID",
        "ID:I Description:S TypeCategory:I DocumentIsCreatable:B DocumentIsUpdatable:B "
        "DocumentIsDeletable:B DocumentIsViewable:B Created:D Modified:D",
    ),
    _res(
        "cashflow/Payments",
        "Cashflow.Payment",
        "ID",
        "ID:G TransactionEntryID:G Account:G AccountCode:S AccountName:S AmountDC:F AmountFC:F "
        "Currency:S Description:S DueDate:D EntryNumber:I InvoiceDate:D InvoiceNumber:I "
        "Journal:S JournalDescription:S PaymentMethod:S PaymentReference:S Status:I YourRef:S "
        + STAMPS,
        methods="GET PUT",
        indexes=("TransactionEntryID", "EntryNumber"),
    ),
    _res(
        "read/financial/PayablesList",
        "Financial.PayablesList",
        "HID",
        "HID:L AccountId:G AccountCode:S AccountName:S Amount:F AmountInTransit:F "
        "ApprovalStatus:I CurrencyCode:S Description:S DueDate:D EntryNumber:I Id:G "
        "InvoiceDate:D InvoiceNumber:I JournalCode:S JournalDescription:S YourRef:S",
        kind="read",
        indexes=("Id",),
    ),
    _res(
        "webhooks/WebhookSubscriptions",
        "Webhooks.WebhookSubscription",
        "ID",
        "ID:G CallbackURL:S Topic:S UserID:G ClientID:G Description:S Created:D Creator:G "
        "Division:I",
        required="CallbackURL Topic",
        methods="GET POST DELETE",
    ),
    _res(
        "sync/Deleted",
        "Sync.Deleted",
        "ID",
        "ID:G Timestamp:L EntityType:I EntityKey:G DeletedBy:G DeletedDate:D Division:I",
        kind="sync",
    ),
]

_DIVISION_FIELDS = (
    "Code:I Description:S Hid:L Current:B IsMainDivision:B Customer:G CustomerCode:S "
    "CustomerName:S Country:S Currency:S Legislation:S VATNumber:S Status:I BlockingStatus:I "
    "DivisionMoveDate:D Created:D Modified:D"
)

_VIRTUAL = [
    _res("system/Divisions", "System.SystemDivision", "Code", _DIVISION_FIELDS, kind="virtual"),
    _res("system/AllDivisions", "System.AllDivision", "Code", _DIVISION_FIELDS, kind="virtual"),
    # The older, limited variant (§1.7) some clients still call: HID and Main.
    _res(
        "hrm/Divisions",
        "HRM.Division",
        "Code",
        _DIVISION_FIELDS.replace("Hid:L", "HID:L").replace("IsMainDivision:B", "Main:B"),
        kind="virtual",
    ),
    _res(
        "current/Me",
        "Current.Me",
        "UserID",
        "UserID:G CurrentDivision:I AccountingDivision:I DivisionCustomer:G "
        "DivisionCustomerCode:S DivisionCustomerName:S DivisionCustomerVatNumber:S UserName:S "
        "FullName:S Email:S Language:S LanguageCode:S Legislation:S PackageCode:S ServerTime:S "
        "ServerUtcOffset:F",
        kind="me",
    ),
]


def _variant(base: Resource, path: str, kind: str) -> Resource:
    fields = dict(base.fields)
    fields = {name: kind_ for name, kind_ in fields.items() if kind_ != "C"}
    if kind == "sync":
        fields["Timestamp"] = "L"
    return Resource(
        path=path, entity=base.entity, key=base.key, fields=fields, storage=base.table, kind=kind
    )


_BY_PATH = {r.path: r for r in _REGULAR + _VIRTUAL}
_VARIANTS = [
    _variant(_BY_PATH["financial/GLAccounts"], "bulk/Financial/GLAccounts", "bulk"),
    _variant(_BY_PATH["crm/Accounts"], "bulk/CRM/Accounts", "bulk"),
    _variant(_BY_PATH["documents/Documents"], "bulk/Documents/Documents", "bulk"),
    _variant(_BY_PATH["financial/GLAccounts"], "sync/Financial/GLAccounts", "sync"),
    _variant(_BY_PATH["crm/Accounts"], "sync/CRM/Accounts", "sync"),
    _variant(_BY_PATH["project/Projects"], "sync/Project/Projects", "sync"),
    _variant(_BY_PATH["documents/Documents"], "sync/Documents/Documents", "sync"),
]

RESOURCES: dict[str, Resource] = {**_BY_PATH, **{r.path: r for r in _VARIANTS}}
#: Store tables with a sync endpoint: their regular and bulk endpoints are the ones
#: Exact's "mandatory filtering" (§2.3) may close to unfiltered full reads.
SYNCED_TABLES = frozenset(r.table for r in _VARIANTS if r.kind == "sync")
_LOWER = {path.lower(): r for path, r in RESOURCES.items()}


def lookup(path: str) -> Resource | None:
    """The resource for a URL path (Exact matches paths case-insensitively)."""
    return _LOWER.get(path.lower())


def table_definition(table: str) -> Resource:
    """The regular resource that owns a store table."""
    return RESOURCES[table]
