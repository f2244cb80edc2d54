"""The drawer's coding form: its lines as typed, the problems beside their fields, and
the pickers' first values. Shared by the drawer (``transactions``) and the prep actions
(``prep``); no route here.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from ledgerbridge.bootstrap import Container
from ledgerbridge.domain.dimension_facts import CostRule, GLAccountFacts
from ledgerbridge.domain.dimensions import Dimension, DimensionKind
from ledgerbridge.domain.money import MINOR_UNITS, round_cents
from ledgerbridge.i18n import N_
from ledgerbridge.services.dimensions import editing
from ledgerbridge.services.prep.coding import LineInput, Problem
from ledgerbridge.services.transactions.query import TransactionDetail

# The coded fields of a line, each with the kind its picker offers, in form order.
PICKED: tuple[tuple[str, DimensionKind], ...] = (
    ("gl_account", DimensionKind.GL_ACCOUNT),
    ("vat_code", DimensionKind.VAT_CODE),
    ("cost_center", DimensionKind.COST_CENTER),
    ("cost_unit", DimensionKind.COST_UNIT),
    ("project", DimensionKind.PROJECT),
)
LINE_NAMES = tuple(name for name, _ in PICKED)
LABELS = {
    "gl_account": N_("GL account"),
    "vat_code": N_("VAT code"),
    "cost_center": N_("Cost centre"),
    "cost_unit": N_("Cost unit"),
    "project": N_("Project"),
}
MAX_LINES = 100
OPTIONS_LIMIT = 20


@dataclass
class LineForm:
    """One line as typed (strings, kept as they were when refused)."""

    gl_account: str = ""
    vat_code: str = ""
    cost_center: str = ""
    cost_unit: str = ""
    project: str = ""
    amount: str = ""
    description: str = ""

    @property
    def blank(self) -> bool:
        return not any(str(v).strip() for v in self.__dict__.values())


@dataclass
class CodingForm:
    lines: list[LineForm]
    note: str = ""
    problems: list[Problem] = field(default_factory=list)

    def at(self, line: int, name: str) -> list[str]:
        """The messages beside field ``name`` of line ``line`` (from 1)."""
        return [p.message for p in self.problems if p.line == line and p.field == name]

    @property
    def total_problems(self) -> list[str]:
        """The lines together: what is wrong with their sum (beside the amounts)."""
        return [p.message for p in self.problems if p.line == 0 and p.field == "amount"]

    @property
    def note_problems(self) -> list[str]:
        return [p.message for p in self.problems if p.field == "note"]

    @property
    def general(self) -> list[str]:
        """Problems not shown beside a field of the form (the period, the receipt …)."""
        return [p.message for p in self.problems if not self._beside_a_field(p)]

    def _beside_a_field(self, problem: Problem) -> bool:
        if problem.field == "note" or (problem.line == 0 and problem.field == "amount"):
            return True
        on_a_line = 1 <= problem.line <= len(self.lines)
        return on_a_line and problem.field in {*LINE_NAMES, "amount", "description"}

    @property
    def total(self) -> Decimal:
        """What the lines typed add up to (amounts that are not numbers left out)."""
        return sum(
            (a for line in self.lines if (a := _amount(line.amount)) is not None), Decimal(0)
        )


def from_detail(detail: TransactionDetail) -> CodingForm:
    """The stored coding, or one line for the whole amount when there is none yet."""
    txn = detail.transaction
    lines = [
        LineForm(
            gl_account=line.gl_account or "",
            vat_code=line.vat_code or "",
            cost_center=line.cost_center or "",
            cost_unit=line.cost_unit or "",
            project=line.project or "",
            amount=_text(line.amount, txn.currency),
            description=line.description or "",
        )
        for line in detail.coding_lines
    ]
    whole = LineForm(amount=_text(txn.amount, txn.currency))
    return CodingForm(lines or [whole], note=txn.note or "")


def _text(amount: Decimal, currency: str) -> str:
    return str(round_cents(amount, MINOR_UNITS.get(currency, 2)))


def from_fields(values: dict[str, list[str]], note: str) -> CodingForm:
    """The lines as posted: one value per line in each list (missing ones empty)."""
    count = min(MAX_LINES, max((len(v) for v in values.values()), default=0))
    lines = []
    for index in range(count):
        typed = {
            name: (found[index] if index < len(found) else "").replace("\x00", "")
            for name, found in values.items()
        }
        lines.append(LineForm(**typed))
    return CodingForm([line for line in lines if not line.blank] or [LineForm()], note=note)


def with_line_added(form: CodingForm, paid: Decimal, currency: str) -> CodingForm:
    """One more line, its amount what is still unassigned (empty when nothing is)."""
    assigned = Decimal(0)
    for line in form.lines:
        amount = _amount(line.amount)
        assigned += amount if amount is not None else Decimal(0)
    rest = paid - assigned
    lines = [*form.lines, LineForm(amount=_text(rest, currency) if rest else "")][:MAX_LINES]
    return replace(form, lines=lines, problems=[])


def with_line_removed(form: CodingForm, number: int) -> CodingForm:
    lines = [line for index, line in enumerate(form.lines, 1) if index != number]
    return replace(form, lines=lines or [LineForm()], problems=[])


def inputs(form: CodingForm) -> tuple[list[LineInput], list[Problem]]:
    """The lines for the service, or the problems of amounts that are not numbers."""
    found: list[LineInput] = []
    problems: list[Problem] = []
    for number, line in enumerate(form.lines, 1):
        amount = _amount(line.amount)
        if amount is None:
            message = N_(
                "line %(line)s: %(amount)s is not an amount; type it like -12.50",
                line=number,
                amount=line.amount or "—",
            )
            problems.append(Problem(number, "amount", "not_an_amount", message))
            continue
        found.append(
            LineInput(
                gl_account=line.gl_account.strip(),
                amount=amount,
                vat_code=line.vat_code.strip() or None,
                cost_center=line.cost_center.strip() or None,
                cost_unit=line.cost_unit.strip() or None,
                project=line.project.strip() or None,
                description=line.description.strip()[:255],
            )
        )
    return found, problems


def refused_problems(items: Iterable[dict[str, str]]) -> list[Problem]:
    """An ``ItemsRefused``'s items (``line``, ``field``, ``message``) as problems."""
    found = []
    for item in items:
        line = item.get("line", "")
        number = int(line) if str(line).isdigit() else 0
        found.append(Problem(number, item.get("field", ""), "refused", item["message"]))
    return found


