"""Reading CSV headers and amounts as Dutch and international bank exports write them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ledgerbridge.services.transactions.csv_import import CsvImportError, parse_header
from ledgerbridge.services.transactions.input import parse_transaction

TODAY = date(2026, 11, 25)


def row(**changes: object) -> dict[str, object]:
    base = {
        "external_id": "x1",
        "booking_date": "2026-11-20",
        "amount": "-12.50",
        "currency": "EUR",
    }
    return base | changes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234.56", "1234.56"),
        ("-1,234.56", "-1234.56"),
        ("1.234,56", "1234.56"),
        ("-12,5", "-12.5"),
        ("1.234.567,89", "1234567.89"),
        ("1,234,567", "1234567"),
        ("7", "7"),
        (" -3,00 ", "-3.00"),
        ("-1 234,56", "-1234.56"),
    ],
)
def test_csv_amounts_are_read_with_a_decimal_point_or_a_decimal_comma(
    text: str, expected: str
) -> None:
    # A transfer may go either way, so only the reading of the amount is under test.
    parsed = parse_transaction(row(amount=text, kind="transfer"), today=TODAY, decimal_comma=None)
    assert parsed.problems == []
    assert parsed.values["amount"] == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("12.3.4,5x", "is not a number"),
        ("abc", "is not a number"),
        ("1,23,4.5", "grouped by three"),
        ("--1", "is not a number"),
        ("1e3", "exponent"),
        ("12 34", "is not a number"),
    ],
)
def test_text_that_is_not_an_amount_is_refused_quoting_it(text: str, message: str) -> None:
    parsed = parse_transaction(row(amount=text), today=TODAY, decimal_comma=None)
    [(name, problem)] = parsed.problems
    assert name == "amount"
    assert message in problem and repr(text) in problem


def test_the_api_accepts_only_a_decimal_point() -> None:
    parsed = parse_transaction(row(amount="-12,50"), today=TODAY)
    assert [name for name, _ in parsed.problems] == ["amount"]


def test_a_semicolon_header_is_recognised_whatever_the_case() -> None:
    delimiter, columns = parse_header("External_ID;booking_date;Amount;currency\r\n")
    assert delimiter == ";"
    assert columns == ["external_id", "booking_date", "amount", "currency"]


def test_a_wrong_header_names_the_missing_and_unknown_columns() -> None:
    with pytest.raises(CsvImportError) as caught:
        parse_header("id,booking_date,amount,currency,colour\n")
    message = str(caught.value)
    assert "line 1" in message
    assert "missing column(s): external_id" in message
    assert "unknown column(s): 'id', 'colour'" in message


def test_an_empty_file_is_refused_with_a_reason() -> None:
    with pytest.raises(CsvImportError, match="empty"):
        parse_header("")


def test_a_csv_row_of_strings_becomes_typed_values() -> None:
    row = {
        "external_id": "x1",
        "booking_date": "2026-11-20",
        "settlement_date": "",
        "amount": "-1.234,56",
        "currency": "eur",
        "original_amount": "",
        "original_currency": "",
        "merchant_country": "nl",
        "mcc": "5411",
    }
    parsed = parse_transaction(row, today=TODAY, decimal_comma=None)
    assert parsed.problems == []
    assert parsed.values["amount"] == Decimal("-1234.56")
    assert parsed.values["currency"] == "EUR"
    assert parsed.values["original_amount"] == Decimal("-1234.56")
    assert parsed.values["fx_rate"] is None
    assert parsed.values["merchant_country"] == "NL"
    assert parsed.values["settlement_date"] is None


def test_a_float_amount_is_refused_because_it_may_have_lost_precision() -> None:
    parsed = parse_transaction(
        {"external_id": "f", "booking_date": "2026-11-20", "amount": 12.5, "currency": "EUR"},
        today=TODAY,
    )
    assert parsed.problems[0][0] == "amount"
    assert "float" in parsed.problems[0][1]


def test_an_original_amount_of_the_other_sign_is_refused() -> None:
    parsed = parse_transaction(
        {
            "external_id": "s",
            "booking_date": "2026-11-20",
            "amount": "-10.00",
            "currency": "EUR",
            "original_amount": "11.00",
            "original_currency": "USD",
        },
        today=TODAY,
    )
    assert parsed.problems == [
        ("original_amount", "USD 11.00 must have the same sign as amount EUR -10.00")
    ]


def test_an_empty_amount_is_required() -> None:
    parsed = parse_transaction(row(amount=""), today=TODAY, decimal_comma=None)
    assert parsed.problems == [("amount", "is required")]


def test_intake_applies_the_domain_rules_naming_each_field() -> None:
    parsed = parse_transaction(
        row(amount="12.50", settlement_date="2026-11-19", mcc="1", external_id="x" * 101),
        today=TODAY,
    )
    assert [name for name, _ in parsed.problems] == [
        "external_id",
        "amount",
        "settlement_date",
        "mcc",
    ]
    assert parsed.external_id == "x" * 101
    assert parsed.values == {}


def test_every_unreadable_and_every_refused_field_is_reported_at_once() -> None:
    parsed = parse_transaction(
        row(amount="abc", booking_date="1999-12-31", card_last4="42"), today=TODAY
    )
    assert [name for name, _ in parsed.problems] == ["amount", "booking_date", "card_last4"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "gift", "amount": "12.50"}, "kind"),
        ({"currency": "EURO", "original_amount": "-13.00", "original_currency": "USD"}, "currency"),
        ({"booking_date": "20-11-2026", "settlement_date": "2026-11-01"}, "booking_date"),
    ],
)
def test_a_field_that_cannot_be_read_causes_no_knock_on_problems(
    changes: dict[str, str], field: str
) -> None:
    parsed = parse_transaction(row(**changes), today=TODAY)
    assert [name for name, _ in parsed.problems] == [field]
