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
  must hold for the line's cost centre and cost unit;
- a VAT amount stated on a line must fit its VAT code (``domain.preflight``);
- given the transaction (and the settings, periods, receipt), the pre-flight rules of
  the export: lines add up to what was paid, the period is open, a required receipt is
  attached, the export settings are complete (``domain.preflight``).

A value without facts (a local value) is checked for existence, blocks and dates
only: Exact decides the rest at export.

Which GL account types a purchase line may use (decided for issue 11): the cost types
of the profit and loss — 111 cost of goods, 120 other costs, 121 general expenses,
122 depreciation, 123 R&D, 125/126 employee and employment costs, 130 exceptional
costs, 150 income taxes — and, for investments and prepayments, the balance-sheet
types 26 prepaid expenses, 30 fixed assets, 32 other assets. EXACT_API.md §4.1 says
"110–150", but that range holds 110 revenue and 140 exceptional income, which are
income, not cost: Exact (and the sandbox) refuse 110, 140 and 160 interest income on
a purchase line, and BOOKKEEPING.md says purchase lines use "profit-and-loss cost
accounts (or balance-sheet asset accounts for investments)". Everything else (cash,
bank, card, receivables, creditors, VAT, equity, year-end…) is refused.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from datetime import date

from ledgerbridge.domain import problems as msg
from ledgerbridge.domain.coding import CodingLine
from ledgerbridge.domain.dimension_facts import CostRule, GLAccountFacts, VatCodeFacts
from ledgerbridge.domain.dimensions import Dimension, DimensionKind, DimensionSource
from ledgerbridge.domain.errors import DomainError
from ledgerbridge.domain.export_settings import ExportSettings, PeriodFacts
from ledgerbridge.domain.preflight import transaction_problems, vat_amount_problems
from ledgerbridge.domain.problems import CodingProblem, Key, Rule
from ledgerbridge.domain.transactions import BANK_ONLY_KINDS, Transaction
from ledgerbridge.domain.vat import VatRule

__all__ = ["PURCHASE_GL_TYPES", "CodingProblem", "Key", "Lookup", "Rule", "coding_problems"]

Lookup = Callable[[DimensionKind, str], Dimension | None]

# The decision and its reason are in the module docstring.
PURCHASE_COST_TYPES: frozenset[int] = frozenset({111, 120, 121, 122, 123, 125, 126, 130, 150})
PURCHASE_ASSET_TYPES: frozenset[int] = frozenset({26, 30, 32})
PURCHASE_GL_TYPES: frozenset[int] = PURCHASE_COST_TYPES | PURCHASE_ASSET_TYPES

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
    90: "general",
    110: "revenue",
    140: "exceptional income",
    160: "interest income",
}

LINE_FIELDS: tuple[tuple[str, DimensionKind], ...] = (
    ("gl_account", DimensionKind.GL_ACCOUNT),
    ("vat_code", DimensionKind.VAT_CODE),
    ("cost_center", DimensionKind.COST_CENTER),
    ("cost_unit", DimensionKind.COST_UNIT),
    ("project", DimensionKind.PROJECT),
)
_FIELD_ORDER = {name: position for position, (name, _) in enumerate(LINE_FIELDS)}
_FIELD_ORDER["vat_amount"] = _FIELD_ORDER["vat_code"]


def lookup_in(dimensions: Iterable[Dimension]) -> Lookup:
    """A lookup over these values by (kind, code)."""
    by_key = {(d.kind, d.code): d for d in dimensions}
    return lambda kind, code: by_key.get((kind, code))


def coding_problems(
    lines: Sequence[CodingLine],
    day: date,
    lookup: Lookup,
    *,
    for_purchase: bool = True,
    transaction: Transaction | None = None,
    settings: ExportSettings | None = None,
    periods: PeriodFacts | None = None,
    post_in_first_open_period: bool = False,
    receipt_attached: bool | None = None,
) -> list[CodingProblem]:
    """Every problem of ``lines`` for a booking dated ``day``; empty when bookable.

    ``lookup`` finds a value (with its facts) by kind and code. ``for_purchase=False``
    (a fee or transfer booked on a bank line) skips the purchase-only rules: GL
    account type and VAT code side; so does a ``transaction`` that is a fee or a
    transfer. With ``transaction`` the lines must add up to it;
    with ``settings`` they must be complete (and ``receipt_attached`` is judged by their
    receipt policy); with ``periods`` (Exact's period table) the period of ``day`` must
    exist and be open — or ``post_in_first_open_period`` says the user chose to post a
    closed period's transaction in the first open one. Line problems come first, in
    line order, then the transaction's. Pure; raises nothing.
    """
    if transaction is not None and transaction.kind in BANK_ONLY_KINDS:
        for_purchase = False  # a fee or transfer is a bank line, never a purchase
    found: list[CodingProblem] = []
    for index, line in enumerate(lines):
        found.extend(_line_problems(index, line, lookup, day, for_purchase))
    found.extend(
        transaction_problems(
            lines,
            day,
            for_purchase=for_purchase,
            transaction=transaction,
            settings=settings,
            periods=periods,
            post_in_first_open_period=post_in_first_open_period,
            receipt_attached=receipt_attached,
        )
    )
    return found


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
        unavailable = _availability(index, field_name, kind, code, dimension, day)
        if unavailable is not None:
            problems.append(unavailable)
        elif dimension is not None:
            found[field_name] = dimension
    gl_account, vat_code = found.get("gl_account"), found.get("vat_code")
    if gl_account is not None and isinstance(gl_account.facts, GLAccountFacts):
        if for_purchase:
            problems.extend(_gl_type_problems(index, gl_account.code, gl_account.facts))
        problems.extend(_cost_rule_problems(index, line, gl_account.code, gl_account.facts))
    rule = None
    if vat_code is not None and isinstance(vat_code.facts, VatCodeFacts):
        vat_problems = _vat_problems(index, vat_code.code, vat_code.facts, day, for_purchase)
        problems.extend(vat_problems)
        if not vat_problems:
            rule = VatRule.from_facts(vat_code.code, vat_code.facts)
    if line.vat_code is None or rule is not None:
        problems.extend(vat_amount_problems(index, line, rule, day))
    return sorted(problems, key=lambda p: _FIELD_ORDER[p.field])


