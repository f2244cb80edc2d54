"""Use cases of prep: code a transaction, mark transactions ready, reopen them.

- ``code_transaction`` stores the lines and the note of one transaction. Lines that
  cannot be a coding at all (no GL account, amounts that do not add up to what was
  paid, a code that is not in the synced dimensions) are refused and nothing changes.
  What the rule engine finds (a blocked account, a missing cost centre …) is stored
  with the coding and returned, so the screen shows it beside its field; a *ready*
  transaction whose new coding has problems goes back to *to prepare* with them.
- ``mark_ready`` judges every selected transaction with the one rule engine
  (``domain.validation.coding_problems``) against the dimensions as synced: the good
  ones become *ready*, the others stay in *to prepare* with their reasons. A selection
  holding a transaction that is no longer editable (queued, exporting, exported) is
  refused whole, with the reason per transaction; nothing is half-applied.
- ``reopen`` takes *ready* (or *failed*) transactions back to *to prepare*.
- ``set_period_choice`` lets the user post a transaction whose date's period is known
  closed in the first open period instead (``period_choice_of`` shows the drawer where
  it stands). Mark ready judges the date against Exact's period table as synced.

Each runs in one unit of work: the request is atomic. Every change writes an audit
row (who, what from → to).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ledgerbridge.db.models.core import TransactionRow
from ledgerbridge.db.repositories import TransactionFilter
from ledgerbridge.domain.coding import Coding, CodingLine
from ledgerbridge.domain.errors import InvalidCoding
from ledgerbridge.domain.export_settings import (
    ExportSettings,
    FinancialPeriod,
    first_open_period,
    period_of,
)
from ledgerbridge.domain.export_status import ExportStatus
from ledgerbridge.domain.money import Money
from ledgerbridge.domain.transactions import BANK_ONLY_KINDS, Transaction, TransactionKind
from ledgerbridge.domain.validation import (
    LINE_FIELDS,
    CodingProblem,
    Lookup,
    coding_problems,
    lookup_in,
)
from ledgerbridge.domain.wording import N_
from ledgerbridge.services.errors import ConflictError, InvalidRequest, ItemsRefused, NotFoundError
from ledgerbridge.services.ports import UnitOfWork, UnitOfWorkFactory

MAX_SELECTION = 10_000
NOTE_MAX = 4000


@dataclass(frozen=True, slots=True)
class LineInput:
    """One coding line as a user sends it: the gross amount signed like the transaction."""

    gl_account: str
    amount: Decimal
    vat_code: str | None = None
    cost_center: str | None = None
    cost_unit: str | None = None
    project: str | None = None
    description: str = ""


@dataclass(frozen=True, slots=True)
class Problem:
    """A rule-engine problem as shown beside its field (``line`` counts from 1)."""

    line: int
    field: str
    code: str
    message: str

    @classmethod
    def of(cls, problem: CodingProblem) -> Problem:
        line = 0 if problem.line_index is None else problem.line_index + 1
        return cls(line, problem.field, problem.code, problem.reason)


@dataclass(frozen=True, slots=True)
class CodingOutcome:
    transaction_id: uuid.UUID
    status: str
    problems: list[Problem]


@dataclass(frozen=True, slots=True)
class ReadyOutcome:
    """Per transaction of a mark-ready request: ``ready`` or the problems that keep it back."""

    transaction_id: uuid.UUID
    ready: bool
    status: str
    problems: list[Problem] = field(default_factory=list)


def code_transaction(
    uow_factory: UnitOfWorkFactory,
    company_id: uuid.UUID,
    txn_id: uuid.UUID,
    lines: Sequence[LineInput],
    *,
    note: str | None,
    actor: str,
) -> CodingOutcome:
    """Store the coding (and the note, when given) of one transaction; see the module."""
    if note is not None and len(note) > NOTE_MAX:
        raise InvalidRequest(f"note: at most {NOTE_MAX} characters ({len(note)} sent)")
    with uow_factory() as uow:
        found = uow.transactions.many(company_id, [txn_id])
        if not found:
            raise NotFoundError(f"transaction {txn_id} not found")
        row = found[0]
        status = ExportStatus(row.status)
        if not status.coding_editable:
            raise ConflictError(_not_editable(row))
        coding = _coding(row, lines)
        lookup = _lookup(uow, company_id, coding.lines)
        _refuse_unknown_codes(coding.lines, lookup)
        before = [_line_json(line) for line in uow.transactions.coding_lines(company_id, txn_id)]
        uow.transactions.replace_coding_lines(company_id, txn_id, coding.lines)
        problems = judge(row, coding.lines, lookup)
        changes: dict[str, Any] = {
            "lines": {"from": before, "to": [_line_json(x) for x in coding.lines]}
        }
        if row.rule_id is not None:  # coded by hand now: no longer the rule's
            changes["rule_id"] = {"from": str(row.rule_id), "to": None}
            row.rule_id = None
        if note is not None and note != row.note:
            changes["note"] = {"from": row.note, "to": note}
            row.note = note
        reason = _reason(problems)
        if status is ExportStatus.READY and problems:
            uow.transactions.set_status(company_id, txn_id, ExportStatus.TO_PREPARE, reason)
            changes["status"] = {"from": status.value, "to": ExportStatus.TO_PREPARE.value}
        elif status is ExportStatus.TO_PREPARE:
            row.status_reason = reason
        _audit(uow, company_id, txn_id, "transaction.coding.changed", actor, changes)
        outcome = CodingOutcome(txn_id, row.status, problems)
        uow.commit()
    return outcome


@dataclass(frozen=True, slots=True)
class AssignOutcome:
    """Per transaction of an assign request: its status and what the rule engine found."""

    transaction_id: uuid.UUID
    status: str
    problems: list[Problem] = field(default_factory=list)


ASSIGNABLE = ("gl_account", "vat_code", "cost_center", "cost_unit", "project", "description")


def assign(
    uow_factory: UnitOfWorkFactory,
    company_id: uuid.UUID,
    txn_ids: Iterable[uuid.UUID],
    values: dict[str, str | None],
    *,
    actor: str,
) -> list[AssignOutcome]:
    """Assign pre-accounting ``values`` (any subset of ``ASSIGNABLE``; None clears a value)
    to every line of every selected transaction; see the module for the selection rules.

    A transaction without coding gets one line for its whole amount, so it needs a GL
    account among ``values``. Unknown codes and non-editable transactions refuse the
    whole request. A *ready* one whose new coding has problems goes back to *to prepare*.
    """
    unknown_fields = sorted(set(values) - set(ASSIGNABLE))
    if unknown_fields or not values:
        what = ", ".join(unknown_fields) or "nothing"
        raise InvalidRequest(f"values: {what} cannot be assigned; use {', '.join(ASSIGNABLE)}")
    if "gl_account" in values and not (values["gl_account"] or "").strip():
        raise InvalidRequest("values.gl_account: a GL account cannot be cleared, only replaced")
    with uow_factory() as uow:
        rows = select_rows(uow, company_id, txn_ids, _editable)
        stored = uow.transactions.coding_lines_of(company_id, [row.id for row in rows])
        new_lines: dict[uuid.UUID, list[CodingLine]] = {}
        refused: list[dict[str, str]] = []
        for row in rows:
            try:
                new_lines[row.id] = _assigned(row, stored[row.id], values)
            except (InvalidCoding, ValueError) as error:
                refused.append({"id": str(row.id), "message": f"{row.external_id}: {error}"})
        every_line = [line for lines in new_lines.values() for line in lines]
        lookup = _lookup(uow, company_id, every_line)
        for name, kind in LINE_FIELDS:
            code = (values.get(name) or "").strip()
            if code and lookup(kind, code) is None:
                message = N_(
                    "%(kind)s %(code)s does not exist in the synced dimensions; "
                    "choose one from the list",
                    kind=kind.label,
                    code=code,
                )
                refused.append({"id": "", "field": name, "message": message})
        if refused:
            raise ItemsRefused(
                f"{len(refused)} problems in the selection; nothing was changed", refused
            )
        uow.transactions.replace_coding_lines_of(company_id, new_lines)
        judged = [(row, judge(row, new_lines[row.id], lookup)) for row in rows]
        for row in rows:
            if row.rule_id is not None:
                row.rule_id = None  # assigned by hand: no longer a rule's coding
        uow.transactions.move_status(
            company_id,
            [row for row, problems in judged if problems and row.status == ExportStatus.READY],
            ExportStatus.TO_PREPARE,
        )
        uow.transactions.set_reasons(
            company_id,
            {row.id: _reason(problems) for row, problems in judged
             if row.status != ExportStatus.READY},
        )  # fmt: skip
        changes = [
            (row.id, {"assigned": values,
                      "lines": {"from": [_line_json(line) for line in stored[row.id]],
                                "to": [_line_json(line) for line in new_lines[row.id]]}})
            for row, _ in judged
        ]  # fmt: skip
        uow.audit.record_many(company_id, action="transaction.coding.assigned", actor=actor,
                              subject_type="transaction", entries=changes)  # fmt: skip
        outcomes = [AssignOutcome(row.id, row.status, problems) for row, problems in judged]
        uow.commit()
    return outcomes


def _assigned(
    row: TransactionRow, stored: Sequence[Any], values: dict[str, str | None]
) -> list[CodingLine]:
    if not stored:
        if not values.get("gl_account"):
            raise InvalidCoding("no coding yet: assign a GL account too")
        template: dict[str, Any] = {"amount": row.amount, "description": ""}
        stored = [_Line(**template)]
    lines = []
    for line in stored:
        current = {name: getattr(line, name, None) for name in ASSIGNABLE}
        current.update(values)
        lines.append(
            CodingLine(
                gl_account=current["gl_account"] or "",
                amount=Money(line.amount, row.currency),
                vat_code=current["vat_code"],
                cost_center=current["cost_center"],
                cost_unit=current["cost_unit"],
                project=current["project"],
                description=current["description"] or "",
            )
        )
    return lines


@dataclass(frozen=True, slots=True)
class _Line:
    amount: Decimal
    description: str
    gl_account: str | None = None
    vat_code: str | None = None
    cost_center: str | None = None
    cost_unit: str | None = None
    project: str | None = None


def mark_ready(
    uow_factory: UnitOfWorkFactory,
    company_id: uuid.UUID,
    txn_ids: Iterable[uuid.UUID],
    *,
    actor: str,
) -> list[ReadyOutcome]:
    """Judge each transaction; the bookable ones become *ready*. See the module."""
    with uow_factory() as uow:
        rows = select_rows(uow, company_id, txn_ids, _editable)
        codings = uow.transactions.coding_lines_of(company_id, [row.id for row in rows])
        lines_of: dict[uuid.UUID, list[CodingLine] | str] = {}
        for row in rows:
            lines_of[row.id] = stored_lines(row, codings[row.id])
        every_line = [
            line for lines in lines_of.values() if isinstance(lines, list) for line in lines
        ]
        lookup = _lookup(uow, company_id, every_line)
        export = ExportContext.of(uow, company_id, [row.id for row in rows])
        judged: list[tuple[TransactionRow, list[Problem]]] = []
        for row in rows:
            lines = lines_of[row.id]
            problems = (
                [Problem(0, "lines", "", lines)]
                if isinstance(lines, str)
                else judge(row, lines, lookup, export)
            )
            judged.append((row, problems))
        waiting = [row for row, _ in judged if row.status != ExportStatus.READY.value]
        waiting_ids = {row.id for row in waiting}
        good = {row.id for row, problems in judged if not problems}
        uow.transactions.move_status(
            company_id, [row for row in waiting if row.id in good], ExportStatus.READY, None
        )
        uow.transactions.set_reasons(
            company_id,
            {row.id: _reason(problems) for row, problems in judged
             if problems and row.id in waiting_ids},
        )  # fmt: skip
        uow.audit.record_many(
            company_id,
            action="transaction.ready",
            actor=actor,
            subject_type="transaction",
            entries=[(row.id, {}) for row in waiting if row.id in good],
        )
        outcomes = [ReadyOutcome(row.id, not problems, row.status, problems)
                    for row, problems in judged]  # fmt: skip
        uow.commit()
    return outcomes


def reopen(
    uow_factory: UnitOfWorkFactory,
    company_id: uuid.UUID,
    txn_ids: Iterable[uuid.UUID],
    *,
    actor: str,
) -> list[uuid.UUID]:
    """Take *ready* or *failed* transactions back to *to prepare*; the ids moved."""
    with uow_factory() as uow:
        rows = select_rows(uow, company_id, txn_ids, _editable)
        moved = []
        for row in rows:
            if row.status == ExportStatus.TO_PREPARE.value:
                continue
            before = row.status
            uow.transactions.move_status(company_id, [row], ExportStatus.TO_PREPARE, None)
            changes = {"status": {"from": before, "to": ExportStatus.TO_PREPARE.value}}
            _audit(uow, company_id, row.id, "transaction.reopened", actor, changes)
            moved.append(row.id)
        uow.commit()
    return moved


def problems_of(
    uow_factory: UnitOfWorkFactory, company_id: uuid.UUID, txn_id: uuid.UUID
) -> list[Problem]:
    """What the rule engine finds in the stored coding of one transaction now (read only;
    none while it has no coding yet). ``NotFoundError`` when it is not the company's."""
    with uow_factory() as uow:
        found = uow.transactions.many(company_id, [txn_id])
        if not found:
            raise NotFoundError(f"transaction {txn_id} not found")
        return _judged(uow, company_id, found[0], ExportContext.of(uow, company_id, [txn_id]))


