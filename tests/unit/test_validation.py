"""Is a coding bookable in Exact? Each reason a finance user may be told."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ledgerbridge.domain.coding import CodingLine
from ledgerbridge.domain.dimension_facts import (
    CostRule,
    GLAccountFacts,
    VatCodeFacts,
    VatRate,
    VatTransactionType,
    VatType,
)
from ledgerbridge.domain.dimensions import Dimension, DimensionKind, DimensionSource
from ledgerbridge.domain.money import Money
from ledgerbridge.domain.validation import CodingProblem, Rule, coding_problems

K = DimensionKind
DAY = date(2026, 5, 18)


def dim(kind: DimensionKind, code: str, **changes: object) -> Dimension:
    values: dict[str, object] = {
        "kind": kind,
        "code": code,
        "name": f"{kind} {code}",
        "source": DimensionSource.EXACT,
    }
    return Dimension(**{**values, **changes})


MANDATORY, NOT_ALLOWED = CostRule.MANDATORY, CostRule.NOT_ALLOWED


def gl(
    code: str,
    gl_type: int = 121,
    *,
    blocked: bool = False,
    balance_type: str = "W",
    use_cost_center: CostRule = CostRule.OPTIONAL,
    use_cost_unit: CostRule = CostRule.OPTIONAL,
) -> Dimension:
    facts = GLAccountFacts(gl_type, balance_type, use_cost_center, use_cost_unit)
    return dim(K.GL_ACCOUNT, code, blocked=blocked, facts=facts)


def vat(code: str, vat_type: str, side: str, rate: str, end: date | None = None) -> Dimension:
    rates = (VatRate(Decimal(rate), None, end),)
    facts = VatCodeFacts(VatType(vat_type), VatTransactionType(side), rates)
    return dim(K.VAT_CODE, code, facts=facts)


ADMINISTRATION = [
    gl("4230"),
    gl("4400", use_cost_center=MANDATORY),
    gl("4410", use_cost_center=NOT_ALLOWED, use_cost_unit=NOT_ALLOWED),
    gl("4420", use_cost_unit=MANDATORY),
    gl("0300", 30, balance_type="B"),
    gl("1105", 14, balance_type="B"),
    gl("1520", 24, balance_type="B"),
    gl("4999", blocked=True),
    vat("21I", "I", "P", "0.21"),
    vat("21S", "E", "S", "0.21"),
    vat("9B", "I", "B", "0.09"),
    vat("6L", "I", "P", "0.06", end=date(2018, 12, 31)),
    dim(K.COST_CENTER, "SALES"),
    dim(K.COST_CENTER, "OLD", valid_until=date(2026, 3, 31)),
    dim(K.COST_CENTER, "LOCAL", source=DimensionSource.LOCAL, blocked=True),
    dim(K.COST_UNIT, "CAR1"),
    dim(K.COST_UNIT, "CAR0", valid_until=date(2025, 12, 31)),
    dim(K.PROJECT, "P1", valid_from=date(2026, 1, 1), valid_until=date(2026, 12, 31)),
    dim(K.PROJECT, "P0", valid_from=date(2025, 1, 1), valid_until=date(2025, 12, 31)),
]
BY_KEY = {(d.kind, d.code): d for d in ADMINISTRATION}


def lookup(kind: DimensionKind, code: str) -> Dimension | None:
    return BY_KEY.get((kind, code))


def line(gl_account: str = "4230", **values: str) -> CodingLine:
    return CodingLine(gl_account, Money(Decimal("-10.00"), "EUR"), **values)


def problems(*lines: CodingLine, day: date = DAY) -> list[tuple[int, str, str, str]]:
    return [(p.line_index, p.field, p.code, p.reason) for p in coding_problems(lines, day, lookup)]


def test_a_complete_coding_with_active_values_has_no_problems() -> None:
    full = line("4230", vat_code="21I", cost_center="SALES", cost_unit="CAR1", project="P1")
    assert problems(full, line("4400", vat_code="9B", cost_center="SALES")) == []


@pytest.mark.parametrize(
    ("values", "field", "reason"),
    [
        ({"gl_account": "9999"}, "gl_account", "unknown GL account 9999"),
        ({"vat_code": "7"}, "vat_code", "unknown VAT code 7"),
        ({"cost_center": "NOPE"}, "cost_center", "unknown cost centre NOPE"),
        ({"cost_unit": "NOPE"}, "cost_unit", "unknown cost unit NOPE"),
        ({"project": "NOPE"}, "project", "unknown project NOPE"),
    ],
)
def test_an_unknown_value_is_named_with_its_kind(
    values: dict[str, str], field: str, reason: str
) -> None:
    [(index, got_field, code, got_reason)] = problems(line(**values))
    assert (index, got_field, code) == (0, field, values[field])
    assert got_reason.startswith(reason)


def test_a_blocked_gl_account_is_blocked_in_exact() -> None:
    assert problems(line("4999")) == [
        (0, "gl_account", "4999", "GL account 4999 is blocked in Exact Online")
    ]


def test_a_blocked_local_value_is_just_blocked() -> None:
    [(_, _, _, reason)] = problems(line(cost_center="LOCAL"))
    assert reason == "cost centre LOCAL is blocked"


def test_a_cost_centre_that_ended_before_the_transaction_says_when() -> None:
    assert problems(line(cost_center="OLD")) == [
        (0, "cost_center", "OLD", "cost centre OLD ended on 2026-03-31")
    ]
    assert problems(line(cost_center="OLD"), day=date(2026, 3, 31)) == []


def test_a_cost_unit_that_ended_says_when() -> None:
    [(_, _, _, reason)] = problems(line(cost_unit="CAR0"))
    assert reason == "cost unit CAR0 ended on 2025-12-31"


def test_a_project_outside_its_dates_shows_its_period() -> None:
    [(_, field, _, reason)] = problems(line(project="P0"))
    assert field == "project"
    assert reason == (
        "project P0 runs from 2025-01-01 to 2025-12-31, outside the transaction date 2026-05-18"
    )


def test_a_vat_code_without_a_rate_on_the_transaction_date_is_flagged() -> None:
    assert problems(line(vat_code="6L")) == [
        (0, "vat_code", "6L", "VAT code 6L has no percentage valid on 2026-05-18")
    ]
    assert problems(line(vat_code="6L"), day=date(2018, 12, 31)) == []


def test_a_sales_vat_code_cannot_be_used_on_a_purchase() -> None:
    assert problems(line(vat_code="21S")) == [
        (0, "vat_code", "21S", "VAT code 21S is for sales, not for purchases")
    ]


@pytest.mark.parametrize(("code", "name"), [("1105", "credit card"), ("1520", "VAT")])
def test_balance_sheet_accounts_like_the_card_or_vat_cannot_take_a_purchase(
    code: str, name: str
) -> None:
    [(_, field, got_code, reason)] = problems(line(code))
    assert (field, got_code) == ("gl_account", code)
    assert reason.startswith(f"GL account {code} is a {name} account and cannot be used")


def test_a_fixed_asset_account_may_take_an_investment() -> None:
    assert problems(line("0300")) == []


def test_a_gl_account_requiring_a_cost_centre_flags_its_absence() -> None:
    assert problems(line("4400")) == [
        (0, "cost_center", "", "GL account 4400 requires a cost centre")
    ]


def test_a_gl_account_requiring_a_cost_unit_flags_its_absence() -> None:
    assert problems(line("4420")) == [(0, "cost_unit", "", "GL account 4420 requires a cost unit")]


def test_a_gl_account_that_forbids_cost_centre_and_unit_flags_both() -> None:
    assert problems(line("4410", cost_center="SALES", cost_unit="CAR1")) == [
        (0, "cost_center", "SALES", "GL account 4410 does not allow a cost centre; remove SALES"),
        (0, "cost_unit", "CAR1", "GL account 4410 does not allow a cost unit; remove CAR1"),
    ]


def test_problems_name_their_line_and_every_line_is_checked() -> None:
    found = coding_problems([line(), line("9999"), line(vat_code="21S")], DAY, lookup)
    assert [p.line_index for p in found] == [1, 2]
    assert str(found[0]) == (
        "line 2: unknown GL account 9999: it does not exist (any more) in the administration"
    )


def test_a_fee_or_transfer_line_skips_the_purchase_only_rules() -> None:
    bank_line = line("1105", vat_code="21S")
    assert coding_problems([bank_line], DAY, lookup, for_purchase=False) == []
    assert len(coding_problems([bank_line], DAY, lookup)) == 2


def test_a_local_gl_account_without_exact_attributes_is_not_second_guessed() -> None:
    local = Dimension(K.GL_ACCOUNT, "4000", "Costs")
    assert coding_problems([line("4000")], DAY, lambda kind, code: local) == []


def test_a_problem_is_a_plain_value() -> None:
    key = (K.VAT_CODE, "7")
    assert CodingProblem(0, "vat_code", "7", "x", Rule.UNKNOWN, key) == CodingProblem(
        0, "vat_code", "7", "x", Rule.UNKNOWN, key
    )


# One case per rule: the line, the rule it breaks, the field and the value concerned.
RULE_CASES = [
    (line("9999"), Rule.UNKNOWN, "gl_account", (K.GL_ACCOUNT, "9999")),
    (line("4999"), Rule.BLOCKED, "gl_account", (K.GL_ACCOUNT, "4999")),
    (line(cost_center="OLD"), Rule.ENDED, "cost_center", (K.COST_CENTER, "OLD")),
    (line(project="P0"), Rule.OUTSIDE_PERIOD, "project", (K.PROJECT, "P0")),
    (line("1105"), Rule.NOT_FOR_PURCHASES, "gl_account", (K.GL_ACCOUNT, "1105")),
    (line(vat_code="21S"), Rule.NOT_FOR_PURCHASES, "vat_code", (K.VAT_CODE, "21S")),
    (line(vat_code="6L"), Rule.NO_VAT_RATE, "vat_code", (K.VAT_CODE, "6L")),
    (line("4400"), Rule.REQUIRED, "cost_center", (K.GL_ACCOUNT, "4400")),
    (line("4420"), Rule.REQUIRED, "cost_unit", (K.GL_ACCOUNT, "4420")),
    (line("4410", cost_unit="CAR1"), Rule.NOT_ALLOWED, "cost_unit", (K.GL_ACCOUNT, "4410")),
]


@pytest.mark.parametrize(("coding", "rule", "field", "concerns"), RULE_CASES)
def test_each_rule_names_the_field_and_the_value_it_concerns(
    coding: CodingLine, rule: Rule, field: str, concerns: tuple[DimensionKind, str]
) -> None:
    [problem] = coding_problems([coding], DAY, lookup)
    assert (problem.rule, problem.field, problem.concerns) == (rule, field, concerns)
    assert problem.reason.startswith(
        f"{concerns[0].label} {concerns[1]}"
    ) or problem.reason.startswith("unknown")


def test_a_value_that_starts_after_the_transaction_date_is_not_yet_valid() -> None:
    later = dim(K.COST_UNIT, "NEW", valid_from=date(2026, 6, 1))
    [problem] = coding_problems([line(cost_unit="NEW")], DAY, lambda kind, code: {
        (K.GL_ACCOUNT, "4230"): gl("4230"), (K.COST_UNIT, "NEW"): later,
    }.get((kind, code)))  # fmt: skip
    assert (problem.rule, problem.reason) == (
        Rule.NOT_YET_VALID,
        "cost unit NEW starts on 2026-06-01, after the transaction date",
    )


@pytest.mark.parametrize(
    ("side", "allowed"),
    [(VatTransactionType.PURCHASE, True), (VatTransactionType.BOTH, True),
     (VatTransactionType.SALES, False)],
)  # fmt: skip
def test_a_purchase_line_may_use_purchase_or_both_sides_vat_codes_only(
    side: VatTransactionType, allowed: bool
) -> None:
    code = vat("X", "I", side.value, "0.21")
    found = coding_problems([line(vat_code="X")], DAY, lambda kind, c: code if c == "X" else gl(c))
    assert (found == []) is allowed


def test_a_problem_reads_in_the_readers_language() -> None:
    from ledgerbridge.i18n import translate

    [problem] = coding_problems([line("4999")], DAY, lookup)

    assert translate(problem.reason, "nl") == (
        "grootboekrekening 4999 is geblokkeerd in Exact Online"
    )
    assert translate(problem.reason, "en") == "GL account 4999 is blocked in Exact Online"
