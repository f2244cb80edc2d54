"""Dimension sync jobs: on connect, every few minutes, nightly in full, and on demand.

Each sync job runs under the division's lock, so it never overlaps an export or
another sync of the same administration; a queueing lock per company keeps at
most one waiting sync of each kind (``services.dimensions.requests``).

Every handler is safe to run again (a job of a killed worker is retried from the
start, ``jobs.stalled``): a sync is applied in one database transaction, so a run cut
short changed nothing and the next pulls again; the sweeps only queue syncs, and a
sync already waiting is not queued twice.
"""

from __future__ import annotations

import logging
import uuid

from procrastinate import JobContext

from ledgerbridge.jobs.app import JobApp, container_of
from ledgerbridge.services.dimensions.requests import (
    FULL_SYNC,
    INCREMENTAL_SYNC,
    request_all_syncs,
)
from ledgerbridge.services.dimensions.sync import Mode, SyncOutcome, sync_company
from ledgerbridge.services.errors import ConnectionNotReady

log = logging.getLogger(__name__)
# Nightly, outside office hours: Modified polling cannot see deletions; a full pull can.
NIGHTLY = "41 2 * * *"


def every(minutes: int) -> str:
    """A cron expression for 'every ``minutes`` minutes' (whole hours above 59)."""
    if minutes < 60:
        return f"*/{max(minutes, 1)} * * * *"
    return f"0 */{max(minutes // 60, 1)} * * *"


def _run(context: JobContext, company_id: str, mode: Mode) -> SyncOutcome | None:
    c = container_of(context)
    try:
        outcome = sync_company(c.uow, c.gateway, c.now, uuid.UUID(company_id), mode=mode)
    except ConnectionNotReady as exc:
        log.info("dimension sync skipped for company %s: %s", company_id, exc)
        return None
    log.info(
        "dimension sync %s for company %s: %s (%d calls) %s",
        outcome.mode,
        company_id,
        outcome.status,
        outcome.api_calls,
        "; ".join(outcome.lines[:5]),
    )
    return outcome


def register(app: JobApp) -> None:
    """The sync tasks, and their schedules from the settings ``app`` was started with."""

    @app.task(name=FULL_SYNC, pass_context=True)
    def full_sync(context: JobContext, company_id: str) -> None:
        """Pull every dimension of the company from Exact (on connect, nightly, after a move).

        Idempotent: one transaction; a second run pulls the same state again.
        """
        _run(context, company_id, "full")

    @app.task(name=INCREMENTAL_SYNC, pass_context=True)
    def incremental_sync(context: JobContext, company_id: str) -> None:
        """Fetch only what changed (upgrades itself to a full pull when one is due).

        Idempotent: the sync positions move only with the sync's one transaction, so
        a run cut short is fetched again from the same point.
        """
        _run(context, company_id, "auto")

    @app.periodic(cron=every(app.container.settings.sync_interval_minutes))
    @app.task(name="dimensions.sync_all", pass_context=True, queueing_lock="dimensions.sync_all")
    def sync_all(context: JobContext, timestamp: int) -> None:
        """Queue an incremental sync for every connected company (idempotent: a sync
        already waiting for a company is not queued again)."""
        c = container_of(context)
        log.info("queued %d dimension syncs", request_all_syncs(c.uow, c.queue, full=False))

    @app.periodic(cron=NIGHTLY)
    @app.task(name="dimensions.nightly_full", pass_context=True, queueing_lock="dimensions.nightly")
    def nightly_full(context: JobContext, timestamp: int) -> None:
        """Queue a full refresh for every connected company (idempotent, as ``sync_all``)."""
        c = container_of(context)
        log.info("queued %d full dimension syncs", request_all_syncs(c.uow, c.queue, full=True))
