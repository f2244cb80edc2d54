"""Export jobs: one job works through one run under the division's lock; a sweeper every
minute finds runs whose job was lost (or that waited for a renewed connection).

Idempotent: a run's job resumes every saga at its recorded step, looking up in Exact any
write whose answer was not recorded before sending it again (``services.export.saga``).
A job of a killed worker is retried by ``jobs.stalled``; a run stopped by Exact's limits
queues itself again for when they reset. Only one job works a run at a time, even when a
live worker was taken for dead (``run_lock_key``).
"""

from __future__ import annotations

import logging
import uuid

from procrastinate import JobContext

from ledgerbridge.jobs.app import JobApp, container_of
from ledgerbridge.services.export.saga import (
    ExactUnavailableLater,
    ExportDeps,
    push_late_receipts,
    run_export,
)
from ledgerbridge.services.export.start import (
    EXPORT_RUN,
    LATE_RECEIPTS,
    request_run,
    sweep,
    sweep_late_receipts,
)

log = logging.getLogger(__name__)
EVERY_MINUTE = "* * * * *"


def register(app: JobApp) -> None:
    @app.task(name=EXPORT_RUN, pass_context=True)
    def export_run(context: JobContext, company_id: str, run_id: str) -> None:
        """Export the run's transactions to Exact Online (see the module docstring)."""
        c = container_of(context)
        deps = _deps(context)
        company, run = uuid.UUID(company_id), uuid.UUID(run_id)
        with c.engine.connect() as held:
            key = run_lock_key(run)
            if not held.exec_driver_sql("SELECT pg_try_advisory_lock(%s, %s)", key).scalar():
                log.warning("export run %s is being worked by another job; left to it", run_id)
                return
            held.commit()  # the lock is the session's: no transaction stays open meanwhile
            try:
                result = run_export(deps, company, run)
            finally:
                held.exec_driver_sql("SELECT pg_advisory_unlock(%s, %s)", key)
        log.info("export run %s: %s %s", run_id, result.state, result.note or "")
        if result.state == "waiting" and result.retry_at is not None:
            with c.uow() as uow:
                found = uow.connections.get(company)
                if found is not None and found.division is not None:
                    request_run(
                        uow,
                        c.queue,
                        company,
                        run,
                        found.client_id,
                        found.division,
                        schedule_at=result.retry_at,
                    )
                uow.commit()

    @app.task(name=LATE_RECEIPTS, pass_context=True)
    def late_receipts(context: JobContext, company_id: str, transaction_id: str) -> None:
        """Push receipts added after the export to the entry in Exact (idempotent: each
        document and attachment is looked up before it is sent again)."""
        try:
            pushed = push_late_receipts(_deps(context), uuid.UUID(company_id),
                                        uuid.UUID(transaction_id))  # fmt: skip
        except ExactUnavailableLater as later:  # the sweeper queues it again
            log.info("late receipt of %s waits: %s", transaction_id, later.result.note)
            return
        log.info("late receipts of %s: %d pushed", transaction_id, pushed)

    @app.periodic(cron=EVERY_MINUTE)
    @app.task(name="export.sweep", pass_context=True, queueing_lock="export.sweep")
    def export_sweep(context: JobContext, timestamp: int) -> None:
        """Queue the job of every unfinished run whose connection is usable, and the push of
        every receipt added after its transaction's export (idempotent)."""
        c = container_of(context)
        queued, receipts = sweep(c.uow, c.queue), sweep_late_receipts(c.uow, c.queue)
        if queued or receipts:
            log.info("export sweep queued %d runs, %d receipt pushes", queued, receipts)


RUN_LOCK_NAMESPACE = 1313  # the first key of the advisory lock a run's job holds


def run_lock_key(run_id: uuid.UUID) -> tuple[int, int]:
    """The session advisory lock a run's job holds while it works: a job retried while
    the first one still runs (a worker taken for dead whose heartbeat was only late) must
    not post alongside it. PostgreSQL frees it when a killed worker's connection closes."""
    return RUN_LOCK_NAMESPACE, int.from_bytes(run_id.bytes[:4], "big", signed=True)


def _deps(context: JobContext) -> ExportDeps:
    c = container_of(context)
    return ExportDeps(c.uow, c.gateway, c.now, c.receipts, c.upkeep, c.sleep)
