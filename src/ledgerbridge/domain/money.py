"""Money: a Decimal amount with an ISO 4217 currency. Never a float.

Rounding to cents is half-up, as Dutch VAT is rounded.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from ledgerbridge.domain.errors import InvalidMoney

CENT = Decimal("0.01")

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


def currency_code(value: str) -> str:
    """The upper-cased code if it is an ISO 4217 currency; ``InvalidMoney`` otherwise."""
    code = value.strip().upper() if isinstance(value, str) else value
    if not isinstance(code, str) or code not in CURRENCIES:
        raise InvalidMoney(f"unknown currency {value!r} (expected an ISO 4217 code such as EUR)")
    return code


def to_decimal(value: object) -> Decimal:
    """An exact Decimal from a Decimal, int or numeric string. Floats are refused.

    Strings may use a decimal point only (locale handling belongs to the CSV reader).
    """
    if isinstance(value, (bool, float)):
        raise InvalidMoney(f'amount {value!r} is a float; send it as a string such as "12.34"')
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise InvalidMoney(f"amount {value!r} is not a number") from None
    else:
        raise InvalidMoney(f"amount {value!r} is not a number")
    if not result.is_finite():
        raise InvalidMoney(f"amount {value!r} is not a finite number")
    return result


def round_cents(amount: Decimal, places: int = 2) -> Decimal:
    """Round half-up to ``places`` decimals (cents by default)."""
    return amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True, order=False)
class Money:
    """An amount in one currency, exact to the currency's minor unit."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        code = currency_code(self.currency)
        amount = to_decimal(self.amount)
        places = MINOR_UNITS.get(code, 2)
        if amount != round_cents(amount, places):
            raise InvalidMoney(
                f"{amount} {code} has more than {places} decimals; amounts are exact to the "
                f"{'cent' if places == 2 else 'minor unit'}"
            )
        object.__setattr__(self, "currency", code)
        object.__setattr__(self, "amount", round_cents(amount, places))

    @classmethod
    def of(cls, amount: object, currency: str) -> Money:
        """Money from an exact value; rounds half-up to the minor unit first."""
        code = currency_code(currency)
        return cls(round_cents(to_decimal(amount), MINOR_UNITS.get(code, 2)), code)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    def _same(self, other: Money) -> None:
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

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    @property
    def is_zero(self) -> bool:
        return self.amount == 0

    def __str__(self) -> str:
        return f"{self.currency} {self.amount:,.{MINOR_UNITS.get(self.currency, 2)}f}"
