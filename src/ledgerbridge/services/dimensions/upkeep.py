"""Use case: keep dimensions fresh on a budget — adaptive polling and the pre-export sync.

Exact allows 5,000 calls a day per administration; the exports need them. So each
resource is polled on its own adaptive interval (``domain.upkeep``): a minute tick
(no Exact call) queues a sync for every company with something due, and that sync
reads only the due resources. A user working in prep (``note_prep_activity``) keeps
every interval at most ``sync_in_prep_minutes``; "Sync now" reads everything and
brings the intervals down; a resource an Exact webhook covers is only polled as a
safety net.

Before every export run ``refresh_before_export`` reads each resource not read in the
last minute and applies the impact (a value Exact blocked sends its transactions back
to *to prepare*), so an export never posts with stale master data.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from ledgerbridge.domain.upkeep import (
    DIVISION,
    PERIODS,
    UpkeepPolicy,
    due_resources,
    is_active,
)
from ledgerbridge.services.connection.lifecycle import division_lock
from ledgerbridge.services.dimensions.gather import RESOURCES
from ledgerbridge.services.dimensions.sync import SyncOutcome, sync_company
from ledgerbridge.services.ports import Clock, ExactGateway, JobQueue, UnitOfWork, UnitOfWorkFactory

UPKEEP_SYNC = "dimensions.upkeep_sync"
# Every resource a sync can poll, in the order a run reads them.
POLLED: tuple[str, ...] = (*(r.name for r in RESOURCES), DIVISION, PERIODS)
# A resource read this recently counts as fresh for an export run.
FRESH = timedelta(minutes=1)


def covered_by_webhooks(uow: UnitOfWork, company_id: uuid.UUID) -> set[str]:
    """The resources an Exact webhook subscription keeps up to date for the company: they
    are polled only as a safety net."""
    return uow.webhooks.subscribed_resources(company_id)


def due_now(
    uow: UnitOfWork, company_id: uuid.UUID, policy: UpkeepPolicy, clock: Clock
) -> list[str]:
    """The company's resources due for polling now (see ``domain.upkeep``)."""
    now = clock()
    active = is_active(uow.dimensions.prep_seen_at(company_id), now, policy)
    return due_resources(
        uow.dimensions.poll_states(company_id),
        policy,
        now,
        active=active,
        covered=covered_by_webhooks(uow, company_id),
        resources=POLLED,
    )


def queue_due_syncs(
    uow_factory: UnitOfWorkFactory, jobs: JobQueue, policy: UpkeepPolicy, clock: Clock
) -> int:
    """Queue an upkeep sync for every connected company with a resource due; how many.

    Costs no Exact call. A company whose upkeep sync already waits is not queued twice.
    """
    with uow_factory() as uow:
        deferrals = [
            jobs.defer_after_commit(
                uow,
                UPKEEP_SYNC,
                lock=division_lock(found.client_id, found.division),
                queueing_lock=f"{UPKEEP_SYNC}:{found.company_id}",
                company_id=str(found.company_id),
            )
            for found in uow.connections.connected()
            if found.division is not None and due_now(uow, found.company_id, policy, clock)
        ]
        uow.commit()
    return sum(d.job_id is not None for d in deferrals)


def upkeep_sync(
    uow_factory: UnitOfWorkFactory,
    exact: ExactGateway,
    clock: Clock,
    company_id: uuid.UUID,
    policy: UpkeepPolicy,
) -> SyncOutcome | None:
    """Poll what is due for the company now (decided when the job runs); None if nothing.

    Raises ``ConnectionNotReady`` when the company has no usable connection.
    """
    with uow_factory() as uow:
        due = due_now(uow, company_id, policy, clock)
    if not due:
        return None
    return sync_company(uow_factory, exact, clock, company_id, resources=due, policy=policy)


def note_prep_activity(uow_factory: UnitOfWorkFactory, company_id: uuid.UUID, clock: Clock) -> None:
    """Someone works in prep: poll at least every ``sync_in_prep_minutes`` for a while.

    One short statement, written at most once a minute per company.
    """
    with uow_factory() as uow:
        uow.dimensions.note_prep_activity(company_id, clock())
        uow.commit()


def stale_resources(
    uow: UnitOfWork, company_id: uuid.UUID, clock: Clock, fresh: timedelta = FRESH
) -> list[str]:
    """The resources not read within ``fresh`` (never read ones included)."""
    now = clock()
    states = uow.dimensions.poll_states(company_id)
    stale: list[str] = []
    for resource in POLLED:
        state = states.get(resource)
        if state is None or state.last_polled_at is None or now - state.last_polled_at >= fresh:
            stale.append(resource)
    return stale


def refresh_before_export(
    uow_factory: UnitOfWorkFactory,
    exact: ExactGateway,
    clock: Clock,
    company_id: uuid.UUID,
    policy: UpkeepPolicy,
    fresh: timedelta = FRESH,
) -> SyncOutcome | None:
    """A fresh incremental sync before an export run; None when everything is fresh.

    One call per resource not read within ``fresh`` (by default the last minute; plus
    ``sync/Deleted``). Its impact is applied before this returns: a transaction whose
    coding Exact made unusable is back in *to prepare* with the reason, so the run exports
    only the rest. A failed outcome means the master data could not be checked: do not
    start the run.
    Raises ``ConnectionNotReady`` when the company has no usable connection.
    """
    with uow_factory() as uow:
        stale = stale_resources(uow, company_id, clock, fresh)
    if not stale:
        return None
    return sync_company(uow_factory, exact, clock, company_id, resources=stale, policy=policy)