def _availability(
    index: int,
    field_name: str,
    kind: DimensionKind,
    code: str,
    dimension: Dimension | None,
    day: date,
) -> CodingProblem | None:
    """Why ``dimension`` cannot be used on ``day``, or None when it can."""

    def problem(rule: Rule, template: str, **params: object) -> CodingProblem:
        return CodingProblem.of(index, field_name, code, rule, (kind, code), template,
                                what=kind.label, code=code, **params)  # fmt: skip

    if dimension is None:
        return problem(Rule.UNKNOWN, msg.UNKNOWN_VALUE)
    if dimension.blocked:
        exact = dimension.source is DimensionSource.EXACT
        return problem(Rule.BLOCKED, msg.BLOCKED_IN_EXACT if exact else msg.BLOCKED_LOCALLY)
    if dimension.usable_on(day):
        return None
    start, end = _iso(dimension.valid_from), _iso(dimension.valid_until)
    if kind is DimensionKind.PROJECT:
        return problem(Rule.OUTSIDE_PERIOD, msg.PROJECT_OUTSIDE_DATES, start=start, end=end,
                       day=day.isoformat())  # fmt: skip
    if dimension.valid_until is not None and day > dimension.valid_until:
        return problem(Rule.ENDED, msg.VALUE_ENDED, end=end)
    return problem(Rule.NOT_YET_VALID, msg.VALUE_NOT_YET_VALID, start=start)


def _iso(day: date | None) -> str:
    return day.isoformat() if day is not None else "(open)"


def _gl_type_problems(index: int, code: str, facts: GLAccountFacts) -> list[CodingProblem]:
    if facts.type in PURCHASE_GL_TYPES:
        return []
    name = GL_TYPE_NAMES.get(facts.type, f"type {facts.type}")
    key = (DimensionKind.GL_ACCOUNT, code)
    return [CodingProblem.of(index, "gl_account", code, Rule.NOT_FOR_PURCHASES, key,
                             msg.GL_NOT_FOR_PURCHASES, code=code, type_name=name)]  # fmt: skip


@functools.lru_cache(maxsize=1024)
def _vat_rule(code: str, facts: VatCodeFacts) -> VatRule:
    # A bulk selection judges the same few VAT codes thousands of times.
    return VatRule.from_facts(code, facts)


def _vat_problems(
    index: int, code: str, facts: VatCodeFacts, day: date, for_purchase: bool
) -> list[CodingProblem]:
    key: Key = (DimensionKind.VAT_CODE, code)
    if for_purchase and not facts.for_purchases:
        return [CodingProblem.of(index, "vat_code", code, Rule.NOT_FOR_PURCHASES, key,
                                 msg.VAT_CODE_FOR_SALES, code=code)]  # fmt: skip
    try:
        _vat_rule(code, facts).percentage_on(day)
    except DomainError:
        return [CodingProblem.of(index, "vat_code", code, Rule.NO_VAT_RATE, key,
                                 msg.VAT_CODE_WITHOUT_RATE, code=code,
                                 day=day.isoformat())]  # fmt: skip
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
            problems.append(CodingProblem.of(index, field_name, "", Rule.REQUIRED, key,
                                             msg.COST_REQUIRED, gl_account=gl_code,
                                             label=label))  # fmt: skip
        elif rule is CostRule.NOT_ALLOWED and code is not None:
            problems.append(CodingProblem.of(index, field_name, code, Rule.NOT_ALLOWED, key,
                                             msg.COST_NOT_ALLOWED, gl_account=gl_code,
                                             label=label, code=code))  # fmt: skip
    return problems
