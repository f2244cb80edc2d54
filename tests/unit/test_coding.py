"""Coding lines: where each part of a transaction is booked, adding up to what was paid."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ledgerbridge.domain.coding import Coding, CodingLine
from ledgerbridge.domain.errors import InvalidCoding
from ledgerbridge.domain.money import Money
from ledgerbridge.domain.transactions import Transaction, TransactionKind


def eur(text: str) -> Money:
    return Money(Decimal(text), "EUR")


def supermarket(amount: str = "-32.45") -> Transaction:
    return Transaction(
        external_id="tx-ah",
        kind=TransactionKind.CARD_PAYMENT,
        booking_date=date(2026, 5, 18),
        amount=eur(amount),
        original_amount=eur(amount),
        merchant_name="Albert Heijn",
    )


def test_two_lines_that_add_up_to_the_card_amount_make_a_coding() -> None:
    lines = [CodingLine("4500", eur("-23.98"), "9I"), CodingLine("4600", eur("-8.47"), "21I")]
    coding = Coding.for_transaction(supermarket(), lines)
    assert coding.total == eur("-32.45")
    assert [line.gl_account for line in coding.lines] == ["4500", "4600"]


def test_lines_that_fall_short_name_the_unassigned_difference() -> None:
    lines = [CodingLine("4500", eur("-30.00"), "9I")]
    with pytest.raises(InvalidCoding) as caught:
        Coding.for_transaction(supermarket(), lines)
    assert str(caught.value) == (
        "lines add up to EUR -30.00, the transaction is EUR -32.45: EUR 2.45 unassigned"
    )


def test_lines_that_exceed_the_amount_say_how_much_too_much() -> None:
    lines = [CodingLine("4500", eur("-20.00")), CodingLine("4600", eur("-12.46"))]
    with pytest.raises(
        InvalidCoding, match=r"EUR -32\.46, the transaction is EUR -32\.45: EUR 0\.01 too much"
    ):
        Coding.for_transaction(supermarket(), lines)


def test_a_refund_is_coded_with_positive_lines() -> None:
    coding = Coding.for_transaction(supermarket("121.00"), [CodingLine("4230", eur("121.00"))])
    assert coding.total == eur("121.00")


def test_a_coding_needs_at_least_one_line() -> None:
    with pytest.raises(InvalidCoding, match="at least one line"):
        Coding.for_transaction(supermarket(), [])


def test_lines_must_be_in_the_currency_the_card_was_charged_in() -> None:
    usd_line = CodingLine("4400", Money(Decimal("-32.45"), "USD"))
    with pytest.raises(InvalidCoding, match="coding lines are in USD, the transaction is in EUR"):
        Coding.for_transaction(supermarket(), [usd_line])


def test_lines_in_two_currencies_are_refused() -> None:
    lines = (CodingLine("4400", eur("-1.00")), CodingLine("4400", Money(Decimal("-1"), "USD")))
    with pytest.raises(InvalidCoding, match="mix currencies: EUR, USD"):
        Coding(lines)


def test_a_line_needs_a_gl_account_and_a_non_zero_amount() -> None:
    with pytest.raises(InvalidCoding, match="needs a GL account"):
        CodingLine("  ", eur("-1.00"))
    with pytest.raises(InvalidCoding, match="GL account 4500: a coding line cannot be zero"):
        CodingLine("4500", eur("0.00"))


def test_codes_are_trimmed_and_blank_optional_codes_mean_none() -> None:
    line = CodingLine(" 4500 ", eur("-1.00"), vat_code=" 21I ", cost_center="", project="  ")
    assert (line.gl_account, line.vat_code, line.cost_center, line.project) == (
        "4500",
        "21I",
        None,
        None,
    )
