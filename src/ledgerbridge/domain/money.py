"""Money: a Decimal amount with an ISO 4217 currency. Never a float.

Rounding to the currency's minor unit (cents for most) is half-up — away from
zero on a tie — as Dutch VAT is rounded, so a refund rounds as the mirror image
of the purchase. ``parse_amount`` turns what a person or a bank export typed
("1.234,56", "-12,50", "1,234.56") into an exact Decimal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from ledgerbridge.domain.errors import InvalidMoney

CENT = Decimal("0.01")

# Larger than any card or bank amount; keeps Decimal arithmetic far from its 28-digit precision.
MAX_AMOUNT = Decimal("1e15")

# More decimals than this in typed input is a float's binary noise, not an amount someone meant.
MAX_INPUT_DECIMALS = 6

# Active ISO 4217 codes (2024 list) with their minor units where not 2.
CURRENCIES: frozenset[str] = frozenset(
    """AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN
    BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP
    GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS
    KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR
    MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF
    SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD
    TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG""".split()
)
MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys("BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF".split(), 0),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
}

_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_TYPED_NUMBER = re.compile(r"[+-]?[\d.,]+")
# "1 234,56": spaces (also no-break ones) may group thousands, and only that.
_SPACE_GROUPED = re.compile(r"[+-]?\d{1,3}([ \u00a0\u202f]\d{3})+([.,]\d+)?")
_MINUS_SIGNS = str.maketrans({"\u2212": "-", "\u2013": "-"})


def currency_code(value: str) -> str:
    """The upper-cased code if it is an ISO 4217 currency; ``InvalidMoney`` otherwise."""
    if isinstance(value, str) and value in CURRENCIES:  # already a code: the common case
        return value
    code = value.strip().upper() if isinstance(value, str) else value
    if not isinstance(code, str) or code not in CURRENCIES:
        raise InvalidMoney(f"unknown currency {value!r} (expected an ISO 4217 code such as EUR)")
    return code


def minor_units(currency: str) -> int:
    """Decimals of the currency's minor unit: 2 for EUR, 0 for JPY, 3 for KWD."""
    return MINOR_UNITS.get(currency_code(currency), 2)


def to_decimal(value: object) -> Decimal:
    """An exact Decimal from a Decimal, int or plain numeric string ("-12.34").

    Floats (and bools) are refused, as are exponents ("1e3"), NaN and infinities.
    Strings use a decimal point only; typed input with commas goes through
    ``parse_amount``. Raises ``InvalidMoney``.
    """
    if isinstance(value, (bool, float)):
        raise InvalidMoney(f'amount {value!r} is a float; send it as a string such as "12.34"')
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str) and _PLAIN_NUMBER.fullmatch(value.strip()):
        result = Decimal(value.strip())
    else:
        raise InvalidMoney(f"amount {value!r} is not a number such as 12.34")
    if not result.is_finite():
        raise InvalidMoney(f"amount {value!r} is not a finite number")
    if abs(result) >= MAX_AMOUNT:
        raise InvalidMoney(f"amount {value!r} is too large to be a transaction amount")
    return result


_UNITS = {places: Decimal(1).scaleb(-places) for places in range(5)}