# -- the period choice ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PeriodChoice:
    """The period of a transaction's date as synced from Exact, and the user's choice.

    ``period`` is None when the period table is not known or has no period for the date;
    ``first_open`` is the first period after it not known closed; ``chosen``: the user
    chose to post in it.
    """

    period: FinancialPeriod | None
    first_open: FinancialPeriod | None
    chosen: bool

    @property
    def closed(self) -> bool:
        return self.period is not None and self.period.closed is True

    @property
    def moved(self) -> bool:
        """Posted in the first open period: chosen, and the date's period is closed."""
        return self.chosen and self.closed and self.first_open is not None


@dataclass(frozen=True, slots=True)
class PeriodChoiceOutcome:
    transaction_id: uuid.UUID
    status: str
    chosen: bool
    problems: list[Problem]


def period_choice_of(
    uow_factory: UnitOfWorkFactory, company_id: uuid.UUID, txn_id: uuid.UUID
) -> PeriodChoice:
    """The period of one transaction's date (``NotFoundError`` when not the company's)."""
    with uow_factory() as uow:
        row = _one_row(uow, company_id, txn_id)
        return _period_choice(row, uow.periods.all(company_id))


def set_period_choice(
    uow_factory: UnitOfWorkFactory,
    company_id: uuid.UUID,
    txn_id: uuid.UUID,
    choose: bool,
    *,
    actor: str,
) -> PeriodChoiceOutcome:
    """Choose (or stop choosing) to post one transaction in the first open period.

    Only while its coding may change (else ``ConflictError``). Choosing needs the date's
    period known closed (Exact refused a posting in it) and a later one open; otherwise
    ``ItemsRefused`` says why. Turning it off is always allowed: a *ready* one whose
    period is closed goes back to *to prepare* with the reason, as a coding change does.
    Audited from → to (``transaction.period_choice``).
    """
    with uow_factory() as uow:
        row = _one_row(uow, company_id, txn_id)
        status = ExportStatus(row.status)
        if not status.coding_editable:
            raise ConflictError(_not_editable(row))
        export = ExportContext.of(uow, company_id, [row.id])
        view = _period_choice(row, export.periods)
        if choose and not row.post_in_first_open_period:
            why = _choice_refused(row, view)
            if why is not None:
                item = {"id": str(row.id), "field": "post_in_first_open_period", "message": why}
                raise ItemsRefused(why, [item])
        changes: dict[str, Any] = {
            "post_in_first_open_period": {"from": row.post_in_first_open_period, "to": choose},
            "period": view.period.label if view.period is not None else None,
            "posted_in": view.first_open.label if choose and view.first_open else None,
        }
        changed = choose != row.post_in_first_open_period
        row.post_in_first_open_period = choose
        problems = _judged(uow, company_id, row, export)
        if changed:
            reason = _reason(problems)
            if status is ExportStatus.READY and problems:
                uow.transactions.set_status(company_id, txn_id, ExportStatus.TO_PREPARE, reason)
                changes["status"] = {"from": status.value, "to": ExportStatus.TO_PREPARE.value}
            elif status is ExportStatus.TO_PREPARE and uow.transactions.coding_lines(
                company_id, txn_id
            ):
                row.status_reason = reason
            _audit(uow, company_id, txn_id, "transaction.period_choice", actor, changes)
        outcome = PeriodChoiceOutcome(txn_id, row.status, choose, problems)
        uow.commit()
    return outcome


