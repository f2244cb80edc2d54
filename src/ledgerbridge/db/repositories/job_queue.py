"""The job queue as procrastinate keeps it (``procrastinate_jobs``, ``procrastinate_events``,
``procrastinate_workers``), read for operators: how many jobs wait or run, since when the
oldest due job waits, and which workers have sent heartbeats.

Read-only and installation-wide (the queue serves every company). procrastinate owns the
tables; these are plain SQL reads of its documented columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from ledgerbridge.db.repositories.connections import installation_wide

WAITING, RUNNING = "todo", "doing"

_DEPTH = text(
    "SELECT queue_name, status::text AS status, count(*) AS jobs FROM procrastinate_jobs "
    "WHERE status IN ('todo', 'doing') GROUP BY queue_name, status ORDER BY queue_name, status"
)
# A due job waits since it was due (scheduled_at: a retry or a later start), else since
# it was deferred (its 'deferred' event).
_OLDEST_WAITING = text(
    "SELECT min(coalesce(j.scheduled_at, e.at)) FROM procrastinate_jobs j "
    "LEFT JOIN procrastinate_events e ON e.job_id = j.id AND e.type = 'deferred' "
    "WHERE j.status = 'todo' AND (j.scheduled_at IS NULL OR j.scheduled_at <= :now)"
)

_COUNTS = text(
    "SELECT count(*) FILTER (WHERE j.status = 'todo' "
    "  AND (j.scheduled_at IS NULL OR j.scheduled_at <= :now)) AS waiting_due, "
    "count(*) FILTER (WHERE j.status = 'todo' AND j.scheduled_at > :now) AS waiting_later, "
    "count(*) FILTER (WHERE j.status = 'doing') AS running, "
    "count(*) FILTER (WHERE j.status = 'doing' AND (w.id IS NULL "
    "  OR w.last_heartbeat < now() - make_interval(secs => :stall))) AS running_unbeaten "
    "FROM procrastinate_jobs j LEFT JOIN procrastinate_workers w ON w.id = j.worker_id "
    "WHERE j.status IN ('todo', 'doing')"
)
# The heartbeat's age on the database's clock, the one procrastinate judges stalls by.
_WORKERS = text(
    "SELECT w.id, w.last_heartbeat, "
    "greatest(0, extract(epoch FROM now() - w.last_heartbeat)) AS silent_seconds, "
    "(SELECT count(*) FROM procrastinate_jobs j "
    " WHERE j.worker_id = w.id AND j.status = 'doing') AS running "
    "FROM procrastinate_workers w ORDER BY w.last_heartbeat DESC, w.id DESC LIMIT :limit"
)


@dataclass(frozen=True, slots=True)
class QueueCounts:
    waiting_due: int  # todo and due now
    waiting_later: int  # todo, scheduled for later (a retry, a backoff)
    running: int  # doing
    running_unbeaten: int  # doing, on a worker silent for the stall threshold (or gone)


@dataclass(frozen=True, slots=True)
class WorkerBeat:
    id: int
    last_heartbeat: datetime
    silent_seconds: float  # since the last heartbeat, on the database's clock
    running: int  # its jobs doing


@dataclass(frozen=True, slots=True)
class QueueDepth:
    queue: str
    status: str  # "todo" (waiting) or "doing" (running)
    jobs: int


class JobQueueRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    @installation_wide
    def depth(self) -> list[QueueDepth]:
        """Jobs waiting (todo, due or not) and running (doing) per queue; absent when 0."""
        rows = self._session.execute(_DEPTH).all()
        return [QueueDepth(r.queue_name, r.status, int(r.jobs)) for r in rows]

    @installation_wide
    def oldest_waiting_since(self, now: datetime) -> datetime | None:
        """Since when the longest-waiting job that is due at ``now`` waits; None: none is."""
        found: datetime | None = self._session.execute(_OLDEST_WAITING, {"now": now}).scalar()
        return found

    @installation_wide
    def counts(self, now: datetime, stall_seconds: float) -> QueueCounts:
        """Jobs waiting (due at ``now``, or later), running, and running on a worker that
        has been silent for ``stall_seconds`` (``jobs.stalled`` retries those)."""
        row = self._session.execute(_COUNTS, {"now": now, "stall": stall_seconds}).one()
        return QueueCounts(
            int(row.waiting_due), int(row.waiting_later), int(row.running),
            int(row.running_unbeaten),
        )  # fmt: skip

    @installation_wide
    def workers(self, limit: int = 100) -> list[WorkerBeat]:
        """The workers procrastinate knows, latest heartbeat first (a stopped worker removes
        its row; a starting worker removes those silent for the stall threshold)."""
        rows = self._session.execute(_WORKERS, {"limit": limit}).all()
        return [
            WorkerBeat(int(r.id), r.last_heartbeat, float(r.silent_seconds), int(r.running))
            for r in rows
        ]
