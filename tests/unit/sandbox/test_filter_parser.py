"""The $filter parser: what Exact's OData layer accepts, evaluates and refuses."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from exact_sandbox.odata import ODataError, parse_filter

FIELDS = {
    "ID": "G", "Code": "S", "Name": "S", "Type": "I", "Timestamp": "L", "IsBlocked": "B",
    "Modified": "D", "AmountFC": "F", "Lines": "C",
}  # fmt: skip
ROW: dict[str, Any] = {
    "ID": "3f6c1a2e-0000-4000-8000-000000000001", "Code": "  42", "Name": "Pete's Bar",
    "Type": 22, "Timestamp": 1234, "IsBlocked": False,
    "Modified": datetime(2026, 3, 1, 12, 0, tzinfo=UTC), "AmountFC": Decimal("12.50"),
}  # fmt: skip


def matches(text: str, row: dict[str, Any] | None = None) -> bool:
    return parse_filter(text, FIELDS, "Test.Entity").predicate(row or ROW)


@pytest.mark.parametrize(
    "text",
    [
        "Type eq 22",
        "Type ne 20",
        "Type gt 21 and Type lt 23",
        "Type ge 22 and Type le 22",
        "ID eq guid'3F6C1A2E-0000-4000-8000-000000000001'",
        "Name eq 'Pete''s Bar'",
        "name eq 'x' or Name eq 'PETE''S BAR'".replace("name eq", "Name eq"),
        "trim(Code) eq '42'",
        "Code eq '  42'",
        "IsBlocked eq false",
        "not IsBlocked",
        "Modified ge datetime'2026-03-01T00:00:00'",
        "Modified lt datetime'2026-03-02'",
        "AmountFC gt 12.49 and AmountFC lt 12.51",
        "Timestamp gt 1233L",
        "(Type eq 1 or Type eq 22) and (IsBlocked eq false)",
        "22 eq Type",
        "Name ne null",
    ],
)
def test_supported_expressions_match_the_row(text: str) -> None:
    assert matches(text)


@pytest.mark.parametrize(
    "text",
    ["Type eq 21", "trim(Code) eq '4'", "Code eq '42'", "IsBlocked eq true", "Name eq null",
     "Modified gt datetime'2026-03-01T12:00:00'", "Type gt 22 or AmountFC lt 1"],
)  # fmt: skip
def test_non_matching_expressions_do_not_match(text: str) -> None:
    assert not matches(text)


def test_missing_values_never_satisfy_an_ordering() -> None:
    assert not matches("Modified gt datetime'2000-01-01T00:00:00'", {**ROW, "Modified": None})


def test_mentioned_fields_are_reported_for_the_sync_rule() -> None:
    parsed = parse_filter("Timestamp gt 5 and Type eq 1", FIELDS, "Test.Entity")
    assert parsed.fields == {"Timestamp", "Type"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Expression expected"),
        ("Type eq", "Expression expected"),
        ("Type eq 22 Type", "Syntax error at position 11"),
        ("Type = 22", "Syntax error"),
        ("Nope eq 1", "No property 'Nope' exists in type 'Test.Entity' at position 0"),
        ("Lines eq 1", "No property 'Lines'"),
        ("Lines/AmountFC gt 0", "navigation property"),
        ("Code eq Name", "comparing a property with another"),
        ("substringof('4', Code)", "Not Implemented"),
        ("startswith(Code, '4')", "Not Implemented"),
        ("trim(Type) eq '1'", "No applicable function found for 'trim'"),
        ("ID eq guid'xyz'", "Unrecognized 'Edm.Guid' literal 'guid'xyz''"),
        ("ID eq '3f6c1a2e-0000-4000-8000-000000000001'", "incompatible with operand types"),
        ("Type eq 'x'", "'Edm.Int32' and 'Edm.String'"),
        ("IsBlocked eq 0", "'Edm.Boolean' and 'Edm.Int32'"),
        ("Modified eq datetime'yesterday'", "Unrecognized 'Edm.DateTime' literal"),
        ("Code eq 'open", "Syntax error"),
        ("(Type eq 1", "')' expected"),
        ("Type add 1 eq 2", "Not Implemented"),
        ("'a' eq 'b'", "Syntax error"),
    ],
)
def test_refused_expressions_raise_exacts_400_text(text: str, message: str) -> None:
    with pytest.raises(ODataError) as raised:
        parse_filter(text, FIELDS, "Test.Entity")
    assert raised.value.status == 400
    assert message in raised.value.message


def test_nesting_up_to_the_limit_parses_and_deeper_is_refused_like_wcf() -> None:
    from exact_sandbox.odata import MAX_DEPTH

    assert matches("(" * MAX_DEPTH + "Type eq 22" + ")" * MAX_DEPTH)
    assert not matches("not " * MAX_DEPTH + "IsBlocked")  # an even number of negations
    for deeper in ["(" * (MAX_DEPTH + 1) + "Type eq 22" + ")" * (MAX_DEPTH + 1),
                   "not " * (MAX_DEPTH + 1) + "IsBlocked"]:  # fmt: skip
        with pytest.raises(ODataError, match="Recursion depth exceeded"):
            matches(deeper)


def test_long_and_or_chains_evaluate_without_recursion() -> None:
    assert matches(" and ".join(["Type eq 22"] * 3000))
    assert matches(" or ".join(["Type eq 1"] * 3000 + ["Type eq 22"]))
    assert not matches("not not IsBlocked")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12", 12), (" -7 ", -7), ("²", None), ("--1", None), ("0\x1f", None), ("1.0", None)],
)
def test_integer_accepts_ascii_digits_only(raw: str, expected: int | None) -> None:
    from exact_sandbox.odata import integer

    assert integer(raw) == expected