def _one_row(uow: UnitOfWork, company_id: uuid.UUID, txn_id: uuid.UUID) -> TransactionRow:
    found = uow.transactions.many(company_id, [txn_id])
    if not found:
        raise NotFoundError(f"transaction {txn_id} not found")
    return found[0]


def _period_choice(row: TransactionRow, periods: Sequence[FinancialPeriod]) -> PeriodChoice:
    period = period_of(row.booking_date, periods)
    after = first_open_period(row.booking_date, periods) if period is not None else None
    return PeriodChoice(period, after, row.post_in_first_open_period)


def _choice_refused(row: TransactionRow, view: PeriodChoice) -> str | None:
    day = row.booking_date.isoformat()
    if view.period is None:
        return N_(
            "post in the first open period: Exact Online's period table (as synced) has no "
            "period for %(day)s, so none is known closed; sync the dimensions, or ask your "
            "accountant to create the period",
            day=day,
        )
    if not view.closed:
        return N_(
            "post in the first open period: period %(period)s of %(day)s is not known to be "
            "closed in Exact Online; the transaction is posted in its own period",
            period=view.period.label,
            day=day,
        )
    if view.first_open is None:
        return N_(
            "post in the first open period: no period after %(period)s is open in Exact "
            "Online; ask your accountant to reopen one",
            period=view.period.label,
        )
    return None


