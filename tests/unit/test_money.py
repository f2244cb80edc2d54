"""Money and typed amounts: exact, in a real currency, never a float."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ledgerbridge.domain.errors import DomainError, InvalidMoney
from ledgerbridge.domain.money import Money, parse_amount, round_cents, to_decimal


def eur(text: str) -> Money:
    return Money(Decimal(text), "EUR")


def test_currency_is_checked_against_iso_4217_and_upper_cased() -> None:
    assert Money(Decimal("1.00"), " usd ").currency == "USD"
    with pytest.raises(InvalidMoney, match="unknown currency 'EUX'"):
        Money(Decimal("1.00"), "EUX")


def test_a_float_amount_is_refused_with_a_hint_to_send_a_string() -> None:
    with pytest.raises(InvalidMoney, match=r'as a string such as "12\.34"'):
        Money(0.1, "EUR")
    with pytest.raises(InvalidMoney, match="float"):
        Money.of(12.5, "EUR")


def test_more_decimals_than_the_currency_has_are_refused() -> None:
    with pytest.raises(InvalidMoney, match="more than 2 decimals"):
        eur("12.345")
    with pytest.raises(InvalidMoney, match="more than 0 decimals"):
        Money(Decimal("100.5"), "JPY")
    assert Money(Decimal("1.234"), "KWD").amount == Decimal("1.234")


def test_money_of_rounds_half_up_away_from_zero_for_refunds_too() -> None:
    assert Money.of("2.345", "EUR") == eur("2.35")
    assert Money.of("-2.345", "EUR") == eur("-2.35")
    assert Money.of("2.3449", "EUR") == eur("2.34")
    assert round_cents(Decimal("0.125")) == Decimal("0.13")


def test_trailing_zeros_do_not_make_different_money() -> None:
    assert Money(Decimal("12.340"), "EUR") == eur("12.34")
    assert len({Money(Decimal("5"), "EUR"), eur("5.00")}) == 1
    assert str(Money(Decimal("5"), "EUR")) == "EUR 5.00"


def test_adding_and_comparing_different_currencies_is_refused() -> None:
    with pytest.raises(InvalidMoney, match="cannot combine EUR and USD"):
        eur("1.00") + Money(Decimal("1.00"), "USD")
    with pytest.raises(InvalidMoney, match="cannot combine"):
        assert eur("1.00") < Money(Decimal("2.00"), "USD")


def test_arithmetic_and_ordering_stay_exact() -> None:
    assert eur("0.10") + eur("0.20") == eur("0.30")
    assert eur("-32.45") - eur("-30.00") == eur("-2.45")
    assert abs(eur("-2.45")) == -eur("-2.45") == eur("2.45")
    assert eur("1.00") < eur("1.01") <= eur("1.01") and eur("2.00") >= eur("1.99") > eur("1.98")
    assert Money.total([eur("1.10"), eur("2.20")], "EUR") == eur("3.30")
    assert Money.total([], "EUR").is_zero


def test_money_prints_with_thousands_and_its_minor_unit() -> None:
    assert str(eur("-1234.5")) == "EUR -1,234.50"
    assert str(Money(Decimal("1500"), "JPY")) == "JPY 1,500"


@pytest.mark.parametrize("value", ["NaN", "Infinity", "1e3", "12,50", "", "1_000", True])
def test_to_decimal_refuses_anything_but_a_plain_number(value: object) -> None:
    with pytest.raises(InvalidMoney):
        to_decimal(value)


def test_absurdly_large_amounts_are_refused_instead_of_losing_precision() -> None:
    with pytest.raises(InvalidMoney, match="too large"):
        Money.of("1" + "0" * 30, "EUR")


@pytest.mark.parametrize(
    ("text", "decimal_comma", "expected"),
    [
        ("1234.56", None, "1234.56"),
        ("1.234,56", None, "1234.56"),
        ("1,234.56", None, "1234.56"),
        ("-12,50", None, "-12.50"),
        ("1.234", None, "1.234"),
        ("1,234", None, "1234"),
        ("1.234.567", None, "1234567"),
        ("1.234", True, "1234"),
        ("1,234", True, "1.234"),
        ("1,234", False, "1234"),
        ("1.234,56", True, "1234.56"),
        ("  +7.5 ", False, "7.5"),
        ("\u22123,10", True, "-3.10"),
        ("0", None, "0"),
        ("1 234,56", None, "1234.56"),
        ("-1\u00a0234\u00a0567.5", False, "-1234567.5"),
    ],
)
def test_typed_amounts_are_read_as_people_and_bank_exports_write_them(
    text: str, decimal_comma: bool | None, expected: str
) -> None:
    assert parse_amount(text, decimal_comma=decimal_comma) == Decimal(expected)


def test_float_noise_in_typed_amounts_is_refused() -> None:
    with pytest.raises(InvalidMoney, match="34 decimals: it looks like a float"):
        parse_amount("0.1000000000000000055511151231257827", decimal_comma=None)


def test_exponents_are_refused_with_a_clear_message() -> None:
    with pytest.raises(InvalidMoney, match="exponent"):
        parse_amount("1e3", decimal_comma=False)


@pytest.mark.parametrize(
    ("text", "decimal_comma", "message"),
    [
        ("", None, "not a number"),
        ("twelve", None, "not a number"),
        ("EUR 12", None, "not a number"),
        ("1 23,45", True, "not a number"),
        ("--5", None, "not a number"),
        ("12.34,56", None, "grouped by three"),
        ("1,2,3", None, "grouped by three"),
        ("1.234,56", False, "misplaced separators"),
        (".5", None, "misplaced separators"),
        ("5.", None, "misplaced separators"),
    ],
)
def test_malformed_typed_amounts_are_refused_quoting_the_text(
    text: str, decimal_comma: bool | None, message: str
) -> None:
    with pytest.raises(DomainError, match=message) as caught:
        parse_amount(text, decimal_comma=decimal_comma)
    assert repr(text) in str(caught.value)


def test_three_decimals_parse_but_are_refused_as_euros() -> None:
    amount = parse_amount("12,345", decimal_comma=True)
    with pytest.raises(InvalidMoney, match="more than 2 decimals"):
        Money(amount, "EUR")
