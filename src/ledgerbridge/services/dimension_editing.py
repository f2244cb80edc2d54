"""Use case: keep local dimensions by hand, before a company connects to Exact Online.

Exact-sourced values are locked: creating, changing or deleting one raises
``ManagedInExact``. While the company is connected (a division chosen and not
disconnected) no local value can be added either: Exact is the source of truth.
Each function runs in its own unit of work and commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace

from sqlalchemy import select

from ledgerbridge.db.dimension_repository import DimensionRepository
from ledgerbridge.db.models.exact import ExactConnection
from ledgerbridge.db.uow import UnitOfWork
from ledgerbridge.domain.dimension_sync import describe
from ledgerbridge.domain.dimensions import Dimension, DimensionKind, DimensionSource
from ledgerbridge.services import audit

MANAGED = "managed in Exact Online"


class ManagedInExact(Exception):
    """The value (or, while connected, every value) is managed in Exact Online."""


class DimensionExists(Exception):
    """A value with this kind and code already exists."""


class DimensionMissing(Exception):
    """No value with this kind and code."""


def is_connected(uow: UnitOfWork, company_id: uuid.UUID) -> bool:
    """True while an Exact division is chosen and the connection is not disconnected."""
    row = uow.session.scalar(
        select(ExactConnection).where(ExactConnection.company_id == company_id)
    )
    return row is not None and row.division is not None and row.status != "disconnected"


def create_local(
    uow_factory: Callable[[], UnitOfWork], company_id: uuid.UUID, dimension: Dimension, actor: str
) -> Dimension:
    """Add a local value; ``ManagedInExact`` while connected, ``DimensionExists`` on a clash."""
    with uow_factory() as uow:
        repo = DimensionRepository(uow.session)
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
        DimensionRepository(uow.session).save(company_id, [saved])
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
        DimensionRepository(uow.session).remove(company_id, [(kind, code)])
        _audit(uow, company_id, "dimension.deleted", existing, actor)
        uow.commit()


def _editable(uow: UnitOfWork, company_id: uuid.UUID, kind: DimensionKind, code: str) -> Dimension:
    existing = DimensionRepository(uow.session).get(company_id, kind, code)
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
    audit.record(
        uow.session,
        action=action,
        actor=actor,
        company_id=company_id,
        subject_type="dimension",
        subject_id=f"{dimension.kind.value}:{dimension.code}",
    )
