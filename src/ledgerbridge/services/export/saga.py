"""Use case: work through one export run — the saga per transaction (DESIGN.md).

A run's job calls ``run_export``. It first refreshes the master data
(``refresh_before_export``) and judges every queued transaction again with the same
mapping the journal preview uses (``services.prep.preview``): one whose coding Exact made
unusable goes back to *to prepare* with the reason; the rest go on.

Per transaction, each step's result is committed before the next step starts, and a
write is marked ``pending`` before it is sent, so a restart (a killed worker, a lost job)
resumes at the right step and looks a pending write up in Exact before sending it again
(``ExactWriter.create_or_adopt_*`` with ``look_up_first``):

1. receipts: a document (carrying our reference in its subject) and its attachments;
2. the purchase entry, linked to the document, our reference in ``ExternalLinkReference``;
3. the bank entry line in the card's bank journal, against the supplier, ``OurRef`` = the
   purchase entry's number and the opposite amount — the run's lines share one bank entry
   per journal, month and currency; when Exact refuses such a batch it is split in halves
   until the bad line stands alone (only that transaction fails);
4. the match status read back from Exact's open payables (one read for the run):
   ``matched`` or ``not_matched_yet``, never assumed.

Failures (``domain.export_failure``): Exact refusing the content fails that transaction
into the export queue and the run goes on; a write that failed transiently is tried again
in place a few times (``WRITE_RETRY_DELAYS``, looked up first), then Exact unreachable or a
rate limit stops the run and it is queued again later (``RunResult.retry_at``); lost
authorisation pauses the run until the connection is renewed (the sweeper resumes it);
anything else fails that transaction as internal, with the trace in the log.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from ledgerbridge.db.models.exports import TransactionExportRow
from ledgerbridge.domain.connection import ConnectionStatus
from ledgerbridge.domain.entries import BankEntryLine, JournalDocuments
from ledgerbridge.domain.errors import DomainError
from ledgerbridge.domain.export_failure import (
    Failure,
    auth_lost,
    coding_refused,
    internal,
    rejected,
)
from ledgerbridge.domain.export_status import ExportStatus
from ledgerbridge.domain.upkeep import UpkeepPolicy
from ledgerbridge.domain.wording import N_
from ledgerbridge.exact.adopt import ExactWriter, Written
from ledgerbridge.exact.api import ExactApi
from ledgerbridge.exact.errors import (
    ExactAuthLost,
    ExactBudgetExhausted,
    ExactError,
    ExactRateLimited,
    ExactRejected,
    ExactUnavailable,
)
from ledgerbridge.exact.pacing import sleeping_at_most
from ledgerbridge.exact.purpose import Purpose, calls_for
from ledgerbridge.files.store import ReceiptStore, ReceiptStoreUnavailable
from ledgerbridge.services.dimensions.upkeep import FRESH, refresh_before_export
from ledgerbridge.services.errors import ConnectionNotReady
from ledgerbridge.services.export.drafts import (
    bank_entry_draft,
    bank_line_draft,
    purchase_entry_draft,
)
from ledgerbridge.services.ports import Clock, ExactGateway, UnitOfWork, UnitOfWorkFactory
from ledgerbridge.services.prep.preview import MAX_PREVIEW, preview_of

log = logging.getLogger(__name__)
S = ExportStatus
ACTOR = "export"

# Saga steps, in order.
START, DOCUMENT, ATTACHMENT, PURCHASE, BANK, MATCH, DONE = (
    "start",
    "document",
    "attachment",
    "purchase_entry",
    "bank_line",
    "match",
    "done",
)
MATCHED, NOT_MATCHED_YET = "matched", "not_matched_yet"
# A transient stop waits this long, doubling per attempt in a row that made no progress,
# up to the ceiling (``_backoff``).
BACKOFF, BACKOFF_CEILING = timedelta(seconds=30), timedelta(minutes=15)
# A wait for Exact's minute window longer than this gives the worker back: the run stops
# and its job is queued again for the reset, so other divisions' work is not held up.
YIELD_AFTER = 5.0
# A resumed run reads master data again only when it is older than this: an uninterrupted
# run checks once at its start, and a large run waits for dozens of minute windows.
RESUME_FRESH = timedelta(hours=1)
# A write that failed transiently (after its lookup found nothing) is tried again in place
# after these delays (seconds) before the run is parked with the backoff above.
WRITE_RETRY_DELAYS = (1.0, 3.0)


@dataclass(frozen=True)
class RunResult:
    """How a run's job ended: ``finished``, ``waiting`` (queue again at ``retry_at``) or
    ``paused`` (until the connection is renewed)."""

    state: str
    note: str | None = None
    retry_at: datetime | None = None
    # A transient stop: ``retry_at`` is set when the run ends, from the backoff (``_backoff``).
    # A wait for Exact's limits is not one: it does not count as an attempt without progress.
    backoff: bool = False


class _Stop(Exception):
    """Stop the run now; ``result`` says what comes next."""

    def __init__(self, result: RunResult) -> None:
        super().__init__(result.note)
        self.result = result


@dataclass
class ExportDeps:
    """What a run needs from outside (passed in by the job)."""

    uow: UnitOfWorkFactory
    exact: ExactGateway
    clock: Clock
    receipts: ReceiptStore
    policy: UpkeepPolicy
    # How a quick in-place retry of a write waits (``WRITE_RETRY_DELAYS``); None: it does not.
    sleep: Callable[[float], None] | None = None


@dataclass
class _Run:
    deps: ExportDeps
    company_id: uuid.UUID
    run_id: uuid.UUID
    actor: str
    attempts: int  # the run's attempts in a row without progress before this one
    api: ExactApi
    writer: ExactWriter
    resumed: bool = False  # this run's job ran before (it stopped or its worker died)
    documents: dict[uuid.UUID, JournalDocuments] = field(default_factory=dict)

    def uow(self) -> UnitOfWork:
        return self.deps.uow()


def run_export(deps: ExportDeps, company_id: uuid.UUID, run_id: uuid.UUID) -> RunResult:
    """Work through the run until done, stopped by Exact's limits, or paused; see module."""
    with deps.uow() as uow:
        run = uow.exports.run(company_id, run_id)
        if run is None:
            return RunResult("finished", "no such run")
        actor, attempts = run.started_by, run.attempts
        resumed = attempts > 0 or run.state == "waiting"
        run.state, run.note = "running", None
        uow.commit()
    try:
        api = deps.exact.api(company_id)
    except ConnectionNotReady as exc:
        return _end(deps, company_id, run_id, RunResult("paused", str(exc)), attempts)
    state = _Run(deps, company_id, run_id, actor, attempts, api, ExactWriter(api), resumed)
    before = _positions(state)
    try:
        with calls_for(Purpose.EXPORTS):
            _refresh(state)
            _judge(state)
            with sleeping_at_most(YIELD_AFTER):
                for txn_id in _open(
                    state, (S.QUEUED, S.EXPORTING), (START, DOCUMENT, ATTACHMENT, PURCHASE)
                ):
                    _guarded(state, txn_id, _purchase_phase)
                _bank_phase(state)
                _match_phase(state)
    except _Stop as stop:
        return _end(deps, company_id, run_id, *_backoff(state, stop.result, before))
    return _end(deps, company_id, run_id, RunResult("finished"), 0)


