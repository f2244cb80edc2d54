"""Typed master data of Exact (the dimensions): GL accounts, VAT codes, cost centres and
units, projects, journals and suppliers; and the period table (financial periods).
Re-exported by ``models``; same parsing rules.

Exact's JSON is parsed here, once: codes trimmed, numbers as ``int``/``Decimal``
(doubles converted through their text and rounded: VAT fractions to
``FRACTION_PLACES``), dates as dates, flags as booleans. A field that is absent
or unreadable is None where its meaning would otherwise be guessed (a GL
account's type, a VAT percentage); the dimension mapper decides what to do then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar, Self

from ledgerbridge.exact.errors import ExactRecordInvalid
from ledgerbridge.exact.odata import (
    deferred_rows,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_guid,
    parse_int,
    parse_text,
    required,
)

Row = dict[str, Any]
# VAT percentages are fractions (0.21 is 21 %); six places keep every real rate
# (5.5 %, 9.975 %) and drop a double's binary noise.
FRACTION_PLACES = Decimal("0.000001")


def _fraction(value: object) -> Decimal | None:
    found = parse_decimal(value, FRACTION_PLACES)
    return found.normalize() if found is not None and found != 0 else found


def _id_code(row: Row, resource: str) -> tuple[str, str]:
    ident = required(row, resource, "ID", parse_guid(row.get("ID")))
    return ident, required(row, resource, "Code", parse_text(row.get("Code")))


@dataclass(frozen=True, slots=True)
class GLAccount:
    SELECT: ClassVar[str] = (
        "ID,Code,Description,Type,BalanceType,IsBlocked,VATCode,Costcenter,Costunit,UseCostcenter,"
        "UseCostunit,Modified"
    )
    SYNC_SELECT: ClassVar[str] = f"Timestamp,{SELECT}"
    id: str
    code: str
    description: str
    type: int | None
    balance_type: str
    blocked: bool
    vat_code: str | None
    use_cost_center: int
    use_cost_unit: int
    modified: datetime | None
    timestamp: int | None
    cost_center: str | None = None  # the default cost centre (a code)
    cost_unit: str | None = None

    @classmethod
    def from_odata(cls, row: Row) -> GLAccount:
        ident, code = _id_code(row, "GLAccount")
        return cls(
            id=ident,
            code=code,
            description=parse_text(row.get("Description")) or code,
            type=parse_int(row.get("Type")),
            balance_type=parse_text(row.get("BalanceType")) or "W",
            blocked=parse_bool(row.get("IsBlocked")),
            vat_code=parse_text(row.get("VATCode")),
            cost_center=parse_text(row.get("Costcenter")),
            cost_unit=parse_text(row.get("Costunit")),
            use_cost_center=parse_int(row.get("UseCostcenter"), 0) or 0,
            use_cost_unit=parse_int(row.get("UseCostunit"), 0) or 0,
            modified=parse_datetime(row.get("Modified")),
            timestamp=parse_int(row.get("Timestamp")),
        )


@dataclass(frozen=True, slots=True)
class VatPercentage:
    percentage: Decimal | None
    start: date | None
    end: date | None

    @classmethod
    def from_odata(cls, row: Row) -> VatPercentage:
        return cls(
            percentage=_fraction(row.get("Percentage")),
            start=parse_date(row.get("StartDate")),
            end=parse_date(row.get("EndDate")),
        )


@dataclass(frozen=True, slots=True)
class VatCode:
    SELECT: ClassVar[str] = (
        "ID,Code,Description,Type,VATTransactionType,IsBlocked,Percentage,Charged,Modified,"
        "VATPercentages"
    )
    id: str
    code: str
    description: str
    type: str
    transaction_type: str
    blocked: bool
    percentage: Decimal | None
    percentages: tuple[VatPercentage, ...]
    charged: bool
    modified: datetime | None

    @classmethod
    def from_odata(cls, row: Row) -> VatCode:
        ident, code = _id_code(row, "VATCode")
        percentages = tuple(
            VatPercentage.from_odata(p) for p in deferred_rows(row.get("VATPercentages"))
        )
        return cls(
            id=ident,
            code=code,
            description=parse_text(row.get("Description")) or code,
            type=parse_text(row.get("Type")) or "E",
            transaction_type=parse_text(row.get("VATTransactionType")) or "B",
            blocked=parse_bool(row.get("IsBlocked")),
            percentage=_fraction(row.get("Percentage")),
            percentages=percentages,
            charged=parse_bool(row.get("Charged")),
            modified=parse_datetime(row.get("Modified")),
        )


@dataclass(frozen=True, slots=True)
class CostCenter:
    SELECT: ClassVar[str] = "ID,Code,Description,EndDate,Modified"
    id: str
    code: str
    description: str
    end_date: date | None
    modified: datetime | None

    @classmethod
    def from_odata(cls, row: Row) -> Self:
        ident, code = _id_code(row, cls.__name__)
        return cls(
            id=ident,
            code=code,
            description=parse_text(row.get("Description")) or code,
            end_date=parse_date(row.get("EndDate")),
            modified=parse_datetime(row.get("Modified")),
        )


@dataclass(frozen=True, slots=True)
class CostUnit(CostCenter):
    """A cost unit (``hrm/Costunits``); same shape as a cost centre."""


@dataclass(frozen=True, slots=True)
class Project:
    SELECT: ClassVar[str] = "Timestamp,ID,Code,Description,Type,StartDate,EndDate,Modified"
    id: str
    code: str
    description: str
    type: int
    start_date: date | None
    end_date: date | None
    modified: datetime | None
    timestamp: int | None

    @classmethod
    def from_odata(cls, row: Row) -> Project:
        ident, code = _id_code(row, "Project")
        return cls(
            id=ident,
            code=code,
            description=parse_text(row.get("Description")) or code,
            type=parse_int(row.get("Type"), 0) or 0,
            start_date=parse_date(row.get("StartDate")),
            end_date=parse_date(row.get("EndDate")),
            modified=parse_datetime(row.get("Modified")),
            timestamp=parse_int(row.get("Timestamp")),
        )


@dataclass(frozen=True, slots=True)
class Journal:
    SELECT: ClassVar[str] = "ID,Code,Description,Type,Currency,IsBlocked,Modified"
    id: str
    code: str
    description: str
    type: int
    currency: str | None
    blocked: bool
    modified: datetime | None

    @classmethod
    def from_odata(cls, row: Row) -> Journal:
        ident, code = _id_code(row, "Journal")
        return cls(
            id=ident,
            code=code,
            description=parse_text(row.get("Description")) or code,
            type=parse_int(row.get("Type"), 0) or 0,
            currency=parse_text(row.get("Currency")),
            blocked=parse_bool(row.get("IsBlocked")),
            modified=parse_datetime(row.get("Modified")),
        )


@dataclass(frozen=True, slots=True)
class Supplier:
    SELECT: ClassVar[str] = (
        "ID,Code,Name,VATNumber,ChamberOfCommerce,Country,Blocked,IsSupplier,PurchaseVATCode,"
        "Modified"
    )
    SYNC_SELECT: ClassVar[str] = f"Timestamp,{SELECT}"
    id: str
    code: str
    name: str
    vat_number: str | None
    coc_number: str | None
    country: str | None
    blocked: bool
    is_supplier: bool
    purchase_vat_code: str | None
    modified: datetime | None
    timestamp: int | None

    @classmethod
    def from_odata(cls, row: Row) -> Supplier:
        ident = required(row, "Account", "ID", parse_guid(row.get("ID")))
        name = required(row, "Account", "Name", parse_text(row.get("Name")))
        return cls(
            id=ident,
            code=parse_text(row.get("Code")) or "",  # 18 characters, right-aligned at Exact
            name=name,
            vat_number=parse_text(row.get("VATNumber")),
            coc_number=parse_text(row.get("ChamberOfCommerce")),
            country=parse_text(row.get("Country")),
            blocked=parse_bool(row.get("Blocked")),
            is_supplier=parse_bool(row.get("IsSupplier")),
            purchase_vat_code=parse_text(row.get("PurchaseVATCode")),
            modified=parse_datetime(row.get("Modified")),
            timestamp=parse_int(row.get("Timestamp")),
        )


@dataclass(frozen=True, slots=True)
class FinancialPeriod:
    """One row of Exact's period table (``financial/FinancialPeriods``).

    ``end`` is Exact's ``EndDate`` as sent: the first day of the next period
    (``ends_exclusive``, as the sandbox has it) unless ``ExactApi.financial_periods``
    finds the table's ends inclusive; ``last_day`` is the period's last day either way.
    Exact does not say whether a period is closed.
    """

    SELECT: ClassVar[str] = "ID,FinYear,FinPeriod,StartDate,EndDate"
    year: int
    period: int
    start: date
    end: date
    ends_exclusive: bool = True

    @property
    def last_day(self) -> date:
        if self.ends_exclusive and self.end > self.start:
            return self.end - timedelta(days=1)
        return self.end

    @classmethod
    def from_odata(cls, row: Row) -> FinancialPeriod:
        resource = "FinancialPeriod"
        start = required(row, resource, "StartDate", parse_date(row.get("StartDate")))
        end = required(row, resource, "EndDate", parse_date(row.get("EndDate")))
        if end < start:
            key = parse_text(row.get("ID")) or ""
            raise ExactRecordInvalid(resource, key, "EndDate is before StartDate")
        return cls(
            year=required(row, resource, "FinYear", parse_int(row.get("FinYear"))),
            period=required(row, resource, "FinPeriod", parse_int(row.get("FinPeriod"))),
            start=start,
            end=end,
        )