def _judged(
    uow: UnitOfWork, company_id: uuid.UUID, row: TransactionRow, export: ExportContext
) -> list[Problem]:
    """What mark ready would find in the stored coding now ([] while not coded)."""
    stored = uow.transactions.coding_lines(company_id, row.id)
    if not stored:
        return []
    lines = stored_lines(row, stored)
    if isinstance(lines, str):
        return [Problem(0, "amount", "lines_do_not_add_up", lines)]
    return judge(row, lines, _lookup(uow, company_id, lines), export)


# -- the selection -------------------------------------------------------------------------------


def matching_ids(
    uow_factory: UnitOfWorkFactory, company_id: uuid.UUID, filters: TransactionFilter
) -> list[uuid.UUID]:
    """ "All N matching this filter": their ids (at most ``MAX_SELECTION``, else refused)."""
    with uow_factory() as uow:
        ids = uow.transactions.ids_matching(company_id, filters, limit=MAX_SELECTION + 1)
    if len(ids) > MAX_SELECTION:
        raise InvalidRequest(
            N_(
                "more than %(max)s transactions match; narrow the filter "
                "(a date range, a merchant) and repeat",
                max=f"{MAX_SELECTION:,}",
            )
        )
    if not ids:
        raise InvalidRequest(N_("no transaction matches the filter; nothing was changed"))
    return ids