def _positions(state: _Run) -> dict[uuid.UUID, tuple[str, str]]:
    return {m.transaction_id: (m.status, m.step) for m in _members(state)}


def _backoff(
    state: _Run, result: RunResult, before: dict[uuid.UUID, tuple[str, str]]
) -> tuple[RunResult, int]:
    """The stopped run's wait and its count of transient stops in a row without progress
    between them (kept in ``run.attempts``; a wait for Exact's limits is not one). The
    backoff (``BACKOFF`` for the first) doubles with that count: an attempt that moved any
    transaction a step on starts it again, while calls that merely succeeded (the refresh,
    lookups, another division's work) do not — a run stuck at one write keeps doubling
    up to the ceiling instead of retrying fast for ever."""
    moved = _positions(state) != before
    # a transient stop counts itself; a wait for Exact's limits (no backoff) does not
    stuck = (0 if moved else state.attempts) + (1 if result.backoff else 0)
    if result.backoff:
        delay = min(BACKOFF * (2 ** min(stuck - 1, 10)), BACKOFF_CEILING)
        result = replace(result, retry_at=state.deps.clock() + delay)
    return result, stuck


# -- before the first call: fresh master data, the same mapping as the preview ---------------


def _refresh(state: _Run) -> None:
    deps = state.deps
    # A run resumed after waiting for the minute window was checked minutes ago, as an
    # uninterrupted run is: it does not spend the window on reading everything again.
    fresh = RESUME_FRESH if state.resumed else FRESH
    with calls_for(Purpose.DIMENSION_UPKEEP):
        try:
            outcome = refresh_before_export(
                deps.uow, deps.exact, deps.clock, state.company_id, deps.policy, fresh
            )
        except ConnectionNotReady as exc:
            raise _Stop(RunResult("paused", str(exc))) from exc
    if outcome is not None and outcome.status != "ok":
        with deps.uow() as uow:
            found = uow.connections.get(state.company_id)
            usable = found is not None and found.status is ConnectionStatus.CONNECTED
        if not usable:  # the sync lost the authorisation: pause until Renew
            failure = auth_lost(outcome.error or "")
            raise _Stop(RunResult("paused", _paused(failure)))
        # Never post on master data we could not check: wait and try again.
        raise _Stop(_waiting(state, N_("the dimensions could not be refreshed (%(error)s)",
                                       error=outcome.error or "")))  # fmt: skip


