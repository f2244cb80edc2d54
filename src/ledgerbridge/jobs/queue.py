"""The ``JobQueue`` port on procrastinate: jobs are queued only once the use case commits."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued

from ledgerbridge.services.ports import Deferral, UnitOfWork

log = logging.getLogger(__name__)


class ProcrastinateQueue:
    """Defers through ``app`` (the process's deferring app, opened on first use)."""

    def __init__(self, app: Callable[[], procrastinate.App]) -> None:
        self._app = app

    def defer_after_commit(
        self,
        uow: UnitOfWork,
        task: str,
        *,
        lock: str | None = None,
        queueing_lock: str | None = None,
        schedule_at: datetime | None = None,
        **kwargs: Any,
    ) -> Deferral:
        """Queue ``task(**kwargs)`` right after ``uow`` commits; never if it rolls back.

        ``schedule_at``: not before then (a retry after a rate limit or a backoff).

        A job with the same ``queueing_lock`` already waiting: nothing is queued and
        ``already_waiting`` says so. If queueing itself fails after the commit the
        work is still in the database, where the periodic sweeps find it.
        """
        deferral = Deferral(task)

        def queue() -> None:
            deferrer = self._app().configure_task(
                task,
                lock=lock,
                queueing_lock=queueing_lock,
                schedule_at=schedule_at,
                allow_unknown=True,
            )
            try:
                deferral.job_id = deferrer.defer(**kwargs)
            except AlreadyEnqueued:
                deferral.already_waiting = True
                log.info("%s already waiting (%s); not queued again", task, queueing_lock)

        uow.after_commit(queue)
        return deferral
