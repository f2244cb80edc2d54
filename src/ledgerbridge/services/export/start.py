"""Use cases: start an export run, retry from the export queue, reopen, booked manually.

Starting is one database transaction: the selected *ready* transactions move to *queued*,
each gets its saga row (a retry keeps the Exact ids it recorded), the run is stored, and
the run's job is queued only once that commits (``JobQueue.defer_after_commit``). All or
nothing: a selection with anything not *ready* is refused with a reason per transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ledgerbridge.db.models.core import TransactionRow
from ledgerbridge.domain.connection import ConnectionStatus
from ledgerbridge.domain.export_status import ExportStatus
from ledgerbridge.domain.wording import N_
from ledgerbridge.services.connection.lifecycle import division_lock
from ledgerbridge.services.errors import ConnectionNotReady, InvalidRequest, NotFoundError
from ledgerbridge.services.ports import Clock, Deferral, JobQueue, UnitOfWork, UnitOfWorkFactory
from ledgerbridge.services.prep.coding import select_rows

EXPORT_RUN = "export.run"
S = ExportStatus


@dataclass(frozen=True, slots=True)
class Started:
    run_id: uuid.UUID
    queued: int


def _only(status: ExportStatus, what: str) -> Callable[[TransactionRow], str | None]:
    def allowed(row: TransactionRow) -> str | None:
        if row.status == status.value:
            return None
        return N_(
            "%(ref)s is %(status)s, not %(wanted)s: %(what)s",
            ref=row.external_id,
            status=row.status,
            wanted=status.value,
            what=what,
        )

    return allowed


def _connection(uow: UnitOfWork, company_id: uuid.UUID) -> tuple[str, int]:
    usable = _usable(uow, company_id)
    if usable is None:
        raise ConnectionNotReady(
            N_(
                "connect Exact Online and choose the administration first; if the connection "
                "needs renewing, renew it (Integrations)"
            )
        )
    return usable


def queue_run(
    uow: UnitOfWork,
    jobs: JobQueue,
    clock: Clock,
    company_id: uuid.UUID,
    rows: list[TransactionRow],
    actor: str,
) -> uuid.UUID:
    """Hand ``rows`` (ready, locked) to a new run inside ``uow``; its job after the commit."""
    client_id, division = _connection(uow, company_id)
    now = clock()
    run = uow.exports.add_run(
        company_id, division=division, started_by=actor, at=now, total=len(rows)
    )
    uow.exports.begin(
        company_id, [r.id for r in rows], {r.id: r.external_id for r in rows}, run.id, now
    )
    uow.transactions.move_status(company_id, rows, S.QUEUED)
    uow.audit.record(
        company_id,
        action="export.run.started",
        actor=actor,
        subject_type="export_run",
        subject_id=run.id,
        details={"transactions": len(rows)},
    )
    request_run(uow, jobs, company_id, run.id, client_id, division)
    return run.id


def request_run(
    uow: UnitOfWork,
    jobs: JobQueue,
    company_id: uuid.UUID,
    run_id: uuid.UUID,
    client_id: str,
    division: int,
    schedule_at: datetime | None = None,
) -> None:
    """Queue (once) the job that works through a run, under the division's lock."""
    jobs.defer_after_commit(
        uow,
        EXPORT_RUN,
        lock=division_lock(client_id, division),
        queueing_lock=f"{EXPORT_RUN}:{run_id}",
        company_id=str(company_id),
        run_id=str(run_id),
        schedule_at=schedule_at,
    )


def start_export(
    uow_factory: UnitOfWorkFactory,
    jobs: JobQueue,
    clock: Clock,
    company_id: uuid.UUID,
    txn_ids: Iterable[uuid.UUID],
    actor: str,
) -> Started:
    """Export the selected *ready* transactions (all or nothing)."""
    with uow_factory() as uow:
        rows = select_rows(
            uow,
            company_id,
            txn_ids,
            _only(S.READY, N_("only ready transactions are exported")),
        )
        run_id = queue_run(uow, jobs, clock, company_id, rows, actor)
        uow.commit()
    return Started(run_id, len(rows))


def retry(
    uow_factory: UnitOfWorkFactory,
    jobs: JobQueue,
    clock: Clock,
    company_id: uuid.UUID,
    txn_ids: Iterable[uuid.UUID] | None,
    actor: str,
) -> Started:
    """Send failed exports again (``None``: every one in the queue). Each resumes at the step
    it failed in; what it already created in Exact is reused, never posted again."""
    with uow_factory() as uow:
        if txn_ids is None:
            txn_ids = [t.id for t, _ in uow.exports.queue(company_id, limit=10_000)]
            if not txn_ids:
                raise InvalidRequest(N_("the export queue is empty; nothing to retry"))
        rows = select_rows(
            uow,
            company_id,
            txn_ids,
            _only(S.FAILED, N_("only failed exports are retried")),
        )
        uow.transactions.move_status(company_id, rows, S.READY)
        run_id = queue_run(uow, jobs, clock, company_id, rows, actor)
        uow.audit.record(
            company_id,
            action="export.retried",
            actor=actor,
            subject_type="export_run",
            subject_id=run_id,
            details={"transactions": [str(r.id) for r in rows]},
        )
        uow.commit()
    return Started(run_id, len(rows))


