"""Typed financial records of Exact: documents, purchase and bank entries, payments and
payables. Re-exported by ``models``; same parsing rules as there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from ledgerbridge.exact.errors import ExactRecordInvalid
from ledgerbridge.exact.odata import (
    deferred_rows,
    parse_date,
    parse_decimal,
    parse_guid,
    parse_int,
    parse_text,
)

Row = dict[str, Any]
ZERO = Decimal("0.00")


def _key(row: Row, resource: str, field: str) -> str:
    value = parse_guid(row.get(field))
    if value is None:
        raise ExactRecordInvalid(resource, "", f"{field} is missing or unreadable")
    return value


def _amount(value: object) -> Decimal:
    return parse_decimal(value) or ZERO


@dataclass(frozen=True, slots=True)
class Document:
    SELECT: ClassVar[str] = (
        "ID,Subject,Type,Account,DocumentDate,DocumentViewUrl,HID,FinancialTransactionEntryID"
    )
    id: str
    subject: str
    type: int
    account_id: str | None
    document_date: date | None
    view_url: str | None
    hid: int | None
    entry_id: str | None

    @classmethod
    def from_odata(cls, row: Row) -> Document:
        return cls(
            id=_key(row, "Document", "ID"),
            subject=parse_text(row.get("Subject")) or "",
            type=parse_int(row.get("Type"), 0) or 0,
            account_id=parse_guid(row.get("Account")),
            document_date=parse_date(row.get("DocumentDate")),
            view_url=parse_text(row.get("DocumentViewUrl")),
            hid=parse_int(row.get("HID")),
            entry_id=parse_guid(row.get("FinancialTransactionEntryID")),
        )


@dataclass(frozen=True, slots=True)
class PurchaseEntryLine:
    id: str | None
    gl_account_id: str | None
    amount: Decimal
    vat_code: str | None
    vat_amount: Decimal
    description: str | None
    cost_center: str | None
    cost_unit: str | None
    project_id: str | None

    @classmethod
    def from_odata(cls, row: Row) -> PurchaseEntryLine:
        return cls(
            id=parse_guid(row.get("ID")),
            gl_account_id=parse_guid(row.get("GLAccount")),
            amount=_amount(row.get("AmountFC")),
            vat_code=parse_text(row.get("VATCode")),
            vat_amount=_amount(row.get("VATAmountFC")),
            description=parse_text(row.get("Description")),
            cost_center=parse_text(row.get("CostCenter")),
            cost_unit=parse_text(row.get("CostUnit")),
            project_id=parse_guid(row.get("Project")),
        )


@dataclass(frozen=True, slots=True)
class PurchaseEntry:
    """A purchase entry as Exact stored it; ``amount`` is the gross total in ``currency``."""

    SELECT: ClassVar[str] = (
        "EntryID,EntryNumber,Journal,Supplier,EntryDate,YourRef,Description,AmountFC,"
        "VATAmountFC,Currency,Status,Document,ExternalLinkReference"
    )
    entry_id: str
    entry_number: int | None
    journal: str | None
    supplier_id: str | None
    entry_date: date | None
    your_ref: str | None
    description: str | None
    amount: Decimal
    vat_amount: Decimal
    currency: str | None
    status: int | None
    document_id: str | None
    external_link_reference: str | None
    lines: tuple[PurchaseEntryLine, ...] = ()

    @classmethod
    def from_odata(cls, row: Row) -> PurchaseEntry:
        lines = deferred_rows(row.get("PurchaseEntryLines"))
        return cls(
            entry_id=_key(row, "PurchaseEntry", "EntryID"),
            entry_number=parse_int(row.get("EntryNumber")),
            journal=parse_text(row.get("Journal")),
            supplier_id=parse_guid(row.get("Supplier")),
            entry_date=parse_date(row.get("EntryDate")),
            your_ref=parse_text(row.get("YourRef")),
            description=parse_text(row.get("Description")),
            amount=_amount(row.get("AmountFC")),
            vat_amount=_amount(row.get("VATAmountFC")),
            currency=parse_text(row.get("Currency")),
            status=parse_int(row.get("Status")),
            document_id=parse_guid(row.get("Document")),
            external_link_reference=parse_text(row.get("ExternalLinkReference")),
            lines=tuple(PurchaseEntryLine.from_odata(line) for line in lines),
        )


@dataclass(frozen=True, slots=True)
class BankEntryLine:
    id: str | None
    date: date | None
    amount: Decimal
    gl_account_id: str | None
    account_id: str | None
    our_ref: int | None
    description: str | None
    notes: str | None = None
    entry_id: str | None = None

    SELECT: ClassVar[str] = "ID,EntryID,Date,AmountFC,GLAccount,Account,OurRef,Description,Notes"

    @classmethod
    def from_odata(cls, row: Row) -> BankEntryLine:
        return cls(
            id=parse_guid(row.get("ID")),
            date=parse_date(row.get("Date")),
            amount=_amount(row.get("AmountFC")),
            gl_account_id=parse_guid(row.get("GLAccount")),
            account_id=parse_guid(row.get("Account")),
            our_ref=parse_int(row.get("OurRef")),
            description=parse_text(row.get("Description")),
            notes=parse_text(row.get("Notes")),
            entry_id=parse_guid(row.get("EntryID")),
        )


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file on a document; ``id`` is None when Exact's answer to the upload named none."""

    SELECT: ClassVar[str] = "ID,Document,FileName"
    id: str | None
    document_id: str | None
    file_name: str

    @classmethod
    def from_odata(cls, row: Row) -> Attachment:
        return cls(
            id=parse_guid(row.get("ID")),
            document_id=parse_guid(row.get("Document")),
            file_name=parse_text(row.get("FileName")) or "",
        )