def _judge(state: _Run) -> None:
    """Map every open transaction of the run again (the preview's mapping); a queued one
    whose coding is no longer bookable goes back to *to prepare* with the reason."""
    members = _members(state)
    open_ids = [
        m.transaction_id for m in members if m.status in (S.QUEUED.value, S.EXPORTING.value)
    ]
    refused: dict[uuid.UUID, str] = {}
    for chunk in _chunks(open_ids, MAX_PREVIEW):
        for shown in preview_of(state.deps.uow, state.company_id, chunk):
            if shown.documents is not None and not shown.problems:
                state.documents[shown.transaction_id] = shown.documents
            else:
                refused[shown.transaction_id] = "; ".join(p.message for p in shown.problems)
    if not refused:
        return
    with state.uow() as uow:
        rows_by_id = {r.id: r for r in uow.transactions.many(state.company_id, list(refused))}
        queued = [r for r in rows_by_id.values() if r.status == S.QUEUED.value]
        for row in queued:
            reason = refused[row.id] or "the coding can no longer be booked"
            uow.transactions.move_status(state.company_id, [row], S.TO_PREPARE, reason)
            uow.audit.record(
                state.company_id,
                action="export.refused.coding",
                actor=ACTOR,
                subject_type="transaction",
                subject_id=row.id,
                details={"run": str(state.run_id), "reason": reason},
            )
        for row in rows_by_id.values():
            if row.status == S.EXPORTING.value:  # half-way in Exact already: the queue
                _fail_in(uow, state, row.id, coding_refused(refused[row.id]), START)
        uow.commit()


# -- phase 1: receipts and the purchase entry, one transaction at a time ----------------------


def _purchase_phase(state: _Run, txn_id: uuid.UUID) -> None:
    documents = state.documents.get(txn_id)
    if documents is None:
        return
    saga = _begin(state, txn_id)
    entry = documents.purchase_entry
    if entry is None:  # fees and transfers: bank lines only
        _save(state, txn_id, step=BANK)
        return
    if saga.step in (START, DOCUMENT, ATTACHMENT):
        with calls_for(Purpose.RECEIPTS):
            _receipts(state, txn_id, entry.document_type, entry.supplier_id, entry.document_date)
        saga = _save(state, txn_id, step=PURCHASE)
    draft = purchase_entry_draft(entry, saga.document_id)
    written = _write(
        state,
        txn_id,
        PURCHASE,
        lambda first: state.writer.create_or_adopt_purchase_entry(
            draft, saga.reference, look_up_first=first
        ),
    )
    record = written.record
    _save(
        state,
        txn_id,
        step=BANK,
        entry_id=record.entry_id,
        entry_number=record.entry_number,
        journal=entry.journal,
        supplier_id=entry.supplier_id,
        document_linked=saga.document_id is not None,
        audit=(
            f"export.purchase_entry.{written.outcome}",
            {
                "reference": saga.reference,
                "entry_number": record.entry_number,
                "entry_id": record.entry_id,
            },
        ),
    )