def reopen_failed(
    uow_factory: UnitOfWorkFactory, company_id: uuid.UUID, txn_ids: Iterable[uuid.UUID], actor: str
) -> int:
    """Take failed exports out of the queue back to *to prepare* to change their coding.

    Refused for one whose purchase entry is already in Exact (its coding can no longer
    change there): retry it, or record it as booked manually.
    """
    with uow_factory() as uow:
        rows = select_rows(
            uow,
            company_id,
            txn_ids,
            _only(S.FAILED, N_("only failed exports are reopened")),
        )
        sagas = uow.exports.sagas(company_id, [r.id for r in rows])
        booked = [r for r in rows if (s := sagas.get(r.id)) is not None and s.entry_id]
        if booked:
            raise InvalidRequest(
                N_(
                    "%(ref)s already has its purchase entry in Exact Online (entry %(entry)s); "
                    "retry it to finish the bank line, or mark it booked manually",
                    ref=booked[0].external_id,
                    entry=sagas[booked[0].id].entry_number,
                )
            )
        uow.transactions.move_status(
            company_id, rows, S.TO_PREPARE, "reopened from the export queue"
        )
        for row in rows:
            uow.audit.record(
                company_id,
                action="export.reopened",
                actor=actor,
                subject_type="transaction",
                subject_id=row.id,
                details={"from": "failed", "to": "to_prepare"},
            )
        uow.commit()
    return len(rows)


def booked_manually(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    company_id: uuid.UUID,
    txn_id: uuid.UUID,
    entry_number: int,
    actor: str,
) -> None:
    """The user booked it by hand in Exact: record its entry number; it counts as exported
    and is never sent."""
    if entry_number <= 0:
        raise InvalidRequest(N_("entry_number: give the entry number Exact Online shows"))
    with uow_factory() as uow:
        found = uow.transactions.many(company_id, [txn_id])
        if not found:
            raise NotFoundError(f"transaction {txn_id} not found")
        row = found[0]
        if row.status != S.FAILED.value:
            raise InvalidRequest(
                N_(
                    "%(ref)s is %(status)s: only a transaction in the export queue can be "
                    "marked booked manually",
                    ref=row.external_id,
                    status=row.status,
                )
            )
        uow.exports.booked_manually(
            company_id,
            txn_id,
            reference=row.external_id,
            entry_number=entry_number,
            by=actor,
            at=clock(),
        )
        uow.transactions.move_status(company_id, [row], S.EXPORTED)
        uow.audit.record(
            company_id,
            action="export.booked_manually",
            actor=actor,
            subject_type="transaction",
            subject_id=txn_id,
            details={"entry_number": entry_number, "from": row.status},
        )
        uow.commit()


def _usable(uow: UnitOfWork, company_id: uuid.UUID) -> tuple[str, int] | None:
    """The connection's (app, division) when Exact may be called for the company now."""
    found = uow.connections.get(company_id)
    if found is None or found.status is not ConnectionStatus.CONNECTED or found.division is None:
        return None
    return found.client_id, found.division


def sweep(uow_factory: UnitOfWorkFactory, jobs: JobQueue) -> int:
    """Queue the job of every run that still has queued or exporting transactions, when its
    company's connection is usable: a job lost after its commit, a run paused until the
    connection was renewed, a worker killed mid-run. A run whose job waits is not queued
    twice (its queueing lock), and a run queued again only resumes its sagas."""
    with uow_factory() as uow:
        deferrals = []
        for company_id, run_id in uow.exports.unfinished_runs():
            run = uow.exports.run(company_id, run_id)
            usable = _usable(uow, company_id)
            if usable is None or run is None or run.division != usable[1]:
                continue
            deferrals.append(_defer(uow, jobs, EXPORT_RUN, run_id, usable, company_id,
                                    run_id=str(run_id)))  # fmt: skip
        uow.commit()
    return sum(d.job_id is not None for d in deferrals)


LATE_RECEIPTS = "export.late_receipts"


def sweep_late_receipts(uow_factory: UnitOfWorkFactory, jobs: JobQueue) -> int:
    """Queue the push of every receipt added to an exported transaction after its export
    (usable connections only; one waiting push per transaction)."""
    with uow_factory() as uow:
        deferrals = []
        for company_id, txn_id in uow.exports.unpushed_receipts():
            usable = _usable(uow, company_id)
            if usable is not None:
                deferrals.append(_defer(uow, jobs, LATE_RECEIPTS, txn_id, usable, company_id,
                                        transaction_id=str(txn_id)))  # fmt: skip
        uow.commit()
    return sum(d.job_id is not None for d in deferrals)


def _defer(
    uow: UnitOfWork,
    jobs: JobQueue,
    task: str,
    key: uuid.UUID,
    usable: tuple[str, int],
    company_id: uuid.UUID,
    **kwargs: Any,
) -> Deferral:
    client_id, division = usable
    return jobs.defer_after_commit(
        uow,
        task,
        lock=division_lock(client_id, division),
        queueing_lock=f"{task}:{key}",
        company_id=str(company_id),
        **kwargs,
    )
