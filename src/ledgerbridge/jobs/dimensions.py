"""Dimension sync jobs: on connect, adaptive upkeep, nightly in full, and on demand.

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
from ledgerbridge.services.dimensions.upkeep import UPKEEP_SYNC, queue_due_syncs, upkeep_sync
from ledgerbridge.services.errors import ConnectionNotReady

log = logging.getLogger(__name__)
# Nightly, outside office hours: Modified polling cannot see deletions; a full pull can.
NIGHTLY = "41 2 * * *"
# The upkeep tick decides per company and resource what is due (``domain.upkeep``).
EVERY_MINUTE = "* * * * *"


def _run(context: JobContext, company_id: str, mode: Mode) -> SyncOutcome | None:
    c = container_of(context)
    try:
        outcome = sync_company(
            c.uow,
            c.gateway,
            c.now,
            uuid.UUID(company_id),
            mode=mode,
            policy=c.upkeep,
            # "Sync now" brings every interval down; the nightly pull leaves them be.
            reset_intervals=mode != "full",
        )
    except ConnectionNotReady as exc:
        log.info("dimension sync skipped for company %s: %s", company_id, exc)
        return None
    _log(company_id, outcome)
    return outcome


def _log(company_id: str, outcome: SyncOutcome) -> None:
    log.info(
        "dimension sync %s for company %s (%s): %s (%d calls) %s",
        outcome.mode,
        company_id,
        ", ".join(outcome.polled),
        outcome.status,
        outcome.api_calls,
        "; ".join(outcome.lines[:5]),
    )


def register(app: JobApp) -> None:
    """The sync tasks and their schedules."""

    @app.task(name=FULL_SYNC, pass_context=True)
    def full_sync(context: JobContext, company_id: str) -> None:
        """Pull every dimension of the company from Exact (on connect, nightly, after a move).

        Idempotent: one transaction; a second run pulls the same state again.
        """
        _run(context, company_id, "full")

    @app.task(name=INCREMENTAL_SYNC, pass_context=True)
    def incremental_sync(context: JobContext, company_id: str) -> None:
        """ "Sync now": fetch what changed in every resource (upgrades itself to a full pull
        when one is due) and bring every polling interval back down.

        Idempotent: the sync positions move only with the sync's one transaction, so
        a run cut short is fetched again from the same point.
        """
        _run(context, company_id, "auto")

    @app.task(name=UPKEEP_SYNC, pass_context=True)
    def due_sync(context: JobContext, company_id: str) -> None:
        """Poll the company's resources that are due now (decided when it runs).

        Idempotent, as ``incremental_sync``; nothing due (another run came first) → no call.
        """
        c = container_of(context)
        try:
            outcome = upkeep_sync(c.uow, c.gateway, c.now, uuid.UUID(company_id), c.upkeep)
        except ConnectionNotReady as exc:
            log.info("dimension upkeep skipped for company %s: %s", company_id, exc)
            return
        if outcome is not None:
            _log(company_id, outcome)

    @app.periodic(cron=EVERY_MINUTE)
    @app.task(name="dimensions.upkeep", pass_context=True, queueing_lock="dimensions.upkeep")
    def upkeep(context: JobContext, timestamp: int) -> None:
        """Queue an upkeep sync for every company with a resource due (no Exact call;
        idempotent: a sync already waiting for a company is not queued again)."""
        c = container_of(context)
        queued = queue_due_syncs(c.uow, c.queue, c.upkeep, c.now)
        if queued:
            log.info("queued %d dimension upkeep syncs", queued)

    @app.periodic(cron=NIGHTLY)
    @app.task(name="dimensions.nightly_full", pass_context=True, queueing_lock="dimensions.nightly")
    def nightly_full(context: JobContext, timestamp: int) -> None:
        """Queue a full refresh for every connected company (idempotent, as ``upkeep``)."""
        c = container_of(context)
        log.info("queued %d full dimension syncs", request_all_syncs(c.uow, c.queue, full=True))
