"""Is this coding bookable in Exact on that day? Problems in a finance user's words.

``coding_problems`` is what "Mark ready to export" runs, and what the
dimension sync runs to flag prepared transactions whose values Exact changed.
It reads GL accounts and VAT codes through the shared attribute contract:
gl_account ``type``/``use_cost_center``/``use_cost_unit``, vat_code
``transaction_type`` and its percentages (a rate must be valid on the day).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from ledgerbridge.domain.coding import CodingLine
from ledgerbridge.domain.dimensions import Dimension, DimensionKind, DimensionSource
from ledgerbridge.domain.errors import DomainError
from ledgerbridge.domain.vat import VatRule

Lookup = Callable[[DimensionKind, str], Dimension | None]

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

# use_cost_center / use_cost_unit on a GL account: 0 optional, 1 mandatory, 2 not allowed.
MANDATORY, NOT_ALLOWED = 1, 2

LINE_FIELDS: tuple[tuple[str, DimensionKind], ...] = (
    ("gl_account", DimensionKind.GL_ACCOUNT),
    ("vat_code", DimensionKind.VAT_CODE),
    ("cost_center", DimensionKind.COST_CENTER),
    ("cost_unit", DimensionKind.COST_UNIT),
    ("project", DimensionKind.PROJECT),
)


@dataclass(frozen=True, slots=True)
class CodingProblem:
    """One problem: ``line_index`` is 0-based; ``code`` is "" when a value is missing."""

    line_index: int
    field: str
    code: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line_index + 1}: {self.reason}"


def coding_problems(
    lines: Sequence[CodingLine], lookup: Lookup, day: date, *, for_purchase: bool = True
) -> list[CodingProblem]:
    """Every problem of ``lines`` for a booking dated ``day``; empty when bookable.

    ``for_purchase=False`` (a fee or transfer booked on a bank line) skips the
    purchase-only rules: GL account type and VAT code side. Pure; raises nothing.
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
        reason = _availability(kind, code, dimension, day)
        if reason:
            problems.append(CodingProblem(index, field_name, code, reason))
        elif dimension is not None:
            found[field_name] = dimension
    problems.extend(_rule_problems(index, line, found, day, for_purchase))
    return problems


def _availability(kind: DimensionKind, code: str, dimension: Dimension | None, day: date) -> str:
    """Why ``dimension`` cannot be used on ``day``, or "" when it can."""
    what = f"{kind.label} {code}"
    if dimension is None:
        return f"unknown {what}: it does not exist (any more) in the administration"
    if dimension.blocked:
        where = " in Exact" if dimension.source is DimensionSource.EXACT else ""
        return f"{what} is blocked{where}"
    if dimension.usable_on(day):
        return ""
    if kind is DimensionKind.PROJECT:
        return f"{what} runs {_period(dimension)}, outside the transaction date {day.isoformat()}"
    if dimension.valid_until is not None and day > dimension.valid_until:
        return f"{what} ended on {dimension.valid_until.isoformat()}"
    return f"{what} starts on {_iso(dimension.valid_from)}, after the transaction date"


def _period(dimension: Dimension) -> str:
    return f"from {_iso(dimension.valid_from)} to {_iso(dimension.valid_until)}"


def _iso(day: date | None) -> str:
    return day.isoformat() if day is not None else "(open)"


def _rule_problems(
    index: int, line: CodingLine, found: dict[str, Dimension], day: date, for_purchase: bool
) -> list[CodingProblem]:
    problems: list[CodingProblem] = []
    gl_account = found.get("gl_account")
    vat_code = found.get("vat_code")
    if for_purchase and gl_account is not None and (reason := _gl_type_problem(gl_account)):
        problems.append(CodingProblem(index, "gl_account", gl_account.code, reason))
    if for_purchase and vat_code is not None and vat_code.attributes.get("transaction_type") == "S":
        reason = f"VAT code {vat_code.code} is for sales, not for purchases"
        problems.append(CodingProblem(index, "vat_code", vat_code.code, reason))
    if vat_code is not None and (reason := _vat_rate_problem(vat_code, day)):
        problems.append(CodingProblem(index, "vat_code", vat_code.code, reason))
    if gl_account is not None:
        problems.extend(_use_problems(index, line, gl_account))
    return problems


def _vat_rate_problem(vat_code: Dimension, day: date) -> str:
    """Why the VAT cannot be computed on ``day`` (no rate then, unreadable code), or ""."""
    if "type" not in vat_code.attributes:
        return ""  # a local code without Exact's facts: Exact will decide at export
    try:
        VatRule.from_dimension(vat_code).percentage_on(day)
    except DomainError as exc:
        return str(exc)
    return ""


def _gl_type_problem(gl_account: Dimension) -> str:
    gl_type = gl_account.attributes.get("type")
    if not isinstance(gl_type, int) or gl_type in PURCHASE_GL_TYPES:
        return ""
    name = GL_TYPE_NAMES.get(gl_type, f"type {gl_type}")
    return (
        f"GL account {gl_account.code} is a {name} account and cannot be used on a purchase "
        "line; choose a cost account (or an asset account for an investment)"
    )


def _use_problems(index: int, line: CodingLine, gl_account: Dimension) -> list[CodingProblem]:
    problems = []
    for field_name, label, setting in (
        ("cost_center", "cost centre", "use_cost_center"),
        ("cost_unit", "cost unit", "use_cost_unit"),
    ):
        code = getattr(line, field_name)
        use = gl_account.attributes.get(setting, 0)
        if use == MANDATORY and code is None:
            reason = f"GL account {gl_account.code} requires a {label}"
            problems.append(CodingProblem(index, field_name, "", reason))
        elif use == NOT_ALLOWED and code is not None:
            reason = f"GL account {gl_account.code} does not allow a {label}; remove {code}"
            problems.append(CodingProblem(index, field_name, code, reason))
    return problems