def select_rows(
    uow: UnitOfWork,
    company_id: uuid.UUID,
    txn_ids: Iterable[uuid.UUID],
    allowed: Callable[[TransactionRow], str | None],
) -> list[TransactionRow]:
    wanted = list(dict.fromkeys(txn_ids))
    if not wanted:
        raise InvalidRequest(N_("select at least one transaction"))
    if len(wanted) > MAX_SELECTION:
        raise InvalidRequest(
            N_(
                "at most %(max)s transactions per request (%(count)s selected)",
                max=f"{MAX_SELECTION:,}",
                count=f"{len(wanted):,}",
            )
        )
    rows = uow.transactions.many(company_id, wanted)
    found = {row.id for row in rows}
    refused = [
        {"id": str(txn_id), "message": f"transaction {txn_id} not found"}
        for txn_id in wanted
        if txn_id not in found
    ]
    refused += [{"id": str(row.id), "message": why} for row in rows if (why := allowed(row))]
    if refused:
        raise ItemsRefused(
            N_(
                "%(refused)s of %(selected)s selected transactions cannot be changed; "
                "nothing was changed",
                refused=len(refused),
                selected=len(wanted),
            ),
            refused,
        )
    return rows


def _editable(row: TransactionRow) -> str | None:
    """None when the coding may still change; else why not (queued, exported …)."""
    return None if ExportStatus(row.status).coding_editable else _not_editable(row)


