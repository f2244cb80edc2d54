"""The audit log: who did what to which subject. Part of the caller's unit of work."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledgerbridge.db.models.core import AuditLogRow


def record(
    session: Session,
    *,
    action: str,
    actor: str,
    company_id: uuid.UUID | None,
    subject_type: str | None = None,
    subject_id: object = None,
    details: Mapping[str, Any] | None = None,
) -> AuditLogRow:
    """Add one audit row (not committed: it lands or vanishes with the use case).

    ``action`` is dotted, area first (``transaction.imported``,
    ``export.purchase_entry.created``); ``details`` must be JSON-serialisable.
    """
    if "." not in action:
        raise ValueError(f"audit action {action!r} must be dotted, e.g. 'transaction.created'")
    row = AuditLogRow(
        company_id=company_id,
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=None if subject_id is None else str(subject_id),
        details=dict(details or {}),
    )
    session.add(row)
    return row


def entries(session: Session, company_id: uuid.UUID, *, limit: int = 100) -> list[AuditLogRow]:
    """The company's newest audit rows first."""
    query = (
        select(AuditLogRow)
        .where(AuditLogRow.company_id == company_id)
        .order_by(AuditLogRow.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))