def _receipts(
    state: _Run,
    txn_id: uuid.UUID,
    document_type: int | None,
    supplier_id: str | None,
    document_date: Any,
) -> None:
    with state.uow() as uow:
        receipts = uow.transactions.receipts(state.company_id, txn_id)
        files = [(str(r.id), r.sha256, r.filename) for r in receipts]
        saga = uow.exports.saga(state.company_id, txn_id)
        assert saga is not None
        document_id, done = saga.document_id, {a["receipt_id"] for a in saga.attachments}
        reference = saga.reference
    if not files:
        return
    if document_id is None:
        if document_type is None:
            raise DomainError("the export settings have no document type for receipts")
        written = _write(
            state,
            txn_id,
            DOCUMENT,
            lambda first: state.writer.create_or_adopt_document(
                reference,
                document_type,
                account_id=supplier_id,
                document_date=document_date,
                look_up_first=first,
            ),
        )
        document_id = written.record.id
        _save(
            state,
            txn_id,
            step=ATTACHMENT,
            document_id=document_id,
            document_url=written.record.view_url,
            audit=(
                f"export.document.{written.outcome}",
                {"reference": reference, "document_id": document_id},
            ),
        )
    for name, (receipt_id, sha256, _) in zip(_unique_names(files), files, strict=True):
        if receipt_id in done:
            continue
        try:
            content = state.deps.receipts.get(sha256)
        except ReceiptStoreUnavailable as exc:  # not the transaction's fault: wait for it
            raise _Stop(_waiting(state, N_("the receipt store does not answer (%(error)s)",
                                           error=str(exc)))) from exc  # fmt: skip
        written_file = _write(state, txn_id, ATTACHMENT, _attach(state, document_id, name, content))
        _add_attachment(
            state, txn_id, receipt_id, written_file.record.id, name, written_file.outcome
        )


def _attach(
    state: _Run, document_id: str, name: str, content: bytes
) -> Callable[[bool], Written[Any]]:
    def send(first: bool) -> Written[Any]:
        return state.writer.create_or_adopt_attachment(
            document_id, name, content, look_up_first=first
        )

    return send


def _unique_names(files: Sequence[tuple[str, str, str]]) -> list[str]:
    """File names as attached: a second file of the same name gets its position in front
    (Exact's lookup for an attachment is its document and file name)."""
    seen: set[str] = set()
    names = []
    for n, (_, _, filename) in enumerate(files, start=1):
        name = filename if filename not in seen else f"{n}-{filename}"
        seen.add(name)
        names.append(name)
    return names


# -- a receipt added after the export ---------------------------------------------------------


def push_late_receipts(deps: ExportDeps, company_id: uuid.UUID, txn_id: uuid.UUID) -> int:
    """Push the receipts an exported transaction got after its export to its entry in Exact:
    the document (created if the entry had none, then linked to the entry) and each new
    attachment, every step committed before the next. Answers how many were pushed; 0 when
    there is nothing to push. Exact's limits and a lost authorisation raise ``ExactError``
    for the job to retry later (nothing is lost: the sweeper finds it again)."""
    with deps.uow() as uow:
        row = uow.transactions.get(company_id, txn_id)
        saga = uow.exports.saga(company_id, txn_id)
        if row is None or saga is None or row.status != S.EXPORTED.value or not saga.entry_id:
            return 0
        before, entry_id = len(saga.attachments), saga.entry_id
        supplier_id, run_id, booked = saga.supplier_id, saga.run_id, row.booking_date
        settings = uow.export_settings.get(company_id)
    api = deps.exact.api(company_id)
    state = _Run(deps, company_id, run_id or uuid.uuid4(), ACTOR, 0, api, ExactWriter(api))
    with calls_for(Purpose.RECEIPTS):
        try:
            _receipts(state, txn_id, settings.document_type, supplier_id, booked)
        except _Stop as stop:
            raise ExactUnavailableLater(stop.result) from stop
        with deps.uow() as uow:
            saga = uow.exports.saga(company_id, txn_id)
            assert saga is not None
            document_id, linked = saga.document_id, saga.document_linked
            pushed = len(saga.attachments) - before
        if document_id is not None and not linked:
            try:
                _guard_call(state, lambda: api.attach_document_to_entry(entry_id, document_id))
            except _Stop as stop:
                raise ExactUnavailableLater(stop.result) from stop
            _save(state, txn_id, document_linked=True,
                  audit=("export.document.linked", {"entry_id": entry_id,
                                                     "document_id": document_id}))  # fmt: skip
    return pushed


