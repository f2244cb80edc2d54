"""VAT codes and the VAT split: the worked examples of BOOKKEEPING.md and its rounding rules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerbridge.domain.coding import CodingLine
from ledgerbridge.domain.dimension_facts import VatCodeFacts
from ledgerbridge.domain.dimensions import Dimension, DimensionKind
from ledgerbridge.domain.errors import DomainError, InvalidCoding
from ledgerbridge.domain.money import Money, round_cents
from ledgerbridge.domain.vat import (
    VatRate,
    VatRule,
    VatSplit,
    VatTransactionType,
    VatType,
    split_vat,
)

DAY = date(2026, 5, 18)
CENT = Decimal("0.01")

RULES = {
    "21E": VatRule("21E", VatType.EXCLUDING, ((Decimal("0.21"), None, None),)),
    "21I": VatRule("21I", VatType.INCLUDING, ((Decimal("0.21"), None, None),)),
    "9I": VatRule("9I", VatType.INCLUDING, ((Decimal("0.09"), None, None),)),
    "9E": VatRule("9E", VatType.EXCLUDING, ((Decimal("0.09"), None, None),)),
    "RC": VatRule("RC", VatType.EXCLUDING, ((Decimal("0.21"), None, None),), reverse_charge=True),
    "0": VatRule("0", VatType.ZERO_RATED),
    "N": VatRule("N", VatType.NO_VAT),
}


def eur(text: str) -> Money:
    return Money(Decimal(text), "EUR")


def split_one(amount: str, vat_code: str | None) -> VatSplit:
    [split] = split_vat([CodingLine("4000", eur(amount), vat_code)], RULES, DAY)
    return split


def shape(split: VatSplit) -> tuple[str, str, str, str]:
    return (str(split.net), str(split.vat), str(split.gross), str(split.amount_fc))


def test_domestic_purchase_with_an_excluding_code_sends_the_net_as_amount_fc() -> None:
    # BOOKKEEPING §1: Coolblue €121.00 → net 100.00 + VAT 21.00.
    assert shape(split_one("-121.00", "21E")) == (
        "EUR -100.00",
        "EUR -21.00",
        "EUR -121.00",
        "EUR -100.00",
    )


def test_domestic_purchase_with_an_including_code_sends_the_gross_as_amount_fc() -> None:
    assert split_one("-121.00", "21I").amount_fc == eur("-121.00")
    assert split_one("-121.00", "21I").vat == eur("-21.00")


def test_one_receipt_with_two_rates_splits_each_line_and_adds_up_to_the_card_amount() -> None:
    # BOOKKEEPING §2: 22.00 + 1.98 (9 %) and 7.00 + 1.47 (21 %) = 32.45.
    lines = [CodingLine("4500", eur("-23.98"), "9I"), CodingLine("4600", eur("-8.47"), "21I")]
    splits = split_vat(lines, RULES, DAY)
    assert [(s.net, s.vat) for s in splits] == [
        (eur("-22.00"), eur("-1.98")),
        (eur("-7.00"), eur("-1.47")),
    ]
    assert sum(s.gross.amount for s in splits) == Decimal("-32.45")


def test_a_rounding_cent_goes_to_the_net_of_a_single_line() -> None:
    # 10.00 at 21 %: net 8.26, VAT 1.73 leaves a cent; the entry must still be 10.00.
    assert shape(split_one("-10.00", "21E")) == (
        "EUR -8.27",
        "EUR -1.73",
        "EUR -10.00",
        "EUR -8.27",
    )


def test_a_rounding_cent_of_a_smaller_line_goes_to_the_largest_line_net() -> None:
    lines = [CodingLine("4600", eur("-10.00"), "21E"), CodingLine("4500", eur("-20.00"), "9E")]
    small, large = split_vat(lines, RULES, DAY)
    assert (small.net, small.vat, small.gross) == (eur("-8.26"), eur("-1.73"), eur("-9.99"))
    assert (large.net, large.vat, large.gross) == (eur("-18.36"), eur("-1.65"), eur("-20.01"))


def test_eu_service_with_reverse_charge_books_the_net_without_vat() -> None:
    # BOOKKEEPING §3: Irish SaaS €12.00; Exact books 21 % to pay and to claim itself.
    assert shape(split_one("-12.00", "RC")) == (
        "EUR -12.00",
        "EUR 0.00",
        "EUR -12.00",
        "EUR -12.00",
    )


def test_refund_mirrors_the_purchase_with_positive_amounts() -> None:
    # BOOKKEEPING §5: Coolblue refunds €121.00 → net 100.00, VAT 21.00.
    assert (split_one("121.00", "21E").net, split_one("121.00", "21E").vat) == (
        eur("100.00"),
        eur("21.00"),
    )
    assert split_one("10.00", "21E").net == -split_one("-10.00", "21E").net


def test_non_deductible_restaurant_vat_is_booked_gross_with_the_no_vat_code() -> None:
    # BOOKKEEPING §8: €48.40 on business meals, nothing on VAT to claim.
    assert shape(split_one("-48.40", "N")) == ("EUR -48.40", "EUR 0.00", "EUR -48.40", "EUR -48.40")


def test_zero_rated_flight_ticket_has_no_vat() -> None:
    # BOOKKEEPING §9: international flight €310.00 at 0 %.
    assert shape(split_one("-310.00", "0")) == (
        "EUR -310.00",
        "EUR 0.00",
        "EUR -310.00",
        "EUR -310.00",
    )


def test_a_line_without_vat_code_books_the_gross_as_net() -> None:
    assert split_one("-0.50", None).net == eur("-0.50")


def test_an_unknown_vat_code_is_refused_naming_the_line() -> None:
    with pytest.raises(InvalidCoding, match="line 1: unknown VAT code 6E"):
        split_one("-1.00", "6E")


def test_the_rate_valid_on_the_transaction_date_is_used_when_rates_changed() -> None:
    rule = VatRule(
        "H",
        VatType.EXCLUDING,
        (
            (Decimal("0.19"), None, date(2012, 9, 30)),
            (Decimal("0.21"), date(2012, 10, 1), None),
        ),
    )
    assert rule.percentage_on(date(2012, 9, 30)) == Decimal("0.19")
    assert rule.percentage_on(date(2012, 10, 1)) == Decimal("0.21")


def test_a_code_without_a_rate_on_the_date_cannot_split_the_line() -> None:
    rule = VatRule("L", VatType.INCLUDING, (VatRate(Decimal("0.06"), None, date(2018, 12, 31)),))
    with pytest.raises(DomainError, match="VAT code L has no percentage valid on 2026-05-18"):
        rule.percentage_on(DAY)
    with pytest.raises(InvalidCoding, match="line 1: VAT code L"):
        split_vat([CodingLine("4000", eur("-1.00"), "L")], {"L": rule}, DAY)


def test_zero_and_no_vat_codes_have_a_zero_rate_whatever_is_listed() -> None:
    assert RULES["0"].percentage_on(DAY) == 0
    assert RULES["N"].percentage_on(DAY) == 0


def test_a_percentage_given_as_21_instead_of_a_fraction_is_refused() -> None:
    with pytest.raises(DomainError, match="fraction between 0 and 1"):
        VatRule("21", VatType.EXCLUDING, ((Decimal("21"), None, None),))


def vat_dimension(facts: VatCodeFacts | None) -> Dimension:
    return Dimension(DimensionKind.VAT_CODE, "2", "VAT 21% excl.", facts=facts)


def test_a_rule_is_read_from_a_synced_vat_code_dimension() -> None:
    rule = VatRule.from_dimension(
        vat_dimension(
            VatCodeFacts(
                VatType.EXCLUDING,
                VatTransactionType.BOTH,
                (
                    VatRate(Decimal("0.19"), None, date(2012, 9, 30)),
                    VatRate(Decimal("0.21"), date(2012, 10, 1), None),
                ),
            )
        )
    )
    assert (rule.code, rule.type, rule.transaction_type) == (
        "2",
        VatType.EXCLUDING,
        VatTransactionType.BOTH,
    )
    assert rule.for_purchases and rule.percentage_on(DAY) == Decimal("0.21")


def test_a_vat_code_dimension_without_usable_facts_is_refused_by_code() -> None:
    with pytest.raises(DomainError, match="VAT code 2 has no facts from Exact Online"):
        VatRule.from_dimension(vat_dimension(None))
    rates = (VatRate(Decimal("21")),)
    with pytest.raises(DomainError, match=r"VAT code 2: percentage .* must be a fraction"):
        VatRule.from_dimension(
            vat_dimension(VatCodeFacts(VatType.EXCLUDING, VatTransactionType.PURCHASE, rates))
        )
    with pytest.raises(DomainError, match="GL account 4000 is not a VAT code"):
        VatRule.from_dimension(Dimension(DimensionKind.GL_ACCOUNT, "4000", "Costs"))


# -- properties over random receipts -------------------------------------------------------

RATES = st.one_of(
    st.sampled_from([Decimal("0"), Decimal("0.09"), Decimal("0.21")]),
    st.decimals(min_value=0, max_value=Decimal("0.5"), places=4),
)
KINDS = st.sampled_from(["E", "I", "B", "N", "RC", None])
# Pure and fast: a pause on a loaded CI machine must not fail a property as "too slow".
NO_DEADLINE = settings(deadline=None)


@st.composite
def receipts(draw: st.DrawFn) -> tuple[list[CodingLine], dict[str, VatRule]]:
    """1–6 lines signed like one transaction, each with its own random VAT code."""
    sign = draw(st.sampled_from([-1, 1]))
    lines, rules = [], {}
    for index in range(draw(st.integers(1, 6))):
        cents = draw(st.integers(1, 10_000_000))
        kind, rate = draw(KINDS), draw(RATES)
        code = None if kind is None else f"c{index}"
        if code is not None:
            vat_type = VatType.EXCLUDING if kind == "RC" else VatType(kind)
            rules[code] = VatRule(
                code, vat_type, ((rate, None, None),), reverse_charge=kind == "RC"
            )
        lines.append(CodingLine("4000", Money(Decimal(sign * cents) / 100, "EUR"), code))
    return lines, rules


def exact_vat(line: CodingLine, rule: VatRule | None) -> Decimal:
    if rule is None or rule.reverse_charge or rule.type in (VatType.ZERO_RATED, VatType.NO_VAT):
        return Decimal(0)
    rate = rule.percentage_on(DAY)
    return line.amount.amount * rate / (1 + rate)


@NO_DEADLINE
@given(receipts())
def test_net_plus_vat_of_all_lines_equals_what_was_paid_to_the_cent(
    receipt: tuple[list[CodingLine], dict[str, VatRule]],
) -> None:
    lines, rules = receipt
    splits = split_vat(lines, rules, DAY)
    assert sum(s.net.amount + s.vat.amount for s in splits) == sum(x.amount.amount for x in lines)
    assert all(s.net + s.vat == s.gross for s in splits)


@NO_DEADLINE
@given(receipts())
def test_every_vat_amount_is_within_a_cent_of_the_exact_vat(
    receipt: tuple[list[CodingLine], dict[str, VatRule]],
) -> None:
    lines, rules = receipt
    for line, split in zip(lines, split_vat(lines, rules, DAY), strict=True):
        rule = rules.get(line.vat_code) if line.vat_code else None
        assert abs(split.vat.amount - exact_vat(line, rule)) < CENT
        if rule is not None and exact_vat(line, rule) != 0:
            rate = rule.percentage_on(DAY)
            assert split.vat.amount == round_cents(
                round_cents(line.amount.amount / (1 + rate)) * rate
            )


@NO_DEADLINE
@given(receipts())
def test_amount_fc_is_the_gross_for_including_codes_and_the_net_otherwise(
    receipt: tuple[list[CodingLine], dict[str, VatRule]],
) -> None:
    lines, rules = receipt
    for line, split in zip(lines, split_vat(lines, rules, DAY), strict=True):
        rule = rules.get(line.vat_code) if line.vat_code else None
        including = rule is not None and rule.type is VatType.INCLUDING and not rule.reverse_charge
        assert split.amount_fc == (split.gross if including else split.net)
        if rule is None or rule.reverse_charge or rule.type in (VatType.ZERO_RATED, VatType.NO_VAT):
            assert split.vat.is_zero


@NO_DEADLINE
@given(receipts())
def test_rounding_moves_a_line_by_at_most_a_cent_and_the_largest_line_takes_the_rest(
    receipt: tuple[list[CodingLine], dict[str, VatRule]],
) -> None:
    lines, rules = receipt
    splits = split_vat(lines, rules, DAY)
    largest = max(range(len(lines)), key=lambda i: (abs(lines[i].amount), -i))
    for index, (line, split) in enumerate(zip(lines, splits, strict=True)):
        allowed = CENT * len(lines) if index == largest else CENT
        assert abs(split.gross.amount - line.amount.amount) <= allowed
