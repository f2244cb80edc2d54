"""Stalled jobs: the jobs of a worker that stopped sending heartbeats go back in the queue.

A worker killed mid-job (SIGKILL, OOM, a lost machine) never finishes its job: it stays
``doing`` for good and, as every job of an Exact division shares the division's lock,
no later job of that division would ever start. procrastinate's workers record a
heartbeat (``procrastinate_workers.last_heartbeat``, see ``heartbeat_options``);
``jobs.retry_stalled`` asks the job manager for the ``doing`` jobs whose worker has not
beaten for ``settings.job_stall_seconds`` (or was pruned as dead) and retries each.

What procrastinate does with a retried job: ``retry_job`` sets it back to ``todo``
(``attempts + 1``, due now) and keeps its ``lock``. The lock is only *held* by a
``doing`` job, so the division is free again, and the retried job is the oldest
``todo`` job of that lock: it runs first, then the division's next job. A retried job
runs its handler again from the start: every handler is idempotent.

One case procrastinate refuses: a job with a ``queueing_lock`` cannot go back to
``todo`` while another job with that queueing lock is already waiting (a unique index).
That waiting job does the same work (that is what sharing a queueing lock means here),
so the stalled one is marked ``aborted`` instead, which frees the lock as well.

Each job retried or aborted is logged (a warning), counted in
``ledgerbridge_stalled_jobs_total{outcome}`` and recorded as an installation-wide audit
row (``services.workers.record_stalled``), which the Workers admin page counts.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from typing import Literal

from procrastinate import JobContext
from procrastinate.exceptions import ConnectorException, UniqueViolation
from procrastinate.jobs import Job, Status

from ledgerbridge.jobs.app import JobApp, container_of
from ledgerbridge.metrics import STALLED_JOBS
from ledgerbridge.services import workers

log = logging.getLogger(__name__)
RETRY_STALLED = "jobs.retry_stalled"
# What procrastinate's insert trigger sends (procrastinate_notify_queue_job_inserted_v1).
WAKE_WORKERS = (
    "SELECT pg_notify('procrastinate_queue_v1#' || %(queue)s, %(payload)s), "
    "pg_notify('procrastinate_any_queue_v1', %(payload)s)"
)


def check_period_seconds(stall_seconds: float) -> int:
    """How often stalled jobs are looked for: every min(threshold, 60) seconds."""
    return max(1, min(60, math.ceil(stall_seconds)))


def check_cron(stall_seconds: float) -> str:
    """The schedule of ``jobs.retry_stalled`` (a 6th cron field counts seconds)."""
    period = check_period_seconds(stall_seconds)
    return "* * * * *" if period == 60 else f"* * * * * */{period}"


def register(app: JobApp) -> None:
    """``jobs.retry_stalled``, every ``check_period_seconds`` (from ``job_stall_seconds``)."""
    stall_seconds = app.container.settings.job_stall_seconds

    @app.periodic(cron=check_cron(stall_seconds))
    @app.task(name=RETRY_STALLED, pass_context=True, queueing_lock=RETRY_STALLED)
    async def retry_stalled(context: JobContext, timestamp: int) -> None:
        """Retry every job whose worker is silent (idempotent: a retried job is ``todo``)."""
        manager = context.app.job_manager
        stalled = await manager.get_stalled_jobs(seconds_since_heartbeat=stall_seconds)
        for job in stalled:
            what = f"job {job.id} {job.task_name} (lock {job.lock}, worker {job.worker_id})"
            try:
                await manager.retry_job(job)
            except UniqueViolation:
                await manager.finish_job(job, status=Status.ABORTED, delete_job=False)
                log.warning(
                    "stalled %s aborted: a job with queueing lock %s is already waiting",
                    what,
                    job.queueing_lock,
                )
                await _record(context, "aborted", job)
            except ConnectorException as exc:  # finished or retried meanwhile
                log.info("stalled %s not retried: %s", what, exc)
            else:
                log.warning("stalled %s retried (no heartbeat for %ss)", what, stall_seconds)
                # Workers hear of inserted jobs only; wake them for this one too.
                await context.app.connector.execute_query_async(
                    WAKE_WORKERS,
                    queue=job.queue,
                    payload=json.dumps({"type": "job_inserted", "job_id": job.id}),
                )
                await _record(context, "retried", job)


async def _record(context: JobContext, outcome: Literal["retried", "aborted"], job: Job) -> None:
    """Count and record one stalled job put back (or dropped); a failure is only logged."""
    STALLED_JOBS.labels(outcome).inc()
    try:
        await asyncio.to_thread(
            workers.record_stalled,
            container_of(context).uow,
            outcome,
            job_id=job.id or 0,
            task=job.task_name,
            lock=job.lock,
            worker_id=job.worker_id,
            attempts=job.attempts,
        )
    except Exception:
        log.exception("stalled job %s %s: its audit row was not written", job.id, outcome)