@dataclass(frozen=True, slots=True)
class BankEntry:
    SELECT: ClassVar[str] = "EntryID,EntryNumber,JournalCode,Currency,Status"
    entry_id: str
    entry_number: int | None
    journal_code: str | None
    currency: str | None
    status: int | None
    lines: tuple[BankEntryLine, ...] = ()

    @classmethod
    def from_odata(cls, row: Row) -> BankEntry:
        return cls(
            entry_id=_key(row, "BankEntry", "EntryID"),
            entry_number=parse_int(row.get("EntryNumber")),
            journal_code=parse_text(row.get("JournalCode")),
            currency=parse_text(row.get("Currency")),
            status=parse_int(row.get("Status")),
            lines=tuple(
                BankEntryLine.from_odata(r) for r in deferred_rows(row.get("BankEntryLines"))
            ),
        )


@dataclass(frozen=True, slots=True)
class Payment:
    """A payment term of an entry (``cashflow/Payments``); status 50 means matched."""

    SELECT: ClassVar[str] = (
        "ID,TransactionEntryID,Status,AmountFC,Currency,YourRef,PaymentMethod,Account,"
        "EntryNumber,DueDate"
    )
    MATCHED: ClassVar[int] = 50
    id: str
    entry_id: str | None
    status: int
    amount: Decimal
    currency: str | None
    your_ref: str | None
    payment_method: str | None
    account_id: str | None
    entry_number: int | None
    due_date: date | None

    @property
    def is_matched(self) -> bool:
        return self.status == self.MATCHED

    @classmethod
    def from_odata(cls, row: Row) -> Payment:
        return cls(
            id=_key(row, "Payment", "ID"),
            entry_id=parse_guid(row.get("TransactionEntryID")),
            status=parse_int(row.get("Status"), 0) or 0,
            amount=_amount(row.get("AmountFC")),
            currency=parse_text(row.get("Currency")),
            your_ref=parse_text(row.get("YourRef")),
            payment_method=parse_text(row.get("PaymentMethod")),
            account_id=parse_guid(row.get("Account")),
            entry_number=parse_int(row.get("EntryNumber")),
            due_date=parse_date(row.get("DueDate")),
        )


@dataclass(frozen=True, slots=True)
class Payable:
    """An open purchase item (``read/financial/PayablesList``); gone once fully matched."""

    SELECT: ClassVar[str] = (
        "HID,AccountId,AccountCode,AccountName,Amount,AmountInTransit,CurrencyCode,Description,"
        "DueDate,EntryNumber,InvoiceDate,InvoiceNumber,YourRef,JournalCode"
    )
    hid: int | None
    account_id: str | None
    account_code: str | None
    account_name: str | None
    amount: Decimal
    amount_in_transit: Decimal
    currency: str | None
    description: str | None
    due_date: date | None
    entry_number: int | None
    invoice_date: date | None
    invoice_number: int | None
    your_ref: str | None
    journal_code: str | None

    @classmethod
    def from_odata(cls, row: Row) -> Payable:
        return cls(
            hid=parse_int(row.get("HID")),
            account_id=parse_guid(row.get("AccountId")),
            account_code=parse_text(row.get("AccountCode")),
            account_name=parse_text(row.get("AccountName")),
            amount=_amount(row.get("Amount")),
            amount_in_transit=_amount(row.get("AmountInTransit")),
            currency=parse_text(row.get("CurrencyCode")),
            description=parse_text(row.get("Description")),
            due_date=parse_date(row.get("DueDate")),
            entry_number=parse_int(row.get("EntryNumber")),
            invoice_date=parse_date(row.get("InvoiceDate")),
            invoice_number=parse_int(row.get("InvoiceNumber")),
            your_ref=parse_text(row.get("YourRef")),
            journal_code=parse_text(row.get("JournalCode")),
        )
