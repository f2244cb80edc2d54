"""Typed calls to Exact Online for one division. Callers never see OData.

Every URL carries the stored division (never ``CurrentDivision``), except ``me()``.
Every call sends an explicit ``$select``. Iterators follow ``__next`` and skip records
that cannot be used, handing each ``ExactRecordInvalid`` to ``on_invalid`` (default:
a log warning) so one bad record never ends a sync. Lookups use ``$filter`` and return
``None`` when nothing matches: a 404 would count against Exact's error budget.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Any, Protocol, TypeVar

from ledgerbridge.exact.errors import ExactError, ExactOutcomeUnknown, ExactRecordInvalid
from ledgerbridge.exact.http import ExactHttp
from ledgerbridge.exact.models import (
    Attachment,
    BankEntry,
    BankEntryDraft,
    BankEntryLine,
    CostCenter,
    CostUnit,
    Deleted,
    Division,
    Document,
    DocumentType,
    FinancialPeriod,
    GLAccount,
    Journal,
    Me,
    Payable,
    Payment,
    Project,
    PurchaseEntry,
    PurchaseEntryDraft,
    Supplier,
    VatCode,
)
from ledgerbridge.exact.odata import (
    datetime_literal,
    guid_literal,
    iterate,
    rows,
    string_literal,
)
from ledgerbridge.exact.webhooks import WebhookSubscription

log = logging.getLogger(__name__)
T_co = TypeVar("T_co", covariant=True)


class _Parser(Protocol[T_co]):
    def from_odata(self, row: dict[str, Any]) -> T_co: ...


class ExactApi:
    """Exact Online calls for ``division``. Raises the errors of ``ledgerbridge.exact.errors``."""

    def __init__(
        self,
        http: ExactHttp,
        division: int,
        on_invalid: Callable[[ExactRecordInvalid], None] | None = None,
    ) -> None:
        self.http, self.division = http, division
        self._on_invalid = on_invalid or _log_invalid

    # --- user and divisions -----------------------------------------------------------------

    def me(self) -> Me:
        """The user behind the token (``current/Me``, the only call without our division)."""
        found = rows(self.http.get("current/Me", {"$select": Me.SELECT}))
        if not found:
            raise ExactError("Exact returned no user for current/Me")
        return Me.from_odata(found[0])

    def divisions(self) -> list[Division]:
        """Divisions the user may access (accountants: across client licences)."""
        return list(self._all(Division, "system/Divisions", Division.SELECT))

    def all_divisions(self) -> list[Division]:
        """All divisions of the current licence, regardless of the user's rights."""
        return list(self._all(Division, "system/AllDivisions", Division.SELECT))

    # --- dimensions ------------------------------------------------------------------------

    def gl_accounts_bulk(self) -> Iterator[GLAccount]:
        """Every GL account via the bulk endpoint (1000 per page)."""
        return self._all(GLAccount, "bulk/Financial/GLAccounts", GLAccount.SELECT)

    def sync_gl_accounts(self, since: int) -> Iterator[GLAccount]:
        """GL accounts changed after row version ``since`` (store the highest ``timestamp``)."""
        return self._sync(GLAccount, "sync/Financial/GLAccounts", GLAccount.SYNC_SELECT, since)

    def sync_suppliers(self, since: int) -> Iterator[Supplier]:
        """Accounts changed after ``since`` that are suppliers.

        Non-supplier accounts are dropped, so the highest timestamp seen may trail Exact's
        by a few customers; the next sync then re-reads those, which is harmless.
        """
        accounts = self._sync(Supplier, "sync/CRM/Accounts", Supplier.SYNC_SELECT, since)
        return (account for account in accounts if account.is_supplier)

    def sync_accounts(self, since: int) -> Iterator[Supplier]:
        """Every account changed after ``since``, customers included (``is_supplier`` says).

        The dimension sync needs these to notice an account that stopped being a supplier.
        """
        return self._sync(Supplier, "sync/CRM/Accounts", Supplier.SYNC_SELECT, since)

    def sync_projects(self, since: int) -> Iterator[Project]:
        return self._sync(Project, "sync/Project/Projects", Project.SELECT, since)

    def sync_deleted(self, since: int) -> Iterator[Deleted]:
        """Deletions after ``since`` (``entity_type`` says which kind of record)."""
        return self._sync(Deleted, "sync/Deleted", Deleted.SELECT, since)

    def vat_codes(self, modified_since: datetime | None = None) -> Iterator[VatCode]:
        """VAT codes with their dated percentages (no sync endpoint: ``Modified`` polling)."""
        params = {"$expand": "VATPercentages", **_modified(modified_since)}
        return self._all(VatCode, "vat/VATCodes", VatCode.SELECT, params)

    def journals(self, modified_since: datetime | None = None) -> Iterator[Journal]:
        return self._all(Journal, "financial/Journals", Journal.SELECT, _modified(modified_since))

    def cost_centers(self, modified_since: datetime | None = None) -> Iterator[CostCenter]:
        params = _modified(modified_since)
        return self._all(CostCenter, "hrm/Costcenters", CostCenter.SELECT, params)

    def cost_units(self, modified_since: datetime | None = None) -> Iterator[CostUnit]:
        return self._all(CostUnit, "hrm/Costunits", CostUnit.SELECT, _modified(modified_since))

    def document_types(self) -> list[DocumentType]:
        return list(self._all(DocumentType, "documents/DocumentTypes", DocumentType.SELECT))

    def financial_periods(self) -> list[FinancialPeriod]:
        """Exact's period table, in date order; each period's ``last_day`` is its own.

        ``EndDate`` reads as the first day of the next period (as the sandbox has it;
        **UNCONFIRMED** for Exact), unless every period of the table ends the day before
        the next one starts: then the ends are inclusive. Either way no day is lost.
        """
        found = sorted(
            self._all(FinancialPeriod, "financial/FinancialPeriods", FinancialPeriod.SELECT),
            key=lambda p: (p.start, p.year, p.period),
        )
        if _inclusive_ends(found):
            return [replace(p, ends_exclusive=False) for p in found]
        return found

    # --- suppliers -------------------------------------------------------------------------

    def find_supplier(
        self, vat_number: str | None = None, name: str | None = None, code: str | None = None
    ) -> Supplier | None:
        """The first supplier with this code, else this VAT number, else exactly this name.

        The code is compared trimmed (Exact right-aligns it in 18 characters, §2.4).
        """
        for field, value in (("trim(Code)", code), ("VATNumber", vat_number), ("Name", name)):
            if value and value.strip():
                query = f"IsSupplier eq true and {field} eq {string_literal(value.strip())}"
                found = self._first(Supplier, "crm/Accounts", Supplier.SELECT, query)
                if found is not None:
                    return found
        return None

    def create_supplier(
        self, name: str, country: str, vat_number: str | None = None, *, code: str | None = None
    ) -> Supplier:
        """Create a supplier account; Exact assigns the code unless ``code`` is given.

        Our reference for a supplier is what ``find_supplier`` looks up (code, VAT number,
        name). Not idempotent: use ``ExactWriter.create_or_adopt_supplier``.
        """
        body: dict[str, Any] = {"Name": name, "IsSupplier": True, "Country": country}
        if vat_number:
            body["VATNumber"] = vat_number
        if code:
            body["Code"] = code
        return self._created(Supplier, self.http.post(self._path("crm/Accounts"), body))

    def delete_supplier(self, supplier_id: str) -> None:
        self.http.delete(self._path(f"crm/Accounts({guid_literal(supplier_id)})"))

    # --- documents -------------------------------------------------------------------------

    def create_document(
        self,
        reference: str,
        document_type: int,
        *,
        subject: str | None = None,
        account_id: str | None = None,
        document_date: date | None = None,
        document_id: str | None = None,
    ) -> Document:
        """Create a document (the receipt's container); its ``Subject`` carries ``reference``
        (``document_subject``), so ``find_document`` finds it again. ``document_id`` is a
        client GUID. Not idempotent: use ``ExactWriter.create_or_adopt_document``."""
        subject_text = document_subject(reference, subject)
        body: dict[str, Any] = {"Subject": subject_text, "Type": document_type}
        for key, value in (
            ("Account", account_id),
            ("DocumentDate", document_date),
            ("ID", document_id),
        ):
            if value is not None:
                body[key] = value
        created = self.http.post(self._path("documents/Documents"), body)
        return self._created(Document, created)

    def find_document(self, subject: str) -> Document | None:
        """The document with exactly this subject (existence check after a lost answer)."""
        query = f"Subject eq {string_literal(subject)}"
        return self._first(Document, "documents/Documents", Document.SELECT, query)

    def attach(self, document_id: str, filename: str, content: bytes) -> str | None:
        """Upload a file to a document; the attachment's ID when Exact returned one.

        Our reference for an attachment is (document, file name): ``find_attachment``.
        """
        body = {
            "Document": document_id,
            "FileName": filename,
            "Attachment": base64.b64encode(content).decode("ascii"),
        }
        found = rows(self.http.post(self._path("documents/DocumentAttachments"), body))
        value = found[0].get("ID") if found else None
        return str(value) if value else None

    def find_attachment(self, document_id: str, filename: str) -> Attachment | None:
        """The attachment of this document with exactly this file name, or ``None``."""
        query = (
            f"Document eq {guid_literal(document_id)} and FileName eq {string_literal(filename)}"
        )
        return self._first(Attachment, "documents/DocumentAttachments", Attachment.SELECT, query)

    def delete_document(self, document_id: str) -> None:
        self.http.delete(self._path(f"documents/Documents({guid_literal(document_id)})"))

    # --- purchase entries ------------------------------------------------------------------

    def create_purchase_entry(
        self, draft: PurchaseEntryDraft, reference: str, *, entry_id: str | None = None
    ) -> PurchaseEntry:
        """Post a purchase entry with its lines; what Exact stored (totals, entry number).

        ``reference`` (ours, e.g. the card transaction's ID; fixed before the first attempt) is
        sent as ``ExternalLinkReference``; ``entry_id`` is a client ``EntryID``, only for a
        division whose probe showed it honoured. Not idempotent: on ``ExactOutcomeUnknown``
        look up by the reference before posting again — ``ExactWriter`` does.
        """
        body = {**draft.to_odata(), "ExternalLinkReference": reference}
        if entry_id is not None:
            body["EntryID"] = entry_id
        created = self.http.post(self._path("purchaseentry/PurchaseEntries"), body)
        return self._created(PurchaseEntry, created)

    def get_purchase_entry(self, entry_id: str) -> PurchaseEntry | None:
        """The entry with its lines, or ``None`` if Exact has no such entry."""
        return self._first(
            PurchaseEntry,
            "purchaseentry/PurchaseEntries",
            PurchaseEntry.SELECT + ",PurchaseEntryLines",
            f"EntryID eq {guid_literal(entry_id)}",
            {"$expand": "PurchaseEntryLines"},
        )

    def find_purchase_entry(
        self, supplier_id: str, your_ref: str, entry_date: date
    ) -> PurchaseEntry | None:
        """The entry of this supplier with our reference on this date, or ``None``."""
        query = (
            f"Supplier eq {guid_literal(supplier_id)} and YourRef eq {string_literal(your_ref)}"
            f" and EntryDate eq {datetime_literal(entry_date)}"
        )
        return self._first(
            PurchaseEntry, "purchaseentry/PurchaseEntries", PurchaseEntry.SELECT, query
        )

    def find_purchase_entry_by_reference(
        self, supplier_id: str, entry_date: date, reference: str
    ) -> PurchaseEntry | None:
        """The entry ``create_purchase_entry`` booked with ``reference``, or ``None``.

        Filters on ``Supplier`` and ``EntryDate`` (documented filterable, §5) and compares
        ``ExternalLinkReference`` here, since whether Exact can filter on that field is
        UNCONFIRMED (the probe checks it). Assumes Exact stores and returns it as sent.
        """
        query = (
            f"Supplier eq {guid_literal(supplier_id)}"
            f" and EntryDate eq {datetime_literal(entry_date)}"
        )
        resource = "purchaseentry/PurchaseEntries"
        entries = self._all(PurchaseEntry, resource, PurchaseEntry.SELECT, {"$filter": query})
        return next((e for e in entries if e.external_link_reference == reference), None)

    def find_purchase_entry_by_link(self, reference: str) -> PurchaseEntry | None:
        """The entry whose ``ExternalLinkReference`` is ``reference`` (see the probe first)."""
        query = f"ExternalLinkReference eq {string_literal(reference)}"
        return self._first(
            PurchaseEntry, "purchaseentry/PurchaseEntries", PurchaseEntry.SELECT, query
        )

    def attach_document_to_entry(self, entry_id: str, document_id: str) -> None:
        """Link a document to an existing entry (PUT; idempotent)."""
        path = self._path(f"purchaseentry/PurchaseEntries({guid_literal(entry_id)})")
        self.http.put(path, {"Document": document_id})

    def delete_purchase_entry(self, entry_id: str) -> None:
        path = f"purchaseentry/PurchaseEntries({guid_literal(entry_id)})"
        self.http.delete(self._path(path))

    # --- bank entries and matching ---------------------------------------------------------

    def create_bank_entry(self, draft: BankEntryDraft, reference: str) -> BankEntry:
        """Post a bank entry with its lines (Exact has no PUT for bank entries).

        Line n (1-based) carries ``bank_line_reference(reference, n)`` in ``Notes``: the
        header has no free reference field, and ``OurRef`` is the paid invoice's entry
        number. Not idempotent: use ``ExactWriter.create_or_adopt_bank_entry``.
        """
        body = draft.to_odata()
        body["BankEntryLines"] = [
            {**line, "Notes": bank_line_reference(reference, n)}
            for n, line in enumerate(body["BankEntryLines"], start=1)
        ]
        created = self.http.post(self._path("financialtransaction/BankEntries"), body)
        return self._created(BankEntry, created)

    def find_bank_entry_line(self, reference: str, line_number: int) -> BankEntryLine | None:
        """Line ``line_number`` of the bank entry posted with ``reference``, or ``None``.

        Assumes ``Notes`` on BankEntryLines is filterable (UNCONFIRMED; the probe checks).
        """
        query = f"Notes eq {string_literal(bank_line_reference(reference, line_number))}"
        resource = "financialtransaction/BankEntryLines"
        return self._first(BankEntryLine, resource, BankEntryLine.SELECT, query)

    def find_bank_entry(self, reference: str) -> BankEntry | None:
        """The bank entry posted with ``reference`` (found through its first line), or ``None``."""
        line = self.find_bank_entry_line(reference, 1)
        if line is None or line.entry_id is None:
            return None
        query = f"EntryID eq {guid_literal(line.entry_id)}"
        return self._first(BankEntry, "financialtransaction/BankEntries", BankEntry.SELECT, query)

    def delete_bank_entry(self, entry_id: str) -> None:
        path = f"financialtransaction/BankEntries({guid_literal(entry_id)})"
        self.http.delete(self._path(path))

    def payments_for_entry(self, entry_id: str) -> list[Payment]:
        """The payment terms of a purchase entry; ``Payment.is_matched`` once reconciled."""
        query = f"TransactionEntryID eq {guid_literal(entry_id)}"
        params = {"$filter": query}
        return list(self._all(Payment, "cashflow/Payments", Payment.SELECT, params))

    def payables(self) -> Iterator[Payable]:
        """Open purchase items; an entry disappears from here once fully matched."""
        return self._all(Payable, "read/financial/PayablesList", Payable.SELECT)

    # --- plumbing --------------------------------------------------------------------------

    def _path(self, resource: str) -> str:
        return f"{self.division}/{resource}"

    def _all(
        self,
        parser: _Parser[T_co],
        resource: str,
        select: str,
        params: Mapping[str, object] | None = None,
    ) -> Iterator[T_co]:
        query = {"$select": select, **(params or {})}
        for row in iterate(self.http, self._path(resource), query):
            try:
                yield parser.from_odata(row)
            except ExactRecordInvalid as invalid:
                self._on_invalid(invalid)

    def _sync(
        self, parser: _Parser[T_co], resource: str, select: str, since: int
    ) -> Iterator[T_co]:
        return self._all(parser, resource, select, {"$filter": f"Timestamp gt {int(since)}"})

    def _first(
        self,
        parser: _Parser[T_co],
        resource: str,
        select: str,
        query: str,
        params: Mapping[str, object] | None = None,
    ) -> T_co | None:
        options = {"$filter": query, "$top": 1, **(params or {})}
        return next(iter(self._all(parser, resource, select, options)), None)

    @staticmethod
    def _created(parser: _Parser[T_co], body: Mapping[str, Any]) -> T_co:
        """The record a successful POST returned; ``ExactOutcomeUnknown`` if it is unusable,
        since the write happened and a blind retry would duplicate it."""
        found = rows(body)
        try:
            if not found:
                raise ExactRecordInvalid("created record", "", "Exact returned no record")
            return parser.from_odata(found[0])
        except ExactRecordInvalid as exc:
            raise ExactOutcomeUnknown(f"Exact accepted a write but: {exc}") from exc

    # --- webhooks and single records (EXACT_API.md §6) --------------------------------------

    def subscribe_webhook(self, topic: str, callback_url: str) -> WebhookSubscription:
        """Subscribe this app to ``topic`` changes of the division, delivered to
        ``callback_url`` (HTTPS). ``ExactRejected`` for a topic Exact does not know.
        Not idempotent: list the subscriptions first to adopt one that exists."""
        body = {"CallbackURL": callback_url, "Topic": topic}
        created = self.http.post(self._path("webhooks/WebhookSubscriptions"), body)
        return self._created(WebhookSubscription, created)

    def webhook_subscriptions(self) -> list[WebhookSubscription]:
        """This app's subscriptions in the division (another app's are never shown)."""
        resource, select = "webhooks/WebhookSubscriptions", WebhookSubscription.SELECT
        return list(self._all(WebhookSubscription, resource, select))

    def delete_webhook_subscription(self, subscription_id: str) -> None:
        path = f"webhooks/WebhookSubscriptions({guid_literal(subscription_id)})"
        self.http.delete(self._path(path))

    def account(self, account_id: str) -> Supplier | None:
        """One Exact account by ID (customers too: ``is_supplier`` says), or ``None``."""
        query = f"ID eq {guid_literal(account_id)}"
        return self._first(Supplier, "crm/Accounts", Supplier.SELECT, query)

    def gl_account(self, gl_account_id: str) -> GLAccount | None:
        """One GL account by ID, or ``None`` when Exact has none (one call, no 404)."""
        query = f"ID eq {guid_literal(gl_account_id)}"
        return self._first(GLAccount, "financial/GLAccounts", GLAccount.SELECT, query)


def document_subject(reference: str, subject: str | None = None) -> str:
    """The ``Subject`` a document is created with: it carries our reference, so it is unique."""
    return f"{subject} [{reference}]" if subject else reference


def bank_line_reference(reference: str, line_number: int) -> str:
    """What line ``line_number`` (1-based) of the bank entry ``reference`` carries in Notes."""
    return f"{reference}/{line_number}"


def _inclusive_ends(periods: list[FinancialPeriod]) -> bool:
    """Whether the table's ``EndDate``s are the periods' last days (see ``financial_periods``):
    each ends the day before the next starts, or (a table of one) on a month's last day."""
    day = timedelta(days=1)
    gaps = [b.start - a.end for a, b in pairwise(periods)]
    if gaps:
        return all(gap == day for gap in gaps)
    return len(periods) == 1 and (periods[0].end + day).day == 1


def _modified(since: datetime | None) -> dict[str, object]:
    return {} if since is None else {"$filter": f"Modified ge {datetime_literal(since)}"}


def _log_invalid(invalid: ExactRecordInvalid) -> None:
    log.warning("skipped an unusable Exact record: %s", invalid)