class ExactUnavailableLater(Exception):
    """A late receipt push stopped by Exact's limits or authorisation; try again later."""

    def __init__(self, result: RunResult) -> None:
        super().__init__(result.note)
        self.result = result


# -- phase 2: the bank entry lines, batched per journal, month and currency ------------------


@dataclass(frozen=True, slots=True)
class _Saga:
    """A saga row's values, safe outside its unit of work."""

    reference: str
    step: str
    document_id: str | None

    @classmethod
    def of(cls, row: TransactionExportRow) -> _Saga:
        return cls(row.reference, row.step, row.document_id)


@dataclass
class _Batch:
    reference: str
    journal: str
    currency: str
    members: list[tuple[uuid.UUID, tuple[BankEntryLine, ...]]]
    look_up_first: bool = False


def _bank_phase(state: _Run) -> None:
    batches: dict[str, _Batch] = {}
    fresh: dict[tuple[str, str, str], list[tuple[uuid.UUID, tuple[BankEntryLine, ...]]]] = (
        defaultdict(list)
    )
    sagas = [m for m in _members(state) if m.step == BANK]
    for saga in sagas:
        documents = state.documents.get(saga.transaction_id)
        if documents is None or saga.status != S.EXPORTING.value:
            continue
        lines = documents.bank_lines
        member = (saga.transaction_id, lines)
        if saga.bank_reference:  # an earlier attempt: exactly the same batch, looked up first
            batch = batches.setdefault(
                saga.bank_reference,
                _Batch(saga.bank_reference, lines[0].journal, lines[0].amount.currency, []),
            )
            batch.members.append(member)
            batch.look_up_first = batch.look_up_first or saga.pending == BANK
        else:
            first = lines[0]
            fresh[(first.journal, f"{first.date:%Y%m}", first.amount.currency)].append(member)
    if batches:  # the same lines in the same order as when they were first sent
        order = {s.transaction_id: s.bank_line_number or 0 for s in sagas}
        for batch in batches.values():
            batch.members.sort(key=lambda m: order[m[0]])
    for (journal, month, currency), members in fresh.items():
        reference = f"LB-{state.run_id.hex[:12]}-{month}-{journal}-{currency}"
        batches[reference] = _Batch(reference, journal, currency, members)
    for batch in batches.values():
        _post_batch(state, batch)


def _post_batch(state: _Run, batch: _Batch) -> None:
    """Post one bank entry; when Exact refuses it, split it to find the bad line."""
    _number(state, batch)
    entry_numbers = _entry_numbers(state, [txn for txn, _ in batch.members])
    drafts = [
        bank_line_draft(line, entry_numbers.get(txn_id))
        for txn_id, lines in batch.members
        for line in lines
    ]
    draft = bank_entry_draft(batch.journal, batch.currency, drafts)
    try:
        written = _guard_call(
            state,
            lambda: _quick_tries(
                state,
                lambda: state.writer.create_or_adopt_bank_entry(
                    draft, batch.reference, look_up_first=batch.look_up_first
                ),
            ),
        )
    except ExactError as exc:  # refused: nothing of this batch was booked
        failure = rejected(exc.message)
        if len(batch.members) == 1:
            with state.uow() as uow:
                _fail_in(uow, state, batch.members[0][0], failure, BANK)
                uow.commit()
            return
        half = len(batch.members) // 2
        for n, part in enumerate((batch.members[:half], batch.members[half:]), start=1):
            _post_batch(
                state, _Batch(f"{batch.reference}.{n}", batch.journal, batch.currency, part)
            )
        return
    with state.uow() as uow:
        for txn_id, _ in batch.members:
            saga = uow.exports.saga(state.company_id, txn_id)
            assert saga is not None
            saga.bank_entry_id, saga.pending, saga.step = written.record.entry_id, None, MATCH
            saga.updated_at = state.deps.clock()
        uow.audit.record(
            state.company_id,
            action=f"export.bank_entry.{written.outcome}",
            actor=ACTOR,
            subject_type="export_run",
            subject_id=state.run_id,
            details={
                "reference": batch.reference,
                "entry_id": written.record.entry_id,
                "lines": sum(len(lines) for _, lines in batch.members),
            },
        )
        uow.commit()


