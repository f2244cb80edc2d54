"""Worker liveness for operators: which workers beat, how many jobs wait and run, and how
many stalled jobs were put back (the Workers admin page, ``GET /api/v1/admin/workers``).

Installation-wide by nature: every company's jobs share one queue and its workers, and
these are counts, never a job's arguments. A worker is *alive* while its last heartbeat
(``procrastinate_workers.last_heartbeat``, on the database's clock) is younger than
``job_stall_seconds``: past that its running jobs count as stalled and ``jobs.stalled``
retries them, recording each as an installation-wide audit row (``record_stalled``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from ledgerbridge.services.ports import UnitOfWorkFactory

STALLED_RETRIED = "job.stalled_retried"
STALLED_ABORTED = "job.stalled_aborted"
ACTOR = "stalled-jobs"
RECENT = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class WorkerSeen:
    id: int
    last_heartbeat: datetime  # UTC
    silent_seconds: float
    running: int
    alive: bool


@dataclass(frozen=True, slots=True)
class WorkerReport:
    stall_seconds: float
    workers: list[WorkerSeen]
    waiting: int  # due now
    waiting_later: int  # scheduled for later
    oldest_waiting_since: datetime | None  # UTC; None: no due job waits
    oldest_waiting_seconds: float | None
    running: int
    running_on_silent: int  # running on a silent (or pruned) worker: about to be retried
    stalled_retried: int  # in the last ``RECENT``
    stalled_aborted: int  # in the last ``RECENT``: an identical job was already waiting

    @property
    def alive(self) -> int:
        return sum(1 for w in self.workers if w.alive)

    @property
    def recent_hours(self) -> int:
        return int(RECENT.total_seconds() // 3600)


def worker_report(
    uow_factory: UnitOfWorkFactory, now: datetime, stall_seconds: float
) -> WorkerReport:
    """The figures at ``now`` (read only); alive means a heartbeat within ``stall_seconds``."""
    with uow_factory() as uow:
        beats = uow.job_queue.workers()
        counts = uow.job_queue.counts(now, stall_seconds)
        since = uow.job_queue.oldest_waiting_since(now)
        stalled = uow.audit.count_installation_actions(
            [STALLED_RETRIED, STALLED_ABORTED], since=now - RECENT
        )
    workers = [
        WorkerSeen(
            b.id,
            b.last_heartbeat.astimezone(UTC),
            b.silent_seconds,
            b.running,
            b.silent_seconds < stall_seconds,
        )
        for b in beats
    ]
    return WorkerReport(
        stall_seconds=stall_seconds,
        workers=workers,
        waiting=counts.waiting_due,
        waiting_later=counts.waiting_later,
        oldest_waiting_since=None if since is None else since.astimezone(UTC),
        oldest_waiting_seconds=None if since is None else max(0.0, (now - since).total_seconds()),
        running=counts.running,
        running_on_silent=counts.running_unbeaten,
        stalled_retried=stalled[STALLED_RETRIED],
        stalled_aborted=stalled[STALLED_ABORTED],
    )


def record_stalled(
    uow_factory: UnitOfWorkFactory,
    outcome: Literal["retried", "aborted"],
    *,
    job_id: int,
    task: str,
    lock: str | None,
    worker_id: int | None,
    attempts: int,
) -> None:
    """One installation-wide audit row for a stalled job put back in the queue (``retried``)
    or dropped for an identical waiting one (``aborted``); counted by ``worker_report``."""
    with uow_factory() as uow:
        uow.audit.record(
            None,
            action=STALLED_RETRIED if outcome == "retried" else STALLED_ABORTED,
            actor=ACTOR,
            subject_type="job",
            subject_id=job_id,
            details={
                "task": task,
                "lock": lock,
                "worker_id": worker_id,
                "attempts_before": attempts,
            },
        )
        uow.commit()
