"""How a company's transactions are booked in Exact: export settings, ledger accounts, periods.

``ExportSettings`` is what a finance user chooses once (journals, supplier, description,
receipt policy); the services persist it. ``LedgerAccounts`` are the administration's own
accounts the booking touches without being coded (creditors, the card's bank account,
VAT to claim and to pay: BOOKKEEPING.md); ``FinancialPeriod`` is one row of Exact's period
table. All frozen values; nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class SupplierStrategy(StrEnum):
    GENERIC = "generic"  # every purchase on one supplier ("Card purchases")
    PER_MERCHANT = "per_merchant"  # the merchant's own supplier, else the generic one


class ReceiptPolicy(StrEnum):
    REQUIRED = "required"
    OPTIONAL = "optional"


# Exact's own example posts a purchase-entry document as type 20 (EXACT_API.md §4.9).
PURCHASE_DOCUMENT_TYPE = 20
DEFAULT_DESCRIPTION = "%(merchant)s - %(cardholder)s - %(note)s"


@dataclass(frozen=True, slots=True)
class ExportSettings:
    """The choices the export books by.

    ``description_template`` is %-style with the named fields ``merchant``,
    ``cardholder``, ``note``, ``reference`` and ``date``; empty parts are dropped.
    ``merchant_suppliers`` maps a merchant name (any case) to a supplier code, used with
    ``SupplierStrategy.PER_MERCHANT``; ``generic_supplier`` is the fallback.
    ``book_in_original_currency`` is BOOKKEEPING.md §4's optional setting;
    ``create_missing_suppliers``: per merchant, a merchant without an Exact supplier gets
    one at export (instead of the generic supplier).
    """

    purchase_journal: str | None = None
    bank_journal: str | None = None
    supplier_strategy: SupplierStrategy = SupplierStrategy.GENERIC
    generic_supplier: str | None = None
    merchant_suppliers: tuple[tuple[str, str], ...] = ()
    description_template: str = DEFAULT_DESCRIPTION
    receipt_policy: ReceiptPolicy = ReceiptPolicy.REQUIRED
    document_type: int = PURCHASE_DOCUMENT_TYPE
    book_in_original_currency: bool = False
    create_missing_suppliers: bool = False
    # GL account codes of the administration (LedgerAccounts): the creditors account is
    # the bank entry line's GL account; the other three only label the preview's rows.
    creditors_account: str | None = None
    card_account: str | None = None
    vat_to_claim_account: str | None = None
    vat_to_pay_account: str | None = None

    def ledger_accounts(self) -> LedgerAccounts:
        """The accounts as chosen; an unchosen one is "" (the preview names its role)."""
        return LedgerAccounts(
            card=(self.card_account or "").strip(),
            creditors=(self.creditors_account or "").strip(),
            vat_to_claim=(self.vat_to_claim_account or "").strip(),
            vat_to_pay=(self.vat_to_pay_account or "").strip(),
        )

    def supplier_for(self, merchant: str) -> str | None:
        """The supplier code a purchase at ``merchant`` is booked on, or None when unset."""
        if self.supplier_strategy is SupplierStrategy.PER_MERCHANT:
            wanted = merchant.strip().casefold()
            for name, code in self.merchant_suppliers:
                if name.strip().casefold() == wanted and code.strip():
                    return code.strip()
        return (self.generic_supplier or "").strip() or None


@dataclass(frozen=True, slots=True)
class LedgerAccounts:
    """GL account codes of the administration that a booking touches besides the coded ones.

    ``card``: the GL account of the card's bank journal (1105); ``creditors``: where
    suppliers' open items sit (1600); ``vat_to_claim``/``vat_to_pay``: 1520/1510.
    """

    card: str
    creditors: str
    vat_to_claim: str
    vat_to_pay: str


@dataclass(frozen=True, slots=True)
class FinancialPeriod:
    """One row of Exact's period table: ``start``–``end`` inclusive.

    ``closed`` is None while not known: Exact's period table does not say whether a period
    is closed; we learn it when Exact refuses a posting ("Period is closed"). Unknown
    counts as open.
    """

    year: int
    period: int
    start: date
    end: date
    closed: bool | None = None

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end

    @property
    def label(self) -> str:
        """How a user names it: year/period, "2026/11"."""
        return f"{self.year}/{self.period:02d}"


PeriodFacts = Sequence[FinancialPeriod]


def period_of(day: date, periods: PeriodFacts) -> FinancialPeriod | None:
    """The period ``day`` falls in, or None when the period table has none."""
    return next((p for p in periods if p.covers(day)), None)


def first_open_period(after: date, periods: PeriodFacts) -> FinancialPeriod | None:
    """The earliest open period that ends on or after ``after``, or None."""
    candidates = sorted((p for p in periods if not p.closed and p.end >= after),
                        key=lambda p: p.start)  # fmt: skip
    return candidates[0] if candidates else None
