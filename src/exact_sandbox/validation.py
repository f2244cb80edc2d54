"""Exact's business rules for entries, as EXACT_API.md §4–§5 and BOOKKEEPING.md describe them.

``check_purchase_entry`` and ``check_bank_entry`` take a typed payload and
return the header and lines to store (totals, VAT, numbers and descriptions
filled in), or raise ``BusinessError`` — answered as HTTP 500 with all problems
newline-separated in the user's language, as Exact does.
VAT: with an excluding (E) code a line's ``AmountFC`` is net, with an including
(I) code it is gross and split; a given ``VATAmountFC`` must match the
computed VAT within a cent ("Invoer 17" otherwise). Reverse-charge (Charged)
VAT is booked to pay and to claim, so it does not add to the supplier's total.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from exact_sandbox import messages
from exact_sandbox.store import Row, Store

CENT = Decimal("0.01")
MAX_DOUBLE = Decimal(sys.float_info.max)
ARITHMETIC_OVERFLOW = "Arithmetic overflow error converting expression to data type float."
USABLE_BALANCE_TYPES = {26, 30, 32}  # prepaid expenses and assets may carry purchases
INCOME_TYPES = {110, 140, 160}


class BusinessError(Exception):
    """A validation failure Exact answers with HTTP 500 and a localized text."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.message = "\n".join(problems)


@dataclass
class Checker:
    """Collects problems for one request in one division, in the caller's language."""

    store: Store
    division: int
    language: str
    now: datetime
    problems: list[str] = field(default_factory=list)
    #: ``SandboxSettings.drop_foreign_references``: an optional reference to a record of
    #: another division is dropped silently (UNCONFIRMED, EXACT_API.md §4.7).
    drop_foreign: bool = False

    def add(self, pattern: str, label_key: str | None = None, **params: object) -> None:
        self.problems.append(messages.text(pattern, self.language, label_key, **params))

    def raise_if_any(self) -> None:
        if self.problems:
            raise BusinessError(self.problems)

    def by_code(self, resource: str, code: Any) -> Row | None:
        return self.store.find_one(self.division, resource, "Code", code)

    def by_key(self, resource: str, key: Any) -> Row | None:
        return self.store.get(self.division, resource, key) if key is not None else None

    def drops(self, resource: str, key: Any) -> bool:
        """Whether an optional reference is dropped silently: unknown here, a record of
        another division, and ``drop_foreign`` on."""
        if not self.drop_foreign or key is None or self.by_key(resource, key) is not None:
            return False
        others = (d for d in self.store.divisions() if d != self.division)
        return any(self.store.get(d, resource, key) is not None for d in others)

    def require(self, row: Row, name: str, label_key: str) -> bool:
        if row.get(name) in (None, "", []):
            self.add("mandatory", label_key)
            return False
        return True

    def journal(self, code: Any, journal_type: int) -> Row | None:
        journal = self.by_code("financial/Journals", code)
        if journal is None:
            self.add("invalid_reference", "journal")
        elif journal["Type"] != journal_type:
            self.add("invalid", "journal_type")
        elif journal.get("IsBlocked"):
            self.add("blocked", "journal")
        else:
            return journal
        return None

    def period(self, day: datetime) -> None:
        """The date's period must exist in the period table and be open."""
        for period in self.store.find(
            self.division, "financial/FinancialPeriods", "FinYear", day.year
        ):
            if period["StartDate"] <= day < period["EndDate"]:
                if period.get("_closed"):
                    self.add("period_closed")
                return
        self.add("unknown_period")

    def reporting_period(self, year: int | None, period: int | None) -> None:
        """An explicit ReportingYear/ReportingPeriod must exist in the period table."""
        if year is None and period is None:
            return
        rows = self.store.find(self.division, "financial/FinancialPeriods", "FinYear", year)
        if not rows or (period is not None and all(row["FinPeriod"] != period for row in rows)):
            self.add("unknown_period")

    def gl_account(self, key: Any, *, purchase: bool) -> Row | None:
        account = self.by_key("financial/GLAccounts", key)
        if account is None:
            self.add("invalid_reference", "gl_account")
        elif account.get("IsBlocked"):
            self.add("blocked", "gl_account")
        elif purchase and not usable_for_purchases(account):
            self.add("invalid", "gl_account_type")
        else:
            return account
        return None

    def dimension(self, resource: str, code: Any, use: int, label_key: str, day: datetime) -> None:
        """Cost centre/unit: 1 = mandatory, 2 = not allowed; must exist and not be ended."""
        if code in (None, ""):
            if use == 1:
                self.add("mandatory", label_key)
            return
        if use == 2:
            self.add("not_allowed", label_key)
            return
        found = self.by_code(resource, code)
        if found is None:
            self.add("invalid_reference", label_key)
        elif found.get("EndDate") is not None and found["EndDate"] < day:
            self.add("invalid", label_key)

    def project(self, key: Any, day: datetime) -> None:
        if key is None:
            return
        project = self.by_key("project/Projects", key)
        if project is None:
            self.add("invalid_reference", "project")
        elif (project.get("StartDate") and day < project["StartDate"]) or (
            project.get("EndDate") and day > project["EndDate"]
        ):
            self.add("invalid", "project")

    def next_entry_number(self, resource: str, journal_field: str, journal: Row) -> int:
        used = [
            row["EntryNumber"]
            for row in self.store.find(self.division, resource, journal_field, journal["Code"])
            if row.get("EntryNumber") is not None
        ]
        if used:
            return max(used) + 1
        code = str(journal["Code"]).strip()
        prefix = f"{self.now.year % 100}{code}" if code.isascii() and code.isdigit() else "1"
        return int(prefix) * 10_000 + 1

    def entry_number_free(
        self, resource: str, journal_field: str, journal: Row, number: int
    ) -> bool:
        rows = self.store.find(self.division, resource, journal_field, journal["Code"])
        if any(row.get("EntryNumber") == number for row in rows):
            self.add("in_use", "entry_number")
            return False
        return True