def _number(state: _Run, batch: _Batch) -> None:
    """Give each member its reference and first line number, committed before the post."""
    with state.uow() as uow:
        number = 1
        for txn_id, lines in batch.members:
            saga = uow.exports.saga(state.company_id, txn_id)
            assert saga is not None
            if saga.bank_reference != batch.reference:
                saga.bank_reference, saga.bank_line_number = batch.reference, number
            saga.pending = BANK
            saga.updated_at = state.deps.clock()
            number += len(lines)
        uow.commit()


def _entry_numbers(state: _Run, txn_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    with state.uow() as uow:
        sagas = uow.exports.sagas(state.company_id, txn_ids)
        return {t: s.entry_number for t, s in sagas.items() if s.entry_number is not None}


# -- phase 3: the match status read back, then exported ---------------------------------------


def _match_phase(state: _Run) -> None:
    ids = [m.transaction_id for m in _members(state) if m.step == MATCH]
    if not ids:
        return
    open_items = _guard_call(
        state, lambda: {(p.journal_code, p.entry_number) for p in state.api.payables()}
    )
    now = state.deps.clock()
    with state.uow() as uow:
        rows = {r.id: r for r in uow.transactions.many(state.company_id, ids)}
        for txn_id in ids:
            saga = uow.exports.saga(state.company_id, txn_id)
            row = rows[txn_id]
            if saga is None or row.status != S.EXPORTING.value:
                continue
            if saga.entry_number is not None:
                key = (saga.journal, saga.entry_number)
                saga.match_status = NOT_MATCHED_YET if key in open_items else MATCHED
            saga.step, saga.pending = DONE, None
            saga.exported_at, saga.exported_by, saga.updated_at = now, state.actor, now
            uow.transactions.move_status(state.company_id, [row], S.EXPORTED)
            uow.audit.record(
                state.company_id,
                action="export.exported",
                actor=ACTOR,
                subject_type="transaction",
                subject_id=txn_id,
                details={
                    "entry_number": saga.entry_number,
                    "match_status": saga.match_status,
                    "run": str(state.run_id),
                },
            )
        uow.commit()


# -- plumbing --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Member:
    """One transaction of the run as its saga and status stand (plain values)."""

    transaction_id: uuid.UUID
    status: str
    step: str
    pending: str | None
    bank_reference: str | None
    bank_line_number: int | None


def _members(state: _Run) -> list[_Member]:
    with state.uow() as uow:
        sagas = uow.exports.of_run(state.company_id, state.run_id)
        found = {
            r.id: r.status
            for r in uow.transactions.many(state.company_id, [s.transaction_id for s in sagas])
        }
        return [
            _Member(
                s.transaction_id,
                found.get(s.transaction_id, ""),
                s.step,
                s.pending,
                s.bank_reference,
                s.bank_line_number,
            )
            for s in sagas
        ]


def _open(
    state: _Run, statuses: Sequence[ExportStatus], steps: Sequence[str]
) -> Iterator[uuid.UUID]:
    wanted = {s.value for s in statuses}
    for member in _members(state):
        if member.step in steps and member.status in wanted:
            yield member.transaction_id


def _begin(state: _Run, txn_id: uuid.UUID) -> _Saga:
    with state.uow() as uow:
        row = uow.transactions.many(state.company_id, [txn_id])[0]
        saga = uow.exports.saga(state.company_id, txn_id)
        assert saga is not None
        if row.status == S.QUEUED.value:
            uow.transactions.move_status(state.company_id, [row], S.EXPORTING)
        saga.attempts += 1
        saga.updated_at = state.deps.clock()
        uow.commit()
        return _Saga.of(saga)


def _save(
    state: _Run,
    txn_id: uuid.UUID,
    *,
    audit: tuple[str, dict[str, Any]] | None = None,
    **values: Any,
) -> _Saga:
    """Record a step's result (and end its ``pending``) in its own commit."""
    with state.uow() as uow:
        saga = uow.exports.saga(state.company_id, txn_id)
        assert saga is not None
        for name, value in values.items():
            setattr(saga, name, value)
        saga.pending = None
        saga.updated_at = state.deps.clock()
        if audit is not None:
            action, details = audit
            uow.audit.record(
                state.company_id,
                action=action,
                actor=ACTOR,
                subject_type="transaction",
                subject_id=txn_id,
                details=details,
            )
        uow.commit()
        return _Saga.of(saga)


def _add_attachment(
    state: _Run,
    txn_id: uuid.UUID,
    receipt_id: str,
    attachment_id: str | None,
    name: str,
    outcome: str,
) -> None:
    with state.uow() as uow:
        saga = uow.exports.saga(state.company_id, txn_id)
        assert saga is not None
        saga.attachments = [
            *saga.attachments,
            {"receipt_id": receipt_id, "attachment_id": attachment_id, "file_name": name},
        ]
        saga.pending = None
        saga.updated_at = state.deps.clock()
        uow.audit.record(
            state.company_id,
            action=f"export.attachment.{outcome}",
            actor=ACTOR,
            subject_type="transaction",
            subject_id=txn_id,
            details={"file_name": name, "document_id": saga.document_id},
        )
        uow.commit()


def _write(
    state: _Run, txn_id: uuid.UUID, step: str, send: Callable[[bool], Written[Any]]
) -> Written[Any]:
    """Mark ``step`` pending (committed), then send; a step found pending was sent before
    without an answer recorded, so it is looked up first."""
    with state.uow() as uow:
        saga = uow.exports.saga(state.company_id, txn_id)
        assert saga is not None
        first = saga.pending == step
        saga.pending = step
        saga.updated_at = state.deps.clock()
        uow.commit()
    try:
        return _guard_call(state, lambda: _quick_tries(state, lambda: send(first)))
    except _Stop as stop:
        limited = isinstance(stop.__cause__, ExactRateLimited | ExactBudgetExhausted)
        if limited and not first and not state.writer.in_doubt:
            _save(state, txn_id)  # refused before anything was sent: nothing to look up
        raise
    except ExactRejected as refused:
        if not ALREADY_EXISTS.search(refused.message):
            raise
        # Exact says it has it already (a resend with a client key it honours): that is a
        # link to what an earlier attempt wrote, not an error — look it up and adopt it.
        return _guard_call(state, lambda: send(True))


# Exact's answers that a record exists already (English and Dutch, §2.6 "In gebruik").
ALREADY_EXISTS = re.compile(r"in use|in gebruik|already exists|bestaat al", re.IGNORECASE)


def _paused(failure: Failure) -> str:
    return N_("%(reason)s: %(action)s", reason=failure.reason, action=failure.action_words)


def _guard_call(state: _Run, call: Callable[[], Any]) -> Any:
    """Run one Exact call; what stops the run (limits, auth) becomes ``_Stop``."""
    try:
        return call()
    except ExactAuthLost as exc:
        raise _Stop(RunResult("paused", _paused(auth_lost(exc.message)))) from exc
    except (ExactRateLimited, ExactBudgetExhausted) as exc:
        note = (
            N_("waiting for Exact Online's daily limit to reset (%(at)s UTC)",
               at=f"{exc.retry_at:%Y-%m-%d %H:%M}")
            if getattr(exc, "window", None) == "day"
            else N_("waiting for Exact Online's limits until %(at)s UTC",
                    at=f"{exc.retry_at:%H:%M:%S}")
        )  # fmt: skip
        raise _Stop(RunResult("waiting", note, exc.retry_at)) from exc
    except ExactUnavailable as exc:
        raise _Stop(_waiting(state, N_("Exact Online is unreachable (%(error)s)",
                                       error=exc.message))) from exc  # fmt: skip


def _quick_tries(state: _Run, write: Callable[[], Written[Any]]) -> Written[Any]:
    """A write whose try failed transiently (unreachable, or its outcome unknown and the
    lookup found nothing) is tried again at once, a few times: the writer remembers an
    unknown outcome, so each try looks the object up before sending it again. Only then
    does ``ExactUnavailable`` park the whole run (``_guard_call``)."""
    for delay in WRITE_RETRY_DELAYS:
        try:
            return write()
        except ExactUnavailable as exc:
            log.info("export write failed transiently, trying again in %ss: %s", delay, exc)
            if state.deps.sleep is not None:
                state.deps.sleep(delay)
    return write()


def _guarded(state: _Run, txn_id: uuid.UUID, work: Callable[[_Run, uuid.UUID], None]) -> None:
    """One transaction's phase; a failure of this transaction never stops the others."""
    try:
        work(state, txn_id)
    except _Stop:
        raise
    except ExactError as exc:
        _fail(state, txn_id, rejected(exc.message))
    except DomainError as exc:
        _fail(state, txn_id, coding_refused(str(exc)))
    except Exception as exc:  # a fault of ours: the queue, and the trace in the log
        log.exception("export of transaction %s failed", txn_id)
        _fail(state, txn_id, internal(f"{type(exc).__name__}: {exc}"))


def _fail(state: _Run, txn_id: uuid.UUID, failure: Failure) -> None:
    with state.uow() as uow:
        saga = uow.exports.saga(state.company_id, txn_id)
        _fail_in(uow, state, txn_id, failure, saga.step if saga else START)
        uow.commit()


def _fail_in(uow: UnitOfWork, state: _Run, txn_id: uuid.UUID, failure: Failure, step: str) -> None:
    row = uow.transactions.many(state.company_id, [txn_id])[0]
    saga = uow.exports.saga(state.company_id, txn_id)
    if saga is not None:
        saga.failure_class = failure.failure_class.value
        saga.failure_reason, saga.failure_action = failure.reason, failure.action.value
        saga.exact_message, saga.failed_step = failure.exact_message, step
        saga.updated_at = state.deps.clock()
    reason = (
        failure.reason
        if not failure.exact_message
        else (f"{failure.reason} (Exact Online: {failure.exact_message})")
    )
    if row.status in (S.QUEUED.value, S.EXPORTING.value):
        uow.transactions.move_status(state.company_id, [row], S.FAILED, reason)
    uow.audit.record(
        state.company_id,
        action=f"export.failed.{failure.failure_class.value}",
        actor=ACTOR,
        subject_type="transaction",
        subject_id=txn_id,
        details={
            "step": step,
            "reason": failure.reason,
            "action": failure.action.value,
            "exact_message": failure.exact_message,
            "run": str(state.run_id),
        },
    )


def _waiting(state: _Run, note: str) -> RunResult:
    """A transient stop; its ``retry_at`` is set from the backoff when the run ends."""
    return RunResult("waiting", note, backoff=True)


def _end(
    deps: ExportDeps, company_id: uuid.UUID, run_id: uuid.UUID, result: RunResult, stuck: int
) -> RunResult:
    with deps.uow() as uow:
        run = uow.exports.run(company_id, run_id)
        if run is not None:
            run.attempts = stuck
            progress = uow.exports.progress(company_id, run_id)
            finished = result.state == "finished" or progress.waiting == 0
            run.state = "finished" if finished and result.state != "paused" else result.state
            run.note = result.note
            run.finished_at = deps.clock() if run.state == "finished" else None
        uow.commit()
    return result


def _chunks(items: Sequence[uuid.UUID], size: int) -> Iterator[list[uuid.UUID]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
