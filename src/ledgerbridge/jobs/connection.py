"""Exact connection jobs: the keep-alive of idle token chains."""

from __future__ import annotations

import logging

from procrastinate import JobContext

from ledgerbridge.jobs.app import JobApp, container_of
from ledgerbridge.services.connection.keep_alive import keep_alive

log = logging.getLogger(__name__)
# Every 6 hours: a chain is refreshed once its refresh token is a day old, far from
# Exact's 30-day expiry, and a missed run (deploy, outage) costs at most 6 hours.
KEEP_ALIVE = "17 */6 * * *"


def register(app: JobApp) -> None:
    @app.periodic(cron=KEEP_ALIVE)
    @app.task(name="connection.keep_alive", pass_context=True, queueing_lock="keep-alive")
    def keep_alive_task(context: JobContext, timestamp: int) -> None:
        """Refresh idle token chains of every connected company.

        Idempotent: a chain refreshed by a run cut short is fresh and skipped; a refresh
        goes through the single-flight token chain like any other.
        """
        c = container_of(context)
        result = keep_alive(c.uow, c.gateway, c.now)
        log.info(
            "keep-alive: %d refreshed, %d fresh, %d failed",
            len(result.refreshed),
            len(result.skipped),
            len(result.failed),
        )