def usable_for_purchases(account: Row) -> bool:
    """P&L cost accounts (and asset/prepayment accounts) may carry purchase lines."""
    kind = account.get("Type")
    if account.get("BalanceType") == "W":
        return kind not in INCOME_TYPES
    return kind in USABLE_BALANCE_TYPES


def money(value: Decimal) -> Decimal:
    """An amount rounded to the cent; beyond a double's range it is Exact's SQL overflow
    (a 500), not a Python exception."""
    if not value.is_finite() or abs(value) > MAX_DOUBLE:
        raise BusinessError([ARITHMETIC_OVERFLOW])
    with localcontext() as context:
        context.prec = 400  # every double to the cent (at most 309 + 2 digits)
        return value.quantize(CENT, rounding=ROUND_HALF_UP)


def vat_fraction(store: Store, division: int, vat_code: Row, day: datetime) -> Decimal:
    """The percentage (a fraction) valid on ``day``; the code's current one as a fallback."""
    rows = store.find(division, "vat/VATPercentages", "VATCodeID", vat_code["ID"])
    for row in rows:
        starts, ends = row.get("StartDate"), row.get("EndDate")
        if (starts is None or starts <= day) and (ends is None or day <= ends + timedelta(days=1)):
            return Decimal(row["Percentage"])
    return Decimal(vat_code.get("Percentage") or 0)


def split_vat(amount: Decimal, vat_type: str, fraction: Decimal) -> tuple[Decimal, Decimal]:
    """(net, vat) for a line amount under a VAT type: E net, I gross, B/N no VAT."""
    if vat_type == "E":
        return money(amount), money(amount * fraction)
    if vat_type == "I":
        vat = money(amount * fraction / (1 + fraction))
        return money(amount) - vat, vat
    return money(amount), Decimal("0.00")
