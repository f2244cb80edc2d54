"""Typed records of Exact Online, normalised: no OData, trimmed codes, Decimal amounts.

The one import point for callers: the user and divisions live here; dimensions in
``master_data``, financial records in ``entries``, what we post in ``drafts``.

Each record has ``SELECT`` (the fields we ask for) and ``from_odata(row)``. Parsing is
tolerant (missing or odd fields get safe defaults); a record we cannot use at all (no
key, no code) raises ``ExactRecordInvalid`` so the caller can skip it. Amounts are
Decimal rounded to cents; VAT percentages are fractions (0.21), as Exact stores them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from ledgerbridge.exact.drafts import (
    BankEntryDraft,
    BankEntryLineDraft,
    PurchaseEntryDraft,
    PurchaseEntryLineDraft,
)
from ledgerbridge.exact.entries import (
    Attachment,
    BankEntry,
    BankEntryLine,
    Document,
    Payable,
    Payment,
    PurchaseEntry,
    PurchaseEntryLine,
)
from ledgerbridge.exact.errors import ExactRecordInvalid
from ledgerbridge.exact.master_data import (
    CostCenter,
    CostUnit,
    FinancialPeriod,
    GLAccount,
    Journal,
    Project,
    Supplier,
    VatCode,
    VatPercentage,
)
from ledgerbridge.exact.odata import (
    parse_bool,
    parse_datetime,
    parse_guid,
    parse_int,
    parse_text,
    required,
)

__all__ = [
    "Attachment",
    "BankEntry",
    "BankEntryDraft",
    "BankEntryLine",
    "BankEntryLineDraft",
    "CostCenter",
    "CostUnit",
    "Deleted",
    "Division",
    "Document",
    "DocumentType",
    "ExactRecordInvalid",
    "FinancialPeriod",
    "GLAccount",
    "Journal",
    "Me",
    "Payable",
    "Payment",
    "Project",
    "PurchaseEntry",
    "PurchaseEntryDraft",
    "PurchaseEntryLine",
    "PurchaseEntryLineDraft",
    "Supplier",
    "VatCode",
    "VatPercentage",
]

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Me:
    SELECT: ClassVar[str] = "UserID,UserName,FullName,Email,LanguageCode,CurrentDivision"
    user_id: str
    user_name: str
    full_name: str
    email: str | None
    language: str | None
    current_division: int | None

    @classmethod
    def from_odata(cls, row: Row) -> Me:
        return cls(
            user_id=required(row, "Me", "UserID", parse_guid(row.get("UserID")), "UserID"),
            user_name=parse_text(row.get("UserName")) or "",
            full_name=parse_text(row.get("FullName")) or "",
            email=parse_text(row.get("Email")),
            language=parse_text(row.get("LanguageCode")) or parse_text(row.get("Language")),
            current_division=parse_int(row.get("CurrentDivision")),
        )


@dataclass(frozen=True, slots=True)
class Division:
    SELECT: ClassVar[str] = (
        "Code,Description,Current,IsMainDivision,Status,Country,Currency,VATNumber,DivisionMoveDate"
    )
    code: int
    description: str
    is_current: bool
    is_main: bool
    status: int
    country: str | None
    currency: str | None
    vat_number: str | None
    move_date: datetime | None

    @classmethod
    def from_odata(cls, row: Row) -> Division:
        code = required(row, "Division", "Code", parse_int(row.get("Code")), "Code")
        return cls(
            code=code,
            description=parse_text(row.get("Description")) or str(code),
            is_current=parse_bool(row.get("Current")),
            is_main=parse_bool(row.get("IsMainDivision", row.get("Main"))),
            status=parse_int(row.get("Status"), 1) or 0,
            country=parse_text(row.get("Country")),
            currency=parse_text(row.get("Currency")),
            vat_number=parse_text(row.get("VATNumber")),
            move_date=parse_datetime(row.get("DivisionMoveDate")),
        )


@dataclass(frozen=True, slots=True)
class DocumentType:
    SELECT: ClassVar[str] = "ID,Description,TypeCategory,DocumentIsCreatable"
    id: int
    description: str
    category: int
    creatable: bool

    @classmethod
    def from_odata(cls, row: Row) -> DocumentType:
        ident = required(row, "DocumentType", "ID", parse_int(row.get("ID")))
        return cls(
            id=ident,
            description=parse_text(row.get("Description")) or str(ident),
            category=parse_int(row.get("TypeCategory"), 0) or 0,
            creatable=parse_bool(row.get("DocumentIsCreatable")),
        )


@dataclass(frozen=True, slots=True)
class Deleted:
    SELECT: ClassVar[str] = "Timestamp,EntityType,EntityKey,DeletedDate"
    entity_type: int
    entity_key: str
    timestamp: int
    deleted_date: datetime | None

    @classmethod
    def from_odata(cls, row: Row) -> Deleted:
        key = required(row, "Deleted", "EntityKey", parse_guid(row.get("EntityKey")), "EntityKey")
        return cls(
            entity_type=parse_int(row.get("EntityType"), 0) or 0,
            entity_key=key,
            timestamp=required(
                row, "Deleted", "Timestamp", parse_int(row.get("Timestamp")), "EntityKey"
            ),
            deleted_date=parse_datetime(row.get("DeletedDate")),
        )
