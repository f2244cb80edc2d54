"""What Exact Online tells us about one dimension value, typed per kind.

A ``Dimension`` carries its kind's facts (or None: a local value, or a kind Exact
gives no facts for, such as cost centres, whose only facts are their dates).
Facts are frozen dataclasses, so a misspelt fact is an AttributeError and a mypy
error instead of a silent default. They hold domain values only (Decimal, date,
enums); turning them into JSON and back is the database mapper's business.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import IntEnum, StrEnum
from typing import NamedTuple


class CostRule(IntEnum):
    """A GL account's ``UseCostcenter`` / ``UseCostunit`` (EXACT_API.md §4.1)."""

    OPTIONAL = 0
    MANDATORY = 1
    NOT_ALLOWED = 2


@dataclass(frozen=True, slots=True)
class GLAccountFacts:
    """``type``: Exact's GL account type (121 general costs, 12 bank…, §4.1);
    ``balance_type``: "B" balance sheet or "W" profit & loss."""

    type: int
    balance_type: str | None = None
    use_cost_center: CostRule = CostRule.OPTIONAL
    use_cost_unit: CostRule = CostRule.OPTIONAL
    default_vat_code: str | None = None
    default_cost_center: str | None = None
    default_cost_unit: str | None = None


class VatType(StrEnum):
    EXCLUDING = "E"  # AmountFC is net; Exact adds VAT on top
    INCLUDING = "I"  # AmountFC is gross; Exact takes VAT out of it
    ZERO_RATED = "B"  # 0 %: base only
    NO_VAT = "N"  # outside VAT, or not deductible (BOOKKEEPING §8)


class VatTransactionType(StrEnum):
    """Which side of the books a VAT code is for (``VATTransactionType``, §4.2)."""

    PURCHASE = "P"
    SALES = "S"
    BOTH = "B"


# A purchase line may use a purchase-side code or one for both sides (EXACT_API.md §4.2).
PURCHASE_SIDES: frozenset[VatTransactionType] = frozenset(
    {VatTransactionType.PURCHASE, VatTransactionType.BOTH}
)


class VatRate(NamedTuple):
    """A rate (a fraction) valid from ``start`` to ``end``, both inclusive; None is open."""

    fraction: Decimal
    start: date | None = None
    end: date | None = None

    def valid_on(self, day: date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)


@dataclass(frozen=True, slots=True)
class VatCodeFacts:
    """A VAT code: its type, its side, its rates over time (fractions: 0.21 is 21 %)."""

    type: VatType
    transaction_type: VatTransactionType
    percentages: tuple[VatRate, ...] = ()
    reverse_charge: bool = False

    @property
    def including(self) -> bool:
        """Line amounts are gross (VAT included) for this code."""
        return self.type is VatType.INCLUDING

    @property
    def for_purchases(self) -> bool:
        return self.transaction_type in PURCHASE_SIDES


@dataclass(frozen=True, slots=True)
class ProjectFacts:
    """``type``: 1 campaign, 2 fixed price, 3 time & material, 4 non-billable, 5 prepaid."""

    type: int | None = None


@dataclass(frozen=True, slots=True)
class JournalFacts:
    """``type``: 10 cash, 12 bank, 20 sales, 22 purchase, 90 general… (§4.5)."""

    type: int | None = None
    currency: str | None = None


@dataclass(frozen=True, slots=True)
class SupplierFacts:
    vat_number: str | None = None
    coc_number: str | None = None
    country: str | None = None
    purchase_vat_code: str | None = None


@dataclass(frozen=True, slots=True)
class DocumentTypeFacts:
    category: int | None = None
    creatable: bool = False


DimensionFacts = (
    GLAccountFacts | VatCodeFacts | ProjectFacts | JournalFacts | SupplierFacts | DocumentTypeFacts
)
