"""Is this coding bookable in Exact on that day? Problems in a finance user's words.

``coding_problems`` is the one rule engine: "Mark ready to export" runs it, and
the dimension sync runs it (with the dimensions as the sync left them) to flag
prepared transactions whose values Exact changed. It reads the typed facts of
``domain.dimension_facts``:

- every value must exist, not be blocked, and be valid on the transaction date
  (cost centres and units end on their end date; projects run between their dates);
- a purchase line's GL account must be a cost or asset type (``PURCHASE_GL_TYPES``);
- a purchase line's VAT code must be for purchases or both sides
  (``VATTransactionType`` P or B, EXACT_API.md §4.2) and have a rate on the day;
- a GL account's ``UseCostcenter``/``UseCostunit`` rule (mandatory / not allowed)
  must hold for the line's cost centre and cost unit.

A value without facts (a local value) is checked for existence, blocks and dates
only: Exact decides the rest at export.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from ledgerbridge.domain.coding import CodingLine
from ledgerbridge.domain.dimension_facts import CostRule, GLAccountFacts, VatCodeFacts
from ledgerbridge.domain.dimensions import Dimension, DimensionKind, DimensionSource
from ledgerbridge.domain.errors import DomainError
from ledgerbridge.domain.vat import VatRule

Lookup = Callable[[DimensionKind, str], Dimension | None]
Key = tuple[DimensionKind, str]

# Exact GL account types a purchase line may use (EXACT_API.md §4.1): P&L cost
# types, and fixed/other assets for investments. Bank, cash, AR/AP, VAT… are refused.
PURCHASE_GL_TYPES: frozenset[int] = frozenset({30, 32, *range(110, 151)})

GL_TYPE_NAMES: dict[int, str] = {
    10: "cash",
    12: "bank",
    14: "credit card",
    16: "payment services",
    20: "accounts receivable",
    21: "prepayment",
    22: "creditors",
    24: "VAT",
    25: "employees payable",
    35: "accumulated depreciation",
    40: "inventory",
    50: "capital",
}

LINE_FIELDS: tuple[tuple[str, DimensionKind], ...] = (
    ("gl_account", DimensionKind.GL_ACCOUNT),
    ("vat_code", DimensionKind.VAT_CODE),
    ("cost_center", DimensionKind.COST_CENTER),
    ("cost_unit", DimensionKind.COST_UNIT),
    ("project", DimensionKind.PROJECT),
)


class Rule(StrEnum):
    """Which rule a problem breaks; lets a caller word it for its context."""

    UNKNOWN = "unknown"
    BLOCKED = "blocked"
    NOT_YET_VALID = "not_yet_valid"
    ENDED = "ended"
    OUTSIDE_PERIOD = "outside_period"
    NOT_FOR_PURCHASES = "not_for_purchases"
    NO_VAT_RATE = "no_vat_rate"
    REQUIRED = "required"
    NOT_ALLOWED = "not_allowed"


def lookup_in(dimensions: Iterable[Dimension]) -> Lookup:
    """A lookup over these values by (kind, code)."""
    by_key = {(d.kind, d.code): d for d in dimensions}
    return lambda kind, code: by_key.get((kind, code))


@dataclass(frozen=True, slots=True)
class CodingProblem:
    """One problem of one line (``line_index`` 0-based) in the ``field`` it concerns.

    ``code`` is the field's value ("" when a required value is missing); ``reason`` says
    what is wrong and, where it is not obvious, what to do; ``concerns`` is the value
    whose facts cause it (the GL account for a missing cost centre).
    """

    line_index: int
    field: str
    code: str
    reason: str
    rule: Rule
    concerns: Key

    def __str__(self) -> str:
        return f"line {self.line_index + 1}: {self.reason}"


def coding_problems(
    lines: Sequence[CodingLine], day: date, lookup: Lookup, *, for_purchase: bool = True
) -> list[CodingProblem]:
    """Every problem of ``lines`` for a booking dated ``day``; empty when bookable.

    ``lookup`` finds a value (with its facts) by kind and code. ``for_purchase=False``
    (a fee or transfer booked on a bank line) skips the purchase-only rules: GL
    account type and VAT code side. Pure; raises nothing.
    """
    problems: list[CodingProblem] = []
    for index, line in enumerate(lines):
        problems.extend(_line_problems(index, line, lookup, day, for_purchase))
    return problems


def _line_problems(
    index: int, line: CodingLine, lookup: Lookup, day: date, for_purchase: bool
) -> list[CodingProblem]:
    problems: list[CodingProblem] = []
    found: dict[str, Dimension] = {}
    for field_name, kind in LINE_FIELDS:
        code = getattr(line, field_name)
        if code is None:
            continue
        dimension = lookup(kind, code)
        unavailable = _availability(kind, code, dimension, day)
        if unavailable is not None:
            rule, reason = unavailable
            problems.append(CodingProblem(index, field_name, code, reason, rule, (kind, code)))
        elif dimension is not None:
            found[field_name] = dimension
    gl_account, vat_code = found.get("gl_account"), found.get("vat_code")
    if gl_account is not None and isinstance(gl_account.facts, GLAccountFacts):
        if for_purchase:
            problems.extend(_gl_type_problems(index, gl_account.code, gl_account.facts))
        problems.extend(_cost_rule_problems(index, line, gl_account.code, gl_account.facts))
    if vat_code is not None and isinstance(vat_code.facts, VatCodeFacts):
        problems.extend(_vat_problems(index, vat_code.code, vat_code.facts, day, for_purchase))
    return sorted(problems, key=lambda p: _FIELD_ORDER[p.field])


_FIELD_ORDER = {name: position for position, (name, _) in enumerate(LINE_FIELDS)}


def _availability(
    kind: DimensionKind, code: str, dimension: Dimension | None, day: date
) -> tuple[Rule, str] | None:
    """Why ``dimension`` cannot be used on ``day``, or None when it can."""
    what = f"{kind.label} {code}"
    if dimension is None:
        return Rule.UNKNOWN, f"unknown {what}: it does not exist (any more) in the administration"
    if dimension.blocked:
        where = " in Exact Online" if dimension.source is DimensionSource.EXACT else ""
        return Rule.BLOCKED, f"{what} is blocked{where}"
    if dimension.usable_on(day):
        return None
    if kind is DimensionKind.PROJECT:
        return Rule.OUTSIDE_PERIOD, (
            f"{what} runs {_period(dimension)}, outside the transaction date {day.isoformat()}"
        )
    if dimension.valid_until is not None and day > dimension.valid_until:
        return Rule.ENDED, f"{what} ended on {dimension.valid_until.isoformat()}"
    return Rule.NOT_YET_VALID, (
        f"{what} starts on {_iso(dimension.valid_from)}, after the transaction date"
    )


def _period(dimension: Dimension) -> str:
    return f"from {_iso(dimension.valid_from)} to {_iso(dimension.valid_until)}"


def _iso(day: date | None) -> str:
    return day.isoformat() if day is not None else "(open)"


def _gl_type_problems(index: int, code: str, facts: GLAccountFacts) -> list[CodingProblem]:
    if facts.type in PURCHASE_GL_TYPES:
        return []
    name = GL_TYPE_NAMES.get(facts.type, f"type {facts.type}")
    reason = (
        f"GL account {code} is a {name} account and cannot be used on a purchase "
        "line; choose a cost account (or an asset account for an investment)"
    )
    key = (DimensionKind.GL_ACCOUNT, code)
    return [CodingProblem(index, "gl_account", code, reason, Rule.NOT_FOR_PURCHASES, key)]


def _vat_problems(
    index: int, code: str, facts: VatCodeFacts, day: date, for_purchase: bool
) -> list[CodingProblem]:
    key = (DimensionKind.VAT_CODE, code)
    if for_purchase and not facts.for_purchases:
        reason = f"VAT code {code} is for sales, not for purchases"
        return [CodingProblem(index, "vat_code", code, reason, Rule.NOT_FOR_PURCHASES, key)]
    try:
        VatRule.from_facts(code, facts).percentage_on(day)
    except DomainError as exc:
        return [CodingProblem(index, "vat_code", code, str(exc), Rule.NO_VAT_RATE, key)]
    return []


def _cost_rule_problems(
    index: int, line: CodingLine, gl_code: str, facts: GLAccountFacts
) -> list[CodingProblem]:
    problems = []
    key = (DimensionKind.GL_ACCOUNT, gl_code)
    for field_name, label, rule in (
        ("cost_center", "cost centre", facts.use_cost_center),
        ("cost_unit", "cost unit", facts.use_cost_unit),
    ):
        code = getattr(line, field_name)
        if rule is CostRule.MANDATORY and code is None:
            reason = f"GL account {gl_code} requires a {label}"
            problems.append(CodingProblem(index, field_name, "", reason, Rule.REQUIRED, key))
        elif rule is CostRule.NOT_ALLOWED and code is not None:
            reason = f"GL account {gl_code} does not allow a {label}; remove {code}"
            problems.append(CodingProblem(index, field_name, code, reason, Rule.NOT_ALLOWED, key))
    return problems
