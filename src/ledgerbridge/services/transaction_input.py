"""Turning one incoming transaction (API item or CSV row) into checked column values.

Shared by the JSON API and the CSV import so both accept and refuse exactly
the same things. Every problem is reported as ``(field, message)``; nothing
raises for bad input.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from ledgerbridge.domain.errors import DomainError
from ledgerbridge.domain.money import Money, currency_code, to_decimal
from ledgerbridge.domain.transactions import TransactionKind

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
# Dates more than this far ahead are typos (2062 for 2026), not card transactions.
MAX_DAYS_AHEAD = 7
EARLIEST = date(2000, 1, 1)
LARGEST = Decimal(10) ** 14
FX_PLACES = Decimal("1e-10")
_POINT = re.compile(r"[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?")
_COMMA = re.compile(r"[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?")


@dataclass
class Parsed:
    """The outcome for one item: column values when ``problems`` is empty."""

    values: dict[str, Any] = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)

    def problem(self, name: str, message: str) -> None:
        self.problems.append((name, message))


def parse_amount_text(text: str, *, decimal_comma: bool | None) -> Decimal:
    """An exact Decimal from "1234.56", "1.234,56", "-12,5"…

    ``decimal_comma`` None guesses per value: the last of ',' and '.' is the
    decimal mark unless it repeats (then it groups thousands). Raises
    ``DomainError`` naming the text when it is not a number.
    """
    cleaned = text.strip().replace(" ", "").replace("\u00a0", "")
    comma = _is_decimal_comma(cleaned) if decimal_comma is None else decimal_comma
    pattern = _COMMA if comma else _POINT
    if not pattern.fullmatch(cleaned):
        raise DomainError(f"amount {text!r} is not a number")
    if comma:
        return Decimal(cleaned.replace(".", "").replace(",", "."))
    return Decimal(cleaned.replace(",", ""))


def _is_decimal_comma(text: str) -> bool:
    last_comma, last_point = text.rfind(","), text.rfind(".")
    if last_comma < 0:
        return False
    if last_point < 0:
        return text.count(",") == 1
    return last_comma > last_point


def parse_transaction(
    raw: Mapping[str, Any], *, today: date, decimal_comma: bool | None = False
) -> Parsed:
    """Check one transaction; empty strings count as absent.

    ``decimal_comma`` False (the API) accepts only a decimal point; the CSV
    import passes None to accept both. Amounts may be str, int or Decimal;
    floats are refused because they may already have lost precision.
    """
    item = {k: (None if v == "" else v) for k, v in raw.items()}
    out = Parsed()
    for name in sorted(set(item) - set(FIELDS) - set(API_ONLY_FIELDS)):
        out.problem(name, "unknown field")
    _identity(item, out)
    _dates(item, out, today)
    _money(item, out, decimal_comma)
    _merchant(item, out)
    return out


def _text(item: Mapping[str, Any], name: str, out: Parsed, limit: int) -> str | None:
    value = item.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        out.problem(name, "must be text")
        return None
    value = value.strip()
    if len(value) > limit:
        out.problem(name, f"is longer than {limit} characters")
        return None
    return value


def _identity(item: Mapping[str, Any], out: Parsed) -> None:
    external_id = _text(item, "external_id", out, 128)
    if not external_id:
        if not any(n == "external_id" for n, _ in out.problems):
            out.problem("external_id", "is required")
    else:
        out.values["external_id"] = external_id
    kind = _text(item, "kind", out, 32) or TransactionKind.CARD_PAYMENT.value
    try:
        out.values["kind"] = TransactionKind(kind.lower()).value
    except ValueError:
        allowed = ", ".join(k.value for k in TransactionKind)
        out.problem("kind", f"unknown kind {kind!r} (expected one of: {allowed})")


def _date(item: Mapping[str, Any], name: str, out: Parsed, today: date) -> date | None:
    text = _text(item, name, out, 10)
    if text is None:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        out.problem(name, f"{text!r} is not a date (expected YYYY-MM-DD)")
        return None
    if day > today + timedelta(days=MAX_DAYS_AHEAD):
        out.problem(name, f"{day.isoformat()} is in the future (today is {today.isoformat()})")
    elif day < EARLIEST:
        out.problem(name, f"{day.isoformat()} is before {EARLIEST.isoformat()}")
    else:
        out.values[name] = day
    return day


def _dates(item: Mapping[str, Any], out: Parsed, today: date) -> None:
    booking = _date(item, "booking_date", out, today)
    if booking is None and "booking_date" not in dict(out.problems):
        out.problem("booking_date", "is required")
    settlement = _date(item, "settlement_date", out, today)
    out.values.setdefault("settlement_date", None)
    if booking and settlement and settlement < booking:
        out.problem("settlement_date", "is before the booking date")


def _amount(
    item: Mapping[str, Any], name: str, currency: str | None, out: Parsed, comma: bool | None
) -> Money | None:
    value = item.get(name)
    if value is None or currency is None:
        return None
    try:
        number = parse_amount_text(value, decimal_comma=comma) if isinstance(value, str) else None
        money = Money(to_decimal(value) if number is None else number, currency)
    except DomainError as error:
        out.problem(name, str(error))
        return None
    if money.is_zero:
        out.problem(name, "must not be zero")
    elif abs(money.amount) >= LARGEST:
        out.problem(name, f"{money.amount} is implausibly large")
    else:
        return money
    return None


def _currency(item: Mapping[str, Any], name: str, out: Parsed) -> str | None:
    value = item.get(name)
    if value is None:
        return None
    try:
        return currency_code(value)
    except DomainError as error:
        out.problem(name, str(error))
        return None


def _money(item: Mapping[str, Any], out: Parsed, comma: bool | None) -> None:
    currency = _currency(item, "currency", out)
    for name in ("amount", "currency"):
        if item.get(name) is None:
            out.problem(name, "is required")
    amount = _amount(item, "amount", currency, out, comma)
    if amount is None:
        return
    original = _original(item, out, comma, amount)
    if original is None:
        return
    out.values |= {
        "amount": amount.amount,
        "currency": amount.currency,
        "original_amount": original.amount,
        "original_currency": original.currency,
        "fx_rate": _fx_rate(item, out, amount, original),
    }


def _original(
    item: Mapping[str, Any], out: Parsed, comma: bool | None, amount: Money
) -> Money | None:
    has_amount = item.get("original_amount") is not None
    currency = _currency(item, "original_currency", out)
    if not has_amount and item.get("original_currency") is None:
        return amount
    if not has_amount:
        out.problem("original_amount", "is required when original_currency is given")
        return None
    original = _amount(item, "original_amount", currency or amount.currency, out, comma)
    if original is not None and (original.amount > 0) != (amount.amount > 0):
        out.problem("original_amount", "must have the same sign as amount")
        return None
    return original


def _fx_rate(
    item: Mapping[str, Any], out: Parsed, amount: Money, original: Money
) -> Decimal | None:
    if original.currency == amount.currency:
        return None
    given = item.get("fx_rate")
    if given is None:
        return (amount.amount / original.amount).quantize(FX_PLACES)
    try:
        rate = to_decimal(given)
    except DomainError as error:
        out.problem("fx_rate", str(error))
        return None
    if rate <= 0:
        out.problem("fx_rate", "must be positive")
    return rate.quantize(FX_PLACES)


def _merchant(item: Mapping[str, Any], out: Parsed) -> None:
    for name, limit in (("merchant_name", 255), ("cardholder", 255), ("description", 4000)):
        out.values[name] = _text(item, name, out, limit) or ""
    country = _text(item, "merchant_country", out, 2)
    if country is not None and not re.fullmatch(r"[A-Za-z]{2}", country):
        out.problem("merchant_country", f"{country!r} is not a two-letter country code")
    out.values["merchant_country"] = country.upper() if country else None
    for name, length in (("mcc", 4), ("card_last4", 4)):
        value = item.get(name)
        text = str(value).strip() if isinstance(value, (str, int)) and value is not True else None
        if value is not None and (text is None or not re.fullmatch(rf"\d{{{length}}}", text)):
            out.problem(name, f"{value!r} must be exactly {length} digits")
        out.values[name] = text if value is not None else None