def _not_editable(row: TransactionRow) -> str:
    if row.status == ExportStatus.EXPORTED.value:
        return N_(
            "%(ref)s is exported: it is booked in Exact Online and cannot change",
            ref=row.external_id,
        )
    return N_(
        "%(ref)s is %(status)s for export: wait until the export ends, or cancel it",
        ref=row.external_id,
        status=row.status,
    )


# -- coding lines --------------------------------------------------------------------------------


class CodingRefused(InvalidRequest):
    """Lines that cannot be a coding at all (no GL account, a zero amount, lines that do
    not add up); ``problems`` name the line (0: the lines together) and the field."""

    def __init__(self, message: str, problems: list[Problem]) -> None:
        super().__init__(message)
        self.problems = problems


def _coding(row: TransactionRow, lines: Sequence[LineInput]) -> Coding:
    currency = row.currency
    built = []
    for number, line in enumerate(lines, 1):
        try:
            built.append(
                CodingLine(
                    gl_account=line.gl_account,
                    amount=Money(line.amount, currency),
                    vat_code=line.vat_code,
                    cost_center=line.cost_center,
                    cost_unit=line.cost_unit,
                    project=line.project,
                    description=line.description,
                )
            )
        except (InvalidCoding, ValueError) as error:
            where = "amount" if (line.gl_account or "").strip() else "gl_account"
            message = N_("line %(line)s: %(problem)s", line=number, problem=str(error))
            raise CodingRefused(
                f"line {number}: {error}", [Problem(number, where, "invalid_line", message)]
            ) from None
    paid = Money(row.amount, row.currency)
    try:
        return Coding.for_amount(paid, built)
    except InvalidCoding as error:
        problem = Problem(0, "amount", "lines_do_not_add_up", _mismatch(paid, built, str(error)))
        raise CodingRefused(str(error), [problem]) from None


def _mismatch(paid: Money, lines: Sequence[CodingLine], fallback: str) -> str:
    """Why the lines are not the paid amount, in words a page can translate."""
    if any(line.amount.currency != paid.currency for line in lines):
        return fallback
    total = Money.total((line.amount for line in lines), paid.currency)
    gap = abs(paid - total)
    values = {"total": str(total), "paid": str(paid), "gap": str(gap)}
    if abs(total) < abs(paid):
        return N_(
            "the lines add up to %(total)s, the transaction is %(paid)s: %(gap)s unassigned",
            **values,
        )
    return N_(
        "the lines add up to %(total)s, the transaction is %(paid)s: %(gap)s too much",
        **values,
    )


def stored_lines(row: TransactionRow, stored: Sequence[Any]) -> list[CodingLine] | str:
    if not stored:
        return N_("no coding yet: choose a GL account (and VAT code) for this transaction")
    lines = [
        CodingLine(
            gl_account=line.gl_account or "",
            amount=Money(line.amount, row.currency),
            vat_code=line.vat_code,
            cost_center=line.cost_center,
            cost_unit=line.cost_unit,
            project=line.project,
            description=line.description,
        )
        for line in stored
    ]
    paid = Money(row.amount, row.currency)
    try:
        Coding.for_amount(paid, lines)
    except InvalidCoding as error:
        return _mismatch(paid, lines, str(error))
    return lines


def _lookup(uow: UnitOfWork, company_id: uuid.UUID, lines: Iterable[CodingLine]) -> Lookup:
    keys = {
        (kind, code)
        for line in lines
        for name, kind in LINE_FIELDS
        if (code := getattr(line, name)) is not None
    }
    return lookup_in(uow.dimensions.matching(company_id, keys, ()) if keys else [])


def _refuse_unknown_codes(lines: Sequence[CodingLine], lookup: Lookup) -> None:
    unknown = [
        {
            "line": str(number),
            "field": name,
            "message": N_(
                "line %(line)s: %(kind)s %(code)s does not exist in the synced dimensions; "
                "choose one from the list",
                line=number,
                kind=kind.label,
                code=code,
            ),
        }
        for number, line in enumerate(lines, 1)
        for name, kind in LINE_FIELDS
        if (code := getattr(line, name)) is not None and lookup(kind, code) is None
    ]
    if unknown:
        raise ItemsRefused("the coding uses codes that do not exist; nothing was saved", unknown)


