"""What intake accepts as a transaction, and what it tells the user when it does not."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from ledgerbridge.domain.money import Money
from ledgerbridge.domain.transactions import Transaction, TransactionKind, validate_transaction

TODAY = date(2026, 5, 20)


def eur(text: str) -> Money:
    return Money(Decimal(text), "EUR")


def coolblue(**changes: object) -> Transaction:
    txn = Transaction(
        external_id="tx-1",
        kind=TransactionKind.CARD_PAYMENT,
        booking_date=date(2026, 5, 18),
        amount=eur("-121.00"),
        original_amount=eur("-121.00"),
        merchant_name="Coolblue",
        merchant_country="NL",
        mcc="5732",
        card_last4="4242",
    )
    return replace(txn, **changes)


def fields(problems: list[str]) -> list[str]:
    return [problem.split(":")[0] for problem in problems]


def test_a_plain_card_payment_has_no_problems() -> None:
    assert validate_transaction(coolblue(), TODAY) == []


def test_a_zero_amount_is_refused() -> None:
    problems = validate_transaction(coolblue(amount=eur("0"), original_amount=eur("0")), TODAY)
    assert "amount: EUR 0.00 is zero; a transaction must move money" in problems


def test_a_booking_date_more_than_a_week_ahead_is_refused_but_a_week_is_fine() -> None:
    assert validate_transaction(coolblue(booking_date=date(2026, 5, 27)), TODAY) == []
    problems = validate_transaction(coolblue(booking_date=date(2026, 5, 28)), TODAY)
    assert problems == ["booking_date: 2026-05-28 is more than 7 days in the future"]


def test_a_settlement_date_in_the_future_is_refused_beyond_a_time_zone_day() -> None:
    # The issuer's "today" may already be tomorrow in UTC; two days ahead cannot have settled.
    assert validate_transaction(coolblue(settlement_date=date(2026, 5, 21)), TODAY) == []
    problems = validate_transaction(coolblue(settlement_date=date(2026, 5, 22)), TODAY)
    assert problems == [
        "settlement_date: 2026-05-22 is in the future; money settles on or before today"
    ]
    far = validate_transaction(coolblue(settlement_date=date(2027, 1, 1)), TODAY)
    assert fields(far) == ["settlement_date"]


def test_a_pre_authorised_future_booking_cannot_have_settled_yet() -> None:
    ahead = coolblue(booking_date=date(2026, 5, 25), settlement_date=date(2026, 5, 25))
    assert fields(validate_transaction(ahead, TODAY)) == ["settlement_date"]
    assert validate_transaction(replace(ahead, settlement_date=None), TODAY) == []


def test_a_date_before_2000_is_refused_as_a_typo() -> None:
    problems = validate_transaction(coolblue(booking_date=date(1926, 5, 18)), TODAY)
    assert problems == ["booking_date: 1926-05-18 is before 2000-01-01"]


def test_a_settlement_before_the_booking_is_refused_but_the_same_day_is_fine() -> None:
    assert validate_transaction(coolblue(settlement_date=date(2026, 5, 18)), TODAY) == []
    problems = validate_transaction(coolblue(settlement_date=date(2026, 5, 17)), TODAY)
    assert problems == ["settlement_date: 2026-05-17 is before the booking date 2026-05-18"]


@pytest.mark.parametrize(
    ("kind", "amount", "ok"),
    [
        (TransactionKind.CARD_PAYMENT, "-10.00", True),
        (TransactionKind.CARD_PAYMENT, "10.00", False),
        (TransactionKind.FEE, "-0.50", True),
        (TransactionKind.FEE, "0.50", False),
        (TransactionKind.REFUND, "121.00", True),
        (TransactionKind.REFUND, "-121.00", False),
        (TransactionKind.TRANSFER, "5000.00", True),
        (TransactionKind.TRANSFER, "-5000.00", True),
    ],
)
def test_each_kind_moves_money_in_its_own_direction(
    kind: TransactionKind, amount: str, ok: bool
) -> None:
    txn = coolblue(kind=kind, amount=eur(amount), original_amount=eur(amount))
    assert (validate_transaction(txn, TODAY) == []) is ok


def test_a_refund_with_a_negative_amount_says_it_should_be_money_in() -> None:
    txn = coolblue(kind=TransactionKind.REFUND)
    assert validate_transaction(txn, TODAY) == [
        "amount: a refund is money in (positive), got EUR -121.00"
    ]


def test_the_original_amount_must_have_the_same_sign() -> None:
    txn = coolblue(original_amount=Money(Decimal("8.75"), "USD"), fx_rate=Decimal("0.92"))
    assert fields(validate_transaction(txn, TODAY)) == ["original_amount"]


def test_a_foreign_currency_payment_with_its_rate_is_fine() -> None:
    txn = coolblue(
        amount=eur("-8.05"), original_amount=Money(Decimal("-8.75"), "USD"), fx_rate=Decimal("0.92")
    )
    assert validate_transaction(txn, TODAY) == []
    assert txn.is_foreign_currency and txn.money_out


def test_same_currency_amounts_must_agree_and_a_rate_must_be_positive() -> None:
    assert fields(validate_transaction(coolblue(original_amount=eur("-120.00")), TODAY)) == [
        "original_amount"
    ]
    assert fields(validate_transaction(coolblue(fx_rate=Decimal("-1")), TODAY)) == ["fx_rate"]
    assert fields(validate_transaction(coolblue(fx_rate=Decimal("1e10")), TODAY)) == ["fx_rate"]


@pytest.mark.parametrize("external_id", ["", "   ", "x" * 101])
def test_the_external_id_must_be_present_and_at_most_100_characters(external_id: str) -> None:
    assert fields(validate_transaction(coolblue(external_id=external_id), TODAY)) == ["external_id"]


def test_an_external_id_of_exactly_100_characters_is_fine() -> None:
    assert validate_transaction(coolblue(external_id="x" * 100), TODAY) == []


@pytest.mark.parametrize(
    ("name", "limit"), [("merchant_name", 255), ("cardholder", 255), ("description", 4000)]
)
def test_free_text_has_a_length_limit(name: str, limit: int) -> None:
    assert validate_transaction(coolblue(**{name: "x" * limit}), TODAY) == []
    problems = validate_transaction(coolblue(**{name: "x" * (limit + 1)}), TODAY)
    assert problems == [f"{name}: is {limit + 1} characters long, at most {limit} are allowed"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"card_last4": "424"}, "card_last4"),
        ({"card_last4": "42a2"}, "card_last4"),
        ({"mcc": "57321"}, "mcc"),
        ({"mcc": "cafe"}, "mcc"),
        ({"merchant_country": "NLD"}, "merchant_country"),
        ({"merchant_country": "1L"}, "merchant_country"),
    ],
)
def test_card_details_must_have_their_standard_shape(change: dict[str, str], field: str) -> None:
    assert fields(validate_transaction(coolblue(**change), TODAY)) == [field]


def test_country_is_upper_cased_and_optional_card_details_may_be_absent() -> None:
    txn = coolblue(merchant_country="nl", mcc=None, card_last4=None)
    assert txn.merchant_country == "NL"
    assert validate_transaction(txn, TODAY) == []


def test_every_problem_is_reported_at_once() -> None:
    txn = coolblue(external_id="", mcc="1", booking_date=date(2030, 1, 1))
    assert fields(validate_transaction(txn, TODAY)) == ["external_id", "booking_date", "mcc"]
