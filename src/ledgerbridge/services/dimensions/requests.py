"""Use case: ask for a dimension sync (Sync now, the periodic sweeps).

The sync itself runs as a job under the division's lock; a queueing lock per
company and kind keeps at most one waiting sync of each kind.
"""

from __future__ import annotations

import uuid

from ledgerbridge.domain.wording import N_
from ledgerbridge.services.connection.lifecycle import division_lock
from ledgerbridge.services.errors import ConnectionNotReady
from ledgerbridge.services.ports import Deferral, JobQueue, UnitOfWork, UnitOfWorkFactory

FULL_SYNC = "dimensions.full_sync"
INCREMENTAL_SYNC = "dimensions.incremental_sync"


def _queue(uow: UnitOfWork, jobs: JobQueue, company_id: uuid.UUID, *, full: bool) -> Deferral:
    found = uow.connections.get(company_id)
    if found is None or not found.status.holds_tokens:
        raise ConnectionNotReady(N_("this company is not connected to Exact Online"))
    if found.division is None:
        raise ConnectionNotReady(N_("choose the Exact Online administration (division) first"))
    task = FULL_SYNC if full else INCREMENTAL_SYNC
    return jobs.defer_after_commit(
        uow,
        task,
        lock=division_lock(found.client_id, found.division),
        queueing_lock=f"{task}:{company_id}",
        company_id=str(company_id),
    )


def request_sync(
    uow_factory: UnitOfWorkFactory, jobs: JobQueue, company_id: uuid.UUID, *, full: bool = False
) -> Deferral:
    """Queue a sync of the company; ``already_waiting`` when an identical one waits.

    Raises ``ConnectionNotReady`` when the company is not connected with a division.
    """
    with uow_factory() as uow:
        deferral = _queue(uow, jobs, company_id, full=full)
        uow.commit()
    return deferral


def request_all_syncs(uow_factory: UnitOfWorkFactory, jobs: JobQueue, *, full: bool) -> int:
    """Queue a sync for every connected company with a division; how many were queued."""
    with uow_factory() as uow:
        deferrals = [
            _queue(uow, jobs, found.company_id, full=full)
            for found in uow.connections.connected()
            if found.division is not None
        ]
        uow.commit()
    return sum(d.job_id is not None for d in deferrals)
