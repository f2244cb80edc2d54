"""A card or account transaction, as the bank or card issuer reported it.

``validate_transaction`` lists everything wrong with one transaction at once,
so intake can reject a batch naming every bad item and field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from ledgerbridge.domain.money import Money

# Card issuers report pre-authorised future dates (hotel, car rental) a few days ahead at most.
MAX_DAYS_AHEAD = 7
# Money cannot have moved in the future; one day of slack because the issuer's "today"
# (Europe, Asia) may already be tomorrow in UTC, the day intake judges by.
SETTLEMENT_DAYS_AHEAD = 1
# Card data does not go back this far: an earlier date is a typo (1926 for 2026).
EARLIEST_DATE = date(2000, 1, 1)
# No currency is worth ten billion of another; a larger rate is a typo.
MAX_FX_RATE = Decimal("1e10")
MAX_TEXT_LENGTH = {"external_id": 100, "merchant_name": 255, "cardholder": 255, "description": 4000}


class TransactionKind(StrEnum):
    CARD_PAYMENT = "card_payment"
    REFUND = "refund"
    FEE = "fee"
    TRANSFER = "transfer"  # top-up of the card / transfer between own accounts


# Kinds booked as a bank entry line only, without a purchase entry (BOOKKEEPING.md §6, §7, §11).
BANK_ONLY_KINDS: frozenset[TransactionKind] = frozenset(
    {TransactionKind.FEE, TransactionKind.TRANSFER}
)

# The sign each kind must have, from the company's view: -1 money out, +1 money in.
KIND_SIGN: dict[TransactionKind, int] = {
    TransactionKind.CARD_PAYMENT: -1,
    TransactionKind.FEE: -1,
    TransactionKind.REFUND: 1,
}


@dataclass(frozen=True, slots=True)
class Transaction:
    """One transaction. Amounts are signed from the company's view: money out < 0.

    ``amount`` is in the account (card) currency — what was actually charged;
    ``original_amount`` is in the merchant's currency; ``fx_rate`` is
    account-currency units per original-currency unit (None when the same).
    Construction does not validate (intake wants every problem at once): call
    ``validate_transaction``. ``merchant_country`` is stored upper-cased.
    """

    external_id: str
    kind: TransactionKind
    booking_date: date
    amount: Money
    original_amount: Money
    settlement_date: date | None = None
    merchant_name: str = ""
    merchant_country: str | None = None  # ISO 3166-1 alpha-2
    mcc: str | None = None  # ISO 18245 merchant category code, 4 digits
    cardholder: str = ""
    card_last4: str | None = None
    description: str = ""
    fx_rate: Decimal | None = None

    def __post_init__(self) -> None:
        if isinstance(self.merchant_country, str):
            object.__setattr__(self, "merchant_country", self.merchant_country.strip().upper())

    @property
    def money_out(self) -> bool:
        return self.amount.amount < 0

    @property
    def is_foreign_currency(self) -> bool:
        return self.original_amount.currency != self.amount.currency


def validate_transaction(t: Transaction, today: date) -> list[str]:
    """Every problem with ``t``, each as "field: reason" in a finance user's words.

    An empty list means the transaction may be stored. Pure; raises nothing.
    """
    return [
        *_text_problems(t),
        *_amount_problems(t),
        *_date_problems(t, today),
        *_card_problems(t),
    ]


def _text_problems(t: Transaction) -> list[str]:
    problems = []
    if not (isinstance(t.external_id, str) and t.external_id.strip()):
        problems.append("external_id: is required; every transaction needs the bank's unique id")
    for name, limit in MAX_TEXT_LENGTH.items():
        text = getattr(t, name)
        if isinstance(text, str) and len(text) > limit:
            problems.append(f"{name}: is {len(text)} characters long, at most {limit} are allowed")
    return problems


def _amount_problems(t: Transaction) -> list[str]:
    if t.amount.is_zero:
        return [f"amount: {t.amount} is zero; a transaction must move money"]
    problems = []
    sign = KIND_SIGN.get(t.kind)
    if sign is not None and (t.amount.amount > 0) != (sign > 0):
        direction = "money out (negative)" if sign < 0 else "money in (positive)"
        problems.append(
            f"amount: a {t.kind.value.replace('_', ' ')} is {direction}, got {t.amount}"
        )
    if t.original_amount.is_zero or (t.original_amount.amount > 0) != (t.amount.amount > 0):
        problems.append(
            f"original_amount: {t.original_amount} must have the same sign as amount {t.amount}"
        )
    problems.extend(_fx_problems(t))
    return problems


def _fx_problems(t: Transaction) -> list[str]:
    if t.fx_rate is not None and not (t.fx_rate.is_finite() and t.fx_rate > 0):
        return [f"fx_rate: {t.fx_rate} must be a positive number"]
    if t.fx_rate is not None and t.fx_rate >= MAX_FX_RATE:
        return [f"fx_rate: {t.fx_rate} is implausibly large"]
    if not t.is_foreign_currency and t.original_amount != t.amount:
        return [
            f"original_amount: {t.original_amount} differs from amount {t.amount} "
            "in the same currency"
        ]
    return []


def _date_problems(t: Transaction, today: date) -> list[str]:
    booking_late = f"is more than {MAX_DAYS_AHEAD} days in the future"
    settlement_late = "is in the future; money settles on or before today"
    checks = (
        ("booking_date", t.booking_date, MAX_DAYS_AHEAD, booking_late),
        ("settlement_date", t.settlement_date, SETTLEMENT_DAYS_AHEAD, settlement_late),
    )
    problems = [
        problem
        for name, day, days_ahead, too_late in checks
        for problem in _day_problems(name, day, today + timedelta(days=days_ahead), too_late)
    ]
    if t.settlement_date is not None and t.settlement_date < t.booking_date:
        problems.append(
            f"settlement_date: {t.settlement_date.isoformat()} is before "
            f"the booking date {t.booking_date.isoformat()}"
        )
    return problems


def _day_problems(name: str, day: date | None, latest: date, too_late: str) -> list[str]:
    if day is not None and day > latest:
        return [f"{name}: {day.isoformat()} {too_late}"]
    if day is not None and day < EARLIEST_DATE:
        return [f"{name}: {day.isoformat()} is before {EARLIEST_DATE.isoformat()}"]
    return []


def _card_problems(t: Transaction) -> list[str]:
    checks = (
        ("card_last4", t.card_last4, r"\d{4}", "must be the last 4 digits of the card"),
        ("mcc", t.mcc, r"\d{4}", "must be a 4-digit merchant category code"),
        ("merchant_country", t.merchant_country, r"[A-Z]{2}", "must be a 2-letter country code"),
    )
    return [
        f"{name}: {value!r} {reason}"
        for name, value, pattern, reason in checks
        if value is not None and not (isinstance(value, str) and re.fullmatch(pattern, value))
    ]
