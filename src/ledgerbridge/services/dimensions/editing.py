"""Use case: keep local dimensions by hand, before a company connects to Exact Online.

Exact-sourced values are locked: creating, changing or deleting one raises
``ManagedInExact``. While the company is connected (a division chosen and not
disconnected) no local value can be added either: Exact is the source of truth.
Each function runs in its own unit of work; the edits commit, the reads
(``list_dimensions``, ``sync_runs``, ``sync_run``) never do and return plain
values, safe after the unit of work has closed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from ledgerbridge.db.models.dimensions import DimensionSyncRunRow
from ledgerbridge.db.repositories.dimensions import DimensionFilter
from ledgerbridge.domain.connection import ConnectionStatus
from ledgerbridge.domain.dimension_sync import describe
from ledgerbridge.domain.dimensions import Dimension, DimensionKind, DimensionSource
from ledgerbridge.services.errors import ConflictError, NotFoundError
from ledgerbridge.services.ports import UnitOfWork

__all__ = [
    "DimensionExists",
    "DimensionFilter",
    "DimensionMissing",
    "DimensionPage",
    "ManagedInExact",
    "SyncRunView",
    "create_local",
    "delete_local",
    "is_connected",
    "list_dimensions",
    "options",
    "sync_run",
    "sync_runs",
    "update_local",
]
MANAGED = "managed in Exact Online"


class ManagedInExact(ConflictError):
    """The value (or, while connected, every value) is managed in Exact Online."""


class DimensionExists(ConflictError):
    """A value with this kind and code already exists."""


class DimensionMissing(NotFoundError):
    """No value with this kind and code."""


@dataclass(frozen=True, slots=True)
class SyncRunView:
    """One dimension sync run as stored (``summary`` holds its ``lines``)."""

    id: int
    started_at: datetime
    finished_at: datetime | None
    mode: str
    status: str
    summary: dict[str, Any]
    api_calls: int
    error: str | None
    flagged_transactions: list[Any]


@dataclass(frozen=True, slots=True)
class DimensionPage:
    """One page by kind and code; ``more`` when another follows. ``last_sync`` is the
    latest successful sync run, if any."""

    items: list[Dimension]
    more: bool
    last_sync: SyncRunView | None


def list_dimensions(
    uow_factory: Callable[[], UnitOfWork],
    company_id: uuid.UUID,
    filters: DimensionFilter,
    *,
    after: tuple[DimensionKind, str] | None,
    limit: int,
) -> DimensionPage:
    """Up to ``limit`` matching dimensions after the (kind, code) ``after``."""
    with uow_factory() as uow:
        repo = uow.dimensions
        # One row more than asked tells whether another page follows.
        found = repo.page(company_id, filters, after=after, limit=limit + 1)
        last = repo.last_ok_run(company_id)
        last_sync = _run_view(last) if last is not None else None
        return DimensionPage(found[:limit], len(found) > limit, last_sync)


def options(
    uow_factory: Callable[[], UnitOfWork],
    company_id: uuid.UUID,
    kind: DimensionKind,
    search: str | None,
    day: date,
    limit: int = 20,
) -> list[Dimension]:
    """What a picker offers: up to ``limit`` values of ``kind`` matching ``search`` (code or
    name), usable on ``day`` (not blocked, not ended); a code starting with it first."""
    filters = DimensionFilter(kind=kind, blocked=False, search=search or None, usable_on=day)
    with uow_factory() as uow:
        found = uow.dimensions.page(company_id, filters, limit=limit)
    wanted = (search or "").strip().lower()
    return sorted(found, key=lambda d: not d.code.lower().startswith(wanted)) if wanted else found


def sync_runs(
    uow_factory: Callable[[], UnitOfWork], company_id: uuid.UUID, limit: int
) -> list[SyncRunView]:
    """The latest ``limit`` sync runs, newest first."""
    with uow_factory() as uow:
        return [_run_view(r) for r in uow.dimensions.runs(company_id, limit)]


def sync_run(
    uow_factory: Callable[[], UnitOfWork], company_id: uuid.UUID, run_id: int
) -> SyncRunView | None:
    """One sync run; ``None`` when the company has no run ``run_id``."""
    with uow_factory() as uow:
        run = uow.dimensions.run(company_id, run_id)
        return _run_view(run) if run is not None else None


def _run_view(run: DimensionSyncRunRow) -> SyncRunView:
    return SyncRunView(
        run.id,
        run.started_at,
        run.finished_at,
        run.mode,
        run.status,
        run.summary,
        run.api_calls,
        run.error,
        run.flagged_transactions,
    )


def is_connected(uow: UnitOfWork, company_id: uuid.UUID) -> bool:
    """True while an Exact division is chosen and the connection is not disconnected."""
    found = uow.connections.get(company_id)
    return (
        found is not None
        and found.division is not None
        and found.status is not ConnectionStatus.DISCONNECTED
    )


def create_local(
    uow_factory: Callable[[], UnitOfWork], company_id: uuid.UUID, dimension: Dimension, actor: str
) -> Dimension:
    """Add a local value; ``ManagedInExact`` while connected, ``DimensionExists`` on a clash."""
    with uow_factory() as uow:
        repo = uow.dimensions
        existing = repo.get(company_id, dimension.kind, dimension.code)
        if existing is not None and existing.locked:
            raise ManagedInExact(f"{describe(existing)} is {MANAGED}")
        if is_connected(uow, company_id):
            raise ManagedInExact(f"dimensions are {MANAGED} while the company is connected")
        if existing is not None:
            raise DimensionExists(f"{describe(existing)} already exists")
        saved = _local(dimension)
        repo.save(company_id, [saved])
        _audit(uow, company_id, "dimension.created", saved, actor)
        uow.commit()
        return saved


def update_local(
    uow_factory: Callable[[], UnitOfWork], company_id: uuid.UUID, dimension: Dimension, actor: str
) -> Dimension:
    """Change a local value (same kind and code); ``ManagedInExact``/``DimensionMissing``."""
    with uow_factory() as uow:
        _editable(uow, company_id, dimension.kind, dimension.code)
        saved = _local(dimension)
        uow.dimensions.save(company_id, [saved])
        _audit(uow, company_id, "dimension.updated", saved, actor)
        uow.commit()
        return saved


def delete_local(
    uow_factory: Callable[[], UnitOfWork],
    company_id: uuid.UUID,
    kind: DimensionKind,
    code: str,
    actor: str,
) -> None:
    """Delete a local value; ``ManagedInExact`` or ``DimensionMissing``."""
    with uow_factory() as uow:
        existing = _editable(uow, company_id, kind, code)
        uow.dimensions.remove(company_id, [(kind, code)])
        _audit(uow, company_id, "dimension.deleted", existing, actor)
        uow.commit()


def _editable(uow: UnitOfWork, company_id: uuid.UUID, kind: DimensionKind, code: str) -> Dimension:
    existing = uow.dimensions.get(company_id, kind, code)
    if existing is None:
        raise DimensionMissing(f"no {kind.value} {code!r}")
    if existing.locked:
        raise ManagedInExact(f"{describe(existing)} is {MANAGED}")
    if is_connected(uow, company_id):
        raise ManagedInExact(f"dimensions are {MANAGED} while the company is connected")
    return existing


def _local(dimension: Dimension) -> Dimension:
    return replace(dimension, source=DimensionSource.LOCAL, exact_id=None, synced_at=None)


def _audit(
    uow: UnitOfWork, company_id: uuid.UUID, action: str, dimension: Dimension, actor: str
) -> None:
    uow.audit.record(
        action=action,
        actor=actor,
        company_id=company_id,
        subject_type="dimension",
        subject_id=f"{dimension.kind.value}:{dimension.code}",
    )