def _amount(text: str) -> Decimal | None:
    raw = (text or "").strip().replace(" ", "").replace(",", ".")
    try:
        found = Decimal(raw)
    except InvalidOperation:
        return None
    if not found.is_finite() or abs(found) >= 10**12 or found != found.quantize(Decimal("0.01")):
        return None
    return found.quantize(Decimal("0.01"))


@dataclass(frozen=True)
class Option:
    code: str
    name: str
    vat: str = ""  # a GL account's default VAT code
    cost_center: str = ""  # a GL account's cost centre rule: "mandatory", "not_allowed"
    cost_unit: str = ""
    default_cost_center: str = ""  # a GL account's default cost centre (a code)
    default_cost_unit: str = ""


def option_of(dimension: Dimension) -> Option:
    facts = dimension.facts
    if isinstance(facts, GLAccountFacts):
        return Option(
            dimension.code,
            dimension.name,
            vat=facts.default_vat_code or "",
            cost_center=_rule(facts.use_cost_center),
            cost_unit=_rule(facts.use_cost_unit),
            default_cost_center=facts.default_cost_center or "",
            default_cost_unit=facts.default_cost_unit or "",
        )
    return Option(dimension.code, dimension.name)


def _rule(rule: CostRule) -> str:
    return {CostRule.MANDATORY: "mandatory", CostRule.NOT_ALLOWED: "not_allowed"}.get(rule, "")


def options(
    app: Container, company_id: uuid.UUID, kind: DimensionKind, search: str | None
) -> list[Option]:
    found = editing.options(
        app.uow, company_id, kind, search, app.now().date(), limit=OPTIONS_LIMIT
    )
    return [option_of(d) for d in found]


def form_context(
    app: Container,
    company_id: uuid.UUID,
    detail: TransactionDetail,
    form: CodingForm | None = None,
    problems: Sequence[Problem] | None = None,
) -> dict[str, Any]:
    """What ``transaction_drawer.html`` needs for the coding form."""
    shown = form or from_detail(detail)
    if problems is not None:
        shown = replace(shown, problems=list(problems))
    return {"form": shown, **picker_context(app, company_id)}


def picker_context(app: Container, company_id: uuid.UUID) -> dict[str, Any]:
    """The pickers' first values per field (the rest come as the user types)."""
    pickers = {name: options(app, company_id, kind, None) for name, kind in PICKED}
    return {"pickers": pickers, "picked": PICKED, "labels": LABELS}
