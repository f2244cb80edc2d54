"""Exact connection jobs: the daily keep-alive of idle token chains."""

from __future__ import annotations

import logging

import procrastinate
from procrastinate import JobContext

from ledgerbridge.jobs.app import container_of
from ledgerbridge.services.connection.keep_alive import keep_alive

log = logging.getLogger(__name__)
blueprint = procrastinate.Blueprint()


# Every 6 hours: a chain is refreshed once its refresh token is a day old, far from
# Exact's 30-day expiry, and a missed run (deploy, outage) costs at most 6 hours.
@blueprint.periodic(cron="17 */6 * * *")
@blueprint.task(name="connection.keep_alive", pass_context=True, queueing_lock="keep-alive")
def keep_alive_task(context: JobContext, timestamp: int) -> None:
    """Refresh idle token chains of every connected company (idempotent)."""
    result = keep_alive(container_of(context))
    log.info(
        "keep-alive: %d refreshed, %d fresh, %d failed",
        len(result.refreshed),
        len(result.skipped),
        len(result.failed),
    )
