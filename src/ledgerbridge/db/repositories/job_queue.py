"""The job queue as procrastinate keeps it (``procrastinate_jobs``, ``procrastinate_events``),
read for operators: how many jobs wait or run, and since when the oldest due job waits.

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