def round_cents(amount: Decimal, places: int = 2) -> Decimal:
    """Round half-up (ties away from zero) to ``places`` decimals (cents by default)."""
    unit = _UNITS.get(places) or Decimal(1).scaleb(-places)
    try:
        return amount.quantize(unit, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise InvalidMoney(f"amount {amount} is too large to round to {places} decimals") from None


def parse_amount(text: str, *, decimal_comma: bool | None) -> Decimal:
    """The exact amount a person or a bank export wrote, as a Decimal.

    ``decimal_comma=True``: "1.234,56" (Dutch); ``False``: "1,234.56"; ``None``:
    decide per value — when both separators occur the last one is the decimal
    separator; a lone comma followed by other than three digits ("-12,50") is a
    decimal comma; otherwise "." is the decimal point and "," groups thousands,
    so an ambiguous "1.234" is 1.234 and "1,234" is 1234. Thousands groups must
    be three digits; spaces may group them too ("1 234,56"). Exponents, float
    noise (more than ``MAX_INPUT_DECIMALS`` decimals) and anything else are
    refused with ``InvalidMoney`` quoting the text.
    """
    cleaned = text.strip().translate(_MINUS_SIGNS) if isinstance(text, str) else ""
    if _SPACE_GROUPED.fullmatch(cleaned):
        cleaned = re.sub(r"\s", "", cleaned)
    if not _TYPED_NUMBER.fullmatch(cleaned):
        raise InvalidMoney(_not_a_number(text))
    sign = "-" if cleaned[0] == "-" else ""
    body = cleaned[1:] if cleaned[0] in "+-" else cleaned
    point = _decimal_separator(body, decimal_comma)
    grouping = "," if point == "." else "."
    whole, _, fraction = body.partition(point)
    if point in fraction or grouping in fraction or not whole or (point in body and not fraction):
        raise InvalidMoney(f"amount {text!r} has misplaced separators")
    if grouping in whole and not re.fullmatch(rf"\d{{1,3}}(\{grouping}\d{{3}})+", whole):
        raise InvalidMoney(f"amount {text!r}: thousands must be grouped by three digits")
    if len(fraction) > MAX_INPUT_DECIMALS:
        raise InvalidMoney(
            f"amount {text!r} has {len(fraction)} decimals: it looks like a float's rounding "
            "noise; send the amount as written on the receipt"
        )
    point_and_fraction = f".{fraction}" if fraction else ""
    return to_decimal(f"{sign}{whole.replace(grouping, '')}{point_and_fraction}")


def _decimal_separator(body: str, decimal_comma: bool | None) -> str:
    if decimal_comma is not None:
        return "," if decimal_comma else "."
    if "," in body and "." in body:
        return "," if body.rfind(",") > body.rfind(".") else "."
    if body.count(".") > 1:
        return ","
    if body.count(",") == 1 and not re.search(r",\d{3}$", body):
        return ","
    return "."


def _not_a_number(text: object) -> str:
    if isinstance(text, str) and re.search(r"\d[eE][+-]?\d", text):
        return f"amount {text!r} uses an exponent; write the amount out in full"
    if isinstance(text, float):
        return f'amount {text!r} is a float; send it as a string such as "12.34"'
    return f"amount {text!r} is not a number such as 1234.56 or 1.234,56"


@dataclass(frozen=True, slots=True, order=False)
class Money:
    """An amount in one currency, exact to the currency's minor unit.

    Construction refuses floats, unknown currencies and amounts finer than the
    minor unit (``Money.of`` rounds half-up instead). Arithmetic and comparison
    between different currencies raise ``InvalidMoney``.
    """

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        code = currency_code(self.currency)
        amount = to_decimal(self.amount)
        places = MINOR_UNITS.get(code, 2)
        rounded = round_cents(amount, places)
        if amount != rounded:
            unit = "cent" if places == 2 else "minor unit"
            raise InvalidMoney(
                f"{amount} {code} has more than {places} decimals; amounts are exact to the {unit}"
            )
        object.__setattr__(self, "currency", code)
        object.__setattr__(self, "amount", rounded)

    @classmethod
    def of(cls, amount: object, currency: str) -> Money:
        """Money from an exact value; rounds half-up to the minor unit first."""
        code = currency_code(currency)
        return cls(round_cents(to_decimal(amount), MINOR_UNITS.get(code, 2)), code)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    @classmethod
    def total(cls, items: Iterable[Money], currency: str) -> Money:
        """The total of ``items`` (zero when empty); all must be in ``currency``."""
        total = cls.zero(currency)
        for item in items:
            total = total + item
        return total

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise InvalidMoney(f"cannot combine {self} with {other!r}: not money")
        if other.currency != self.currency:
            raise InvalidMoney(f"cannot combine {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.amount), self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    @property
    def is_zero(self) -> bool:
        return self.amount == 0

    @property
    def places(self) -> int:
        """Decimals of this currency's minor unit."""
        return MINOR_UNITS.get(self.currency, 2)

    def __str__(self) -> str:
        return f"{self.currency} {self.amount:,.{self.places}f}"
