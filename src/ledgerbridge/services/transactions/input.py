"""Turning one incoming transaction (API item or CSV row) into checked column values.

Shared by the JSON API and the CSV import so both accept and refuse exactly
the same things. This module only *reads* the input — text into dates, kinds,
currencies and amounts (with the domain's ``parse_amount``) — and reports what
it cannot read; what makes a transaction acceptable is decided by the domain's
``validate_transaction`` alone. Every problem is reported as
``(field, message)``; nothing raises for bad input.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from ledgerbridge.domain.errors import DomainError
from ledgerbridge.domain.money import Money, currency_code, parse_amount, to_decimal
from ledgerbridge.domain.text import text_problem
from ledgerbridge.domain.transactions import Transaction, TransactionKind, validate_transaction

FIELDS = (
    "external_id",
    "booking_date",
    "settlement_date",
    "kind",
    "amount",
    "currency",
    "original_amount",
    "original_currency",
    "merchant_name",
    "merchant_country",
    "mcc",
    "cardholder",
    "card_last4",
    "description",
)
API_ONLY_FIELDS = ("fx_rate",)
FX_PLACES = Decimal("1e-10")
_MONEY_FIELDS = frozenset(("amount", "currency", "original_amount", "original_currency", "fx_rate"))
# A field that could not be read gets a stand-in value so the domain can still judge
# the others; its verdict on the stand-in, and on the fields judged against it, would
# only repeat or muddle the reading problem, so it is dropped.
_JUDGED_AGAINST: dict[str, frozenset[str]] = {
    "kind": frozenset(("amount",)),
    "booking_date": frozenset(("settlement_date",)),
    **dict.fromkeys(_MONEY_FIELDS, _MONEY_FIELDS),
}
_STAND_IN_DAY = date(2000, 1, 1)
_STAND_IN_MONEY = Money(Decimal(-1), "EUR")


@dataclass
class Parsed:
    """The outcome for one item: column values when ``problems`` is empty."""

    external_id: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)

    def problem(self, name: str, message: str) -> None:
        self.problems.append((name, message))


def parse_transaction(
    raw: Mapping[str, Any], *, today: date, decimal_comma: bool | None = False
) -> Parsed:
    """Read and check one transaction; empty strings count as absent.

    ``decimal_comma`` False (the API) accepts only a decimal point; the CSV
    import passes None to accept both (see ``parse_amount``). Amounts may be
    str, int or Decimal; floats are refused because they may have lost precision.
    """
    item = {k: (None if v == "" else v) for k, v in raw.items()}
    out = Parsed()
    for name in sorted(set(item) - set(FIELDS) - set(API_ONLY_FIELDS)):
        out.problem(name, "unknown field")
    transaction = _read(item, out, decimal_comma)
    unread = {name for name, _ in out.problems}
    dropped = unread.union(*(_JUDGED_AGAINST.get(name, ()) for name in unread))
    for problem in validate_transaction(transaction, today):
        name, _, reason = problem.partition(": ")
        if name not in dropped:
            out.problem(name, reason)
    if not out.problems:
        out.values = column_values(transaction)
    return out


def column_values(t: Transaction) -> dict[str, Any]:
    """The transaction as the columns of a stored transaction row."""
    return {
        "external_id": t.external_id,
        "kind": t.kind.value,
        "booking_date": t.booking_date,
        "settlement_date": t.settlement_date,
        "amount": t.amount.amount,
        "currency": t.amount.currency,
        "original_amount": t.original_amount.amount,
        "original_currency": t.original_amount.currency,
        "fx_rate": None if t.fx_rate is None else t.fx_rate.quantize(FX_PLACES),
        "merchant_name": t.merchant_name,
        "merchant_country": t.merchant_country,
        "mcc": t.mcc,
        "cardholder": t.cardholder,
        "card_last4": t.card_last4,
        "description": t.description,
    }


def _read(item: Mapping[str, Any], out: Parsed, comma: bool | None) -> Transaction:
    out.external_id = _text(item, "external_id", out) or None
    booking = _date(item, "booking_date", out)
    if booking is None and item.get("booking_date") is None:
        out.problem("booking_date", "is required")
    amount, original, fx_rate = _money(item, out, comma)
    return Transaction(
        external_id=out.external_id or "",
        kind=_kind(item, out),
        booking_date=booking or _STAND_IN_DAY,
        settlement_date=_date(item, "settlement_date", out),
        amount=amount,
        original_amount=original,
        fx_rate=fx_rate,
        merchant_name=_text(item, "merchant_name", out) or "",
        merchant_country=_text(item, "merchant_country", out),
        mcc=_code(item, "mcc"),
        cardholder=_text(item, "cardholder", out) or "",
        card_last4=_code(item, "card_last4"),
        description=_text(item, "description", out) or "",
    )


def _text(item: Mapping[str, Any], name: str, out: Parsed) -> str | None:
    value = item.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        out.problem(name, "must be text")
        return None
    if problem := text_problem(value):
        out.problem(name, problem)
        return None
    return value.strip()


def _code(item: Mapping[str, Any], name: str) -> Any:
    """A digit code as text; JSON numbers are accepted, anything else is left to the domain."""
    value = item.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value.strip() if isinstance(value, str) else value


def _kind(item: Mapping[str, Any], out: Parsed) -> TransactionKind:
    kind = _text(item, "kind", out) or TransactionKind.CARD_PAYMENT.value
    try:
        return TransactionKind(kind.lower())
    except ValueError:
        allowed = ", ".join(k.value for k in TransactionKind)
        out.problem("kind", f"unknown kind {kind!r} (expected one of: {allowed})")
        return TransactionKind.CARD_PAYMENT


def _date(item: Mapping[str, Any], name: str, out: Parsed) -> date | None:
    text = _text(item, name, out)
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        out.problem(name, f"{text!r} is not a date (expected YYYY-MM-DD)")
        return None


def _money(
    item: Mapping[str, Any], out: Parsed, comma: bool | None
) -> tuple[Money, Money, Decimal | None]:
    """Amount, original amount and rate; stand-ins (with a problem) when unreadable."""
    for name in ("amount", "currency"):
        if item.get(name) is None:
            out.problem(name, "is required")
    currency = _currency(item, "currency", out)
    amount = _amount(item, "amount", currency, out, comma)
    original = _original(item, out, comma, amount)
    if amount is None or original is None:
        return _STAND_IN_MONEY, _STAND_IN_MONEY, None
    return amount, original, _fx_rate(item, out, amount, original)


def _currency(item: Mapping[str, Any], name: str, out: Parsed) -> str | None:
    value = item.get(name)
    if value is None:
        return None
    try:
        return currency_code(value)
    except DomainError as error:
        out.problem(name, str(error))
        return None


def _amount(
    item: Mapping[str, Any], name: str, currency: str | None, out: Parsed, comma: bool | None
) -> Money | None:
    value = item.get(name)
    if value is None or currency is None:
        return None
    try:
        number = (
            parse_amount(value, decimal_comma=comma)
            if isinstance(value, str)
            else to_decimal(value)
        )
        return Money(number, currency)
    except DomainError as error:
        out.problem(name, str(error))
        return None


def _original(
    item: Mapping[str, Any], out: Parsed, comma: bool | None, amount: Money | None
) -> Money | None:
    """The merchant's amount; the amount itself when neither original field is given."""
    has_currency = item.get("original_currency") is not None
    currency = _currency(item, "original_currency", out)
    if item.get("original_amount") is None:
        if has_currency:
            out.problem("original_amount", "is required when original_currency is given")
            return None
        return amount
    if not has_currency:
        currency = amount.currency if amount else None
    return _amount(item, "original_amount", currency, out, comma)


def _fx_rate(
    item: Mapping[str, Any], out: Parsed, amount: Money, original: Money
) -> Decimal | None:
    """The given rate, or the one the two amounts imply; None within one currency."""
    if original.currency == amount.currency:
        return None
    given = item.get("fx_rate")
    if given is not None:
        try:
            return to_decimal(given)
        except DomainError as error:
            out.problem("fx_rate", str(error))
            return None
    # Zero or opposite-signed amounts are the domain's to refuse; a rate is a magnitude.
    return None if original.is_zero else abs(amount.amount / original.amount)
