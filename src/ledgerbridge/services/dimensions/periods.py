"""Use case: keep a company's copy of Exact's period table (``financial/FinancialPeriods``).

The preflight judges a transaction date by it (the period must exist; when known
closed, the user may post in the first open one). Exact's table does not say which
periods are closed: what was learned (``uow.periods.mark_closed``, when Exact refused a
posting) is kept for a period that remains. The table changes rarely (a new year); the
sync scheduler polls it as resource "periods".
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Protocol

from ledgerbridge.domain.export_settings import FinancialPeriod
from ledgerbridge.exact.models import FinancialPeriod as ExactPeriod
from ledgerbridge.services.dimensions.client import sync_client
from ledgerbridge.services.ports import Clock, ExactGateway, UnitOfWorkFactory

ACTOR = "dimension-sync"


class PeriodApi(Protocol):
    """The part of ``exact.api.ExactApi`` the period sync uses."""

    def financial_periods(self) -> Sequence[ExactPeriod]: ...


def sync_periods(
    uow_factory: UnitOfWorkFactory,
    company_id: uuid.UUID,
    api: PeriodApi,
    now: Clock,
    *,
    calls: Callable[[], int] | None = None,
) -> int:
    """Fetch the period table and store it in one transaction; an audit row
    (``periods.synced``) only when something changed. Answers the number of Exact calls
    made: ``calls`` counts them (pages included; see ``sync_company_periods``), else one.
    Exact's errors pass through and nothing is stored."""
    before = calls() if calls is not None else 0
    found = [
        FinancialPeriod(p.year, p.period, p.start, p.last_day) for p in api.financial_periods()
    ]
    made = calls() - before if calls is not None else 1
    with uow_factory() as uow:
        changes = uow.periods.replace(company_id, found, now())
        if changes:
            uow.audit.record(
                company_id,
                action="periods.synced",
                actor=ACTOR,
                subject_type="financial_periods",
                details={
                    "added": changes.added,
                    "removed": changes.removed,
                    "moved": changes.moved,
                    "periods": len(found),
                },
            )
        uow.commit()
    return made


def sync_company_periods(
    uow_factory: UnitOfWorkFactory, exact: ExactGateway, now: Clock, company_id: uuid.UUID
) -> int:
    """``sync_periods`` over the company's Exact connection, its calls counted.

    Raises ``ConnectionNotReady`` when the company has no usable connection.
    """
    http, division = exact.http(company_id)
    client = sync_client(http, division)
    return sync_periods(
        uow_factory, company_id, client.api, now, calls=lambda: client.counter.calls
    )