# Exact takes one POST of at most 10 MB (EXACT_API.md §3, UNCONFIRMED) and an attachment
# travels base64-encoded (4/3 of its size): a file up to 7 MiB fits either way.
ATTACHMENT_MAX_BYTES = 7 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ExportContext:
    """What mark ready judges besides the coding: the company's export settings (complete?
    a receipt required?), which of the selected transactions have a receipt, and Exact's
    period table as synced (empty: not known yet, so no period is judged)."""

    settings: ExportSettings
    with_receipt: frozenset[uuid.UUID]
    periods: tuple[FinancialPeriod, ...] = ()
    # Transactions with a receipt Exact would refuse for its size (one file name each).
    oversized: Mapping[uuid.UUID, str] = field(default_factory=dict)

    @classmethod
    def of(cls, uow: UnitOfWork, company_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> ExportContext:
        found = uow.transactions.with_receipts(company_id, ids) if ids else set()
        periods = tuple(uow.periods.all(company_id))
        big = (
            uow.transactions.with_receipts_over(company_id, ids, ATTACHMENT_MAX_BYTES)
            if found
            else {}
        )
        return cls(uow.export_settings.get(company_id), frozenset(found), periods, big)


def as_transaction(row: TransactionRow) -> Transaction:
    """The domain transaction of a stored row (for the rule engine and the mapping)."""
    return Transaction(
        external_id=row.external_id,
        kind=TransactionKind(row.kind),
        booking_date=row.booking_date,
        amount=Money(row.amount, row.currency),
        original_amount=Money(row.original_amount, row.original_currency),
        settlement_date=row.settlement_date,
        merchant_name=row.merchant_name,
        merchant_country=row.merchant_country,
        mcc=row.mcc,
        cardholder=row.cardholder,
        card_last4=row.card_last4,
        description=row.description,
        fx_rate=row.fx_rate,
    )


def judge(
    row: TransactionRow,
    lines: Sequence[CodingLine],
    lookup: Lookup,
    export: ExportContext | None = None,
) -> list[Problem]:
    """The rule engine on one transaction; with ``export`` also the export settings, the
    receipt policy and the period of its date (mark ready: what is ready must export)."""
    for_purchase = row.kind not in BANK_ONLY_KINDS
    if export is None:
        found = coding_problems(lines, row.booking_date, lookup, for_purchase=for_purchase)
    else:
        found = coding_problems(lines, row.booking_date, lookup, for_purchase=for_purchase,
                                transaction=as_transaction(row), settings=export.settings,
                                periods=export.periods,
                                post_in_first_open_period=row.post_in_first_open_period,
                                receipt_attached=row.id in export.with_receipt)  # fmt: skip
    problems = [Problem.of(p) for p in found]
    if export is not None and (name := export.oversized.get(row.id)) is not None:
        problems.append(Problem(0, "receipts", "receipt_too_large", N_(
            "receipt %(name)s is larger than Exact Online accepts (%(max)s MB); upload a "
            "smaller scan or a compressed PDF", name=name,
            max=ATTACHMENT_MAX_BYTES // (1024 * 1024))))  # fmt: skip
    return problems


def _reason(problems: Sequence[Problem]) -> str | None:
    return "; ".join(p.message for p in problems) or None


def _line_json(line: Any) -> dict[str, Any]:
    amount = line.amount.amount if isinstance(line.amount, Money) else line.amount
    values = {
        name: getattr(line, name) for name in ("gl_account", *(n for n, _ in LINE_FIELDS[1:]))
    }
    return {**values, "amount": str(amount), "description": line.description or ""}


def _audit(
    uow: UnitOfWork,
    company_id: uuid.UUID,
    txn_id: uuid.UUID,
    action: str,
    actor: str,
    changes: dict[str, Any],
) -> None:
    uow.audit.record(
        action=action,
        actor=actor,
        company_id=company_id,
        subject_type="transaction",
        subject_id=txn_id,
        details=changes,
    )


__all__ = [
    "ASSIGNABLE",
    "AssignOutcome",
    "CodingOutcome",
    "CodingRefused",
    "LineInput",
    "PeriodChoice",
    "PeriodChoiceOutcome",
    "Problem",
    "ReadyOutcome",
    "assign",
    "code_transaction",
    "mark_ready",
    "matching_ids",
    "period_choice_of",
    "problems_of",
    "reopen",
    "set_period_choice",
]
