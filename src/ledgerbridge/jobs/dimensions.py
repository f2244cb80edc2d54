"""Dimension sync jobs: on connect, every few minutes, nightly in full, and on demand.

Each sync job runs under the division's lock (``division_lock``), so it never
overlaps an export or another sync of the same administration; a queueing lock
per company keeps at most one waiting sync of each kind in the queue.
"""

from __future__ import annotations

import logging
import uuid

import procrastinate
from procrastinate import JobContext
from procrastinate.exceptions import AlreadyEnqueued

from ledgerbridge.bootstrap import Container
from ledgerbridge.config import get_settings
from ledgerbridge.gateway.factory import ConnectionNotReady, connection_info
from ledgerbridge.jobs.app import container_of, division_lock
from ledgerbridge.services.connection.lifecycle import connected_companies
from ledgerbridge.services.dimensions.sync import Mode, SyncOutcome, sync_company

log = logging.getLogger(__name__)
blueprint = procrastinate.Blueprint()

FULL_SYNC = "dimensions.full_sync"
INCREMENTAL_SYNC = "dimensions.incremental_sync"


def every(minutes: int) -> str:
    """A cron expression for 'every ``minutes`` minutes' (whole hours above 59)."""
    if minutes < 60:
        return f"*/{max(minutes, 1)} * * * *"
    return f"0 */{max(minutes // 60, 1)} * * *"


def queue_sync(container: Container, company_id: uuid.UUID, *, full: bool = False) -> int | None:
    """Queue a sync of the company under its division lock; the job id, or None.

    None when an identical sync is already waiting (it will do the same work).
    Raises ``ConnectionNotReady`` when the company is not connected.
    """
    info = connection_info(container, company_id)
    name = FULL_SYNC if full else INCREMENTAL_SYNC
    deferrer = container.jobs.configure_task(
        name,
        lock=division_lock(info.client_id, info.division),
        queueing_lock=f"{name}:{company_id}",
        allow_unknown=True,
    )
    try:
        job_id: int = deferrer.defer(company_id=str(company_id))
    except AlreadyEnqueued:
        return None
    return job_id


def _run(context: JobContext, company_id: str, mode: Mode) -> SyncOutcome | None:
    container = container_of(context)
    try:
        outcome = sync_company(container, uuid.UUID(company_id), mode=mode)
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


@blueprint.task(name=FULL_SYNC, pass_context=True)
def full_sync(context: JobContext, company_id: str) -> None:
    """Pull every dimension of the company from Exact (on connect, nightly, after a move)."""
    _run(context, company_id, "full")


@blueprint.task(name=INCREMENTAL_SYNC, pass_context=True)
def incremental_sync(context: JobContext, company_id: str) -> None:
    """Fetch only what changed (upgrades itself to a full pull when one is due)."""
    _run(context, company_id, "auto")


def _queue_all(container: Container, *, full: bool) -> int:
    queued = 0
    for company_id, _issued in connected_companies(container):
        try:
            queued += queue_sync(container, company_id, full=full) is not None
        except ConnectionNotReady as exc:  # no division chosen yet
            log.info("no dimension sync for company %s: %s", company_id, exc)
    return queued


@blueprint.periodic(cron=every(get_settings().sync_interval_minutes))
@blueprint.task(name="dimensions.sync_all", pass_context=True, queueing_lock="dimensions.sync_all")
def sync_all(context: JobContext, timestamp: int) -> None:
    """Queue an incremental sync for every connected company."""
    log.info("queued %d dimension syncs", _queue_all(container_of(context), full=False))


# Nightly, outside office hours: Modified polling cannot see deletions; a full pull can.
@blueprint.periodic(cron="41 2 * * *")
@blueprint.task(
    name="dimensions.nightly_full", pass_context=True, queueing_lock="dimensions.nightly"
)
def nightly_full(context: JobContext, timestamp: int) -> None:
    """Queue a full refresh for every connected company."""
    log.info("queued %d full dimension syncs", _queue_all(container_of(context), full=True))
