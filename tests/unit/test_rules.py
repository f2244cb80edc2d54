"""Coding rules (domain): matching, ordering, plain-words explanations, refusals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledgerbridge.domain.rules import InvalidRule, Rule, explain, first_match, make_rule


@dataclass(frozen=True)
class Txn:
    merchant_name: str = "Coolblue B.V."
    mcc: str | None = "5732"
    cardholder: str = "Anna de Vries"
    description: str = "Monitor"


def rule(*conditions: dict[str, Any], position: int = 0, **assign: str) -> Rule:
    return make_rule("r", list(conditions), assign or {"gl_account": "4230"}, position=position)


def cond(field: str, match: str, value: Any) -> dict[str, Any]:
    return {"field": field, "match": match, "value": value}


@pytest.mark.parametrize(
    ("condition", "txn", "expected"),
    [
        (cond("merchant", "contains", "coolblue"), Txn(), True),
        (cond("merchant", "contains", "COOLBLUE"), Txn(merchant_name="coolblue"), True),
        (cond("merchant", "contains", "blue b"), Txn(), True),
        (cond("merchant", "contains", "bol.com"), Txn(), False),
        (cond("merchant", "equals", "coolblue b.v."), Txn(), True),
        (cond("merchant", "equals", "coolblue"), Txn(), False),
        (cond("merchant", "starts_with", "cool"), Txn(), True),
        (cond("merchant", "starts_with", "blue"), Txn(), False),
        (cond("cardholder", "starts_with", "anna"), Txn(), True),
        (cond("cardholder", "equals", "anna"), Txn(), False),
        (cond("description", "contains", "monitor"), Txn(), True),
        (cond("description", "equals", "monitor"), Txn(description=""), False),
        (cond("mcc", "equals", "5732"), Txn(), True),
        (cond("mcc", "equals", ["5411", "5732"]), Txn(), True),
        (cond("mcc", "equals", "5411, 5812"), Txn(), False),
        (cond("mcc", "equals", "5732"), Txn(mcc=None), False),
    ],
)
def test_a_condition_matches_any_case(condition: dict[str, Any], txn: Txn, expected: bool) -> None:
    assert rule(condition).matches(txn) is expected


def test_every_condition_must_hold() -> None:
    both = rule(cond("merchant", "contains", "cool"), cond("cardholder", "starts_with", "bob"))

    assert not both.matches(Txn())
    assert both.matches(Txn(cardholder="Bob"))


@pytest.mark.parametrize(
    ("conditions", "assignment", "field", "words"),
    [
        ([], {"gl_account": "4230"}, "conditions", "at least one condition"),
        (
            [cond("merchant", "contains", "  ")],
            {"gl_account": "4230"},
            "conditions.1.value",
            "cannot be empty",
        ),
        ([cond("merchant", "contains", "x")], {}, "assignment", "at least one value"),
        (
            [cond("merchant", "contains", "x")],
            {"gl_account": " "},
            "assignment",
            "at least one value",
        ),
        (
            [cond("merchant", "contains", "x")],
            {"colour": "red"},
            "assignment.colour",
            "cannot be assigned",
        ),
        ([cond("mcc", "starts_with", "54")], {"gl_account": "1"}, "conditions.1.match", "MCC"),
        ([cond("mcc", "equals", "54")], {"gl_account": "1"}, "conditions.1.value", "four digits"),
        (
            [cond("merchant", "equals", ["a", "b"])],
            {"gl_account": "1"},
            "conditions.1.value",
            "only the MCC",
        ),
        ([cond("shop", "equals", "a")], {"gl_account": "1"}, "conditions.1.field", "merchant"),
        ([cond("merchant", "like", "a")], {"gl_account": "1"}, "conditions.1.match", "contains"),
    ],
)
def test_a_rule_that_cannot_be_is_refused_with_its_reason(
    conditions: list[dict[str, Any]], assignment: dict[str, str], field: str, words: str
) -> None:
    with pytest.raises(InvalidRule) as refused:
        make_rule("r", conditions, assignment)

    assert any(name == field and words in why for name, why in refused.value.reasons), (
        refused.value.reasons
    )


def test_a_rule_without_a_name_is_refused() -> None:
    with pytest.raises(InvalidRule, match="name"):
        make_rule(" ", [cond("merchant", "contains", "x")], {"gl_account": "1"})


@pytest.mark.parametrize(
    ("conditions", "assignment", "expected"),
    [
        (
            [cond("merchant", "contains", "coolblue")],
            {"gl_account": "4230", "vat_code": "5"},
            'When the merchant contains "coolblue", assign GL account 4230 and VAT code 5',
        ),
        (
            [cond("mcc", "equals", ["5411", "5812"]), cond("cardholder", "equals", "Anna")],
            {"cost_center": "CC1", "gl_account": "4510", "description": "Lunch"},
            'When the MCC is one of 5411, 5812 and the cardholder is "Anna", assign '
            'GL account 4510, cost centre CC1 and the description "Lunch"',
        ),
        (
            [cond("description", "starts_with", "Uber")],
            {"project": "P1"},
            'When the description starts with "Uber", assign project P1',
        ),
        (
            [cond("mcc", "equals", "4121")],
            {"cost_unit": "U7"},
            "When the MCC is 4121, assign cost unit U7",
        ),
    ],
)
def test_a_rule_explains_itself_in_plain_words(
    conditions: list[dict[str, Any]], assignment: dict[str, str], expected: str
) -> None:
    phrase = explain(make_rule("r", conditions, assignment))

    assert phrase == expected
    assert phrase.msgid == "When %(conditions)s, assign %(assignment)s"


def test_the_first_enabled_rule_in_order_wins() -> None:
    general = rule(cond("merchant", "contains", "cool"), position=2, gl_account="4230")
    special = rule(cond("description", "contains", "monitor"), position=1, gl_account="0100")
    off = make_rule("off", [cond("merchant", "contains", "c")], {"gl_account": "9"}, enabled=False)

    assert first_match([general, special, off], Txn()) is special
    assert first_match([general, off], Txn(description="")) is general
    assert first_match([off], Txn()) is None


@given(
    st.lists(
        st.tuples(st.integers(0, 50), st.sampled_from(["cool", "blue", "x", "B.V."])),
        min_size=1,
        max_size=8,
        unique_by=lambda pair: pair[0],
    )
)
def test_first_match_is_the_lowest_position_among_the_matching(
    specs: list[tuple[int, str]],
) -> None:
    rules = [
        make_rule(f"r{p}", [cond("merchant", "contains", word)], {"gl_account": str(p)}, position=p)
        for p, word in specs
    ]
    found = first_match(rules, Txn())
    matching = [r for r in rules if r.matches(Txn())]

    if not matching:
        assert found is None
    else:
        assert found is not None
        assert found.position == min(r.position for r in matching)
        assert first_match(list(reversed(rules)), Txn()) is found
