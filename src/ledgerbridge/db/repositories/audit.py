"""The audit log: who did what to which subject, always for one company."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledgerbridge.db.models.core import AuditLogRow
from ledgerbridge.db.repositories.bulk import copy_rows
from ledgerbridge.db.repositories.connections import installation_wide


class AuditRepository:
    """Adds and reads audit rows; part of the caller's unit of work (never commits).

    ``recorded`` (optional) is told the action of each row ``record`` adds; the unit of
    work passes it on once its commit succeeded (``UnitOfWork(on_audit=…)``).
    """

    def __init__(self, session: Session, recorded: Callable[[str], object] | None = None) -> None:
        self._session = session
        self._recorded = recorded

    def record(
        self,
        company_id: uuid.UUID | None,
        *,
        action: str,
        actor: str,
        subject_type: str | None = None,
        subject_id: object = None,
        details: Mapping[str, Any] | None = None,
    ) -> AuditLogRow:
        """Add one audit row (it lands or vanishes with the use case).

        ``action`` is dotted, area first (``transaction.imported``,
        ``export.purchase_entry.created``); ``details`` must be JSON-serialisable.
        ``company_id`` is ``None`` only for installation-wide actions (key rotation).
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
        self._session.add(row)
        if self._recorded is not None:
            self._recorded(action)
        return row

    def record_many(
        self,
        company_id: uuid.UUID,
        *,
        action: str,
        actor: str,
        subject_type: str,
        entries: Sequence[tuple[object, Mapping[str, Any]]],
    ) -> None:
        """``record`` for many subjects at once (``entries``: subject id, details): one
        executemany, no ORM objects — a bulk action on 10,000 transactions writes 10,000
        rows without spending a second on them."""
        if "." not in action:
            raise ValueError(f"audit action {action!r} must be dotted, e.g. 'transaction.created'")
        if not entries:
            return
        copy_rows(
            self._session,
            "audit_log",
            ("company_id", "actor", "action", "subject_type", "subject_id", "details"),
            [(company_id, actor, action, subject_type, str(subject_id), dict(details))
             for subject_id, details in entries],
        )  # fmt: skip

    def search(
        self,
        company_id: uuid.UUID,
        *,
        actor: str | None = None,
        action_prefix: str | None = None,
        subject_type: str | None = None,
        subject_id: str | None = None,
        before_id: int | None = None,
        limit: int = 50,
    ) -> list[AuditLogRow]:
        """The company's rows newest first, filtered, from just older than ``before_id``.

        ``actor``, ``subject_type`` and ``subject_id`` match exactly; ``action_prefix``
        matches the start of the action (``connection.`` finds every connection row).
        Keyset paged on the id, which grows with time (index ``ix_audit_log_company_id``).
        """
        query = select(AuditLogRow).where(AuditLogRow.company_id == company_id)
        if actor:
            query = query.where(AuditLogRow.actor == actor)
        if action_prefix:
            query = query.where(AuditLogRow.action.startswith(action_prefix, autoescape=True))
        if subject_type:
            query = query.where(AuditLogRow.subject_type == subject_type)
        if subject_id:
            query = query.where(AuditLogRow.subject_id == subject_id)
        if before_id is not None:
            query = query.where(AuditLogRow.id < before_id)
        return list(self._session.scalars(query.order_by(AuditLogRow.id.desc()).limit(limit)))

    def entries(self, company_id: uuid.UUID, *, limit: int = 100) -> list[AuditLogRow]:
        """The company's newest audit rows first."""
        query = (
            select(AuditLogRow)
            .where(AuditLogRow.company_id == company_id)
            .order_by(AuditLogRow.id.desc())
            .limit(limit)
        )
        return list(self._session.scalars(query))

    @installation_wide
    def count_installation_actions(
        self, actions: Sequence[str], *, since: datetime
    ) -> dict[str, int]:
        """How many installation-wide rows (no company) of each of ``actions`` were
        written at or after ``since`` (0 for none): a company's rows never count."""
        query = (
            select(AuditLogRow.action, func.count())
            .where(
                AuditLogRow.company_id.is_(None),
                AuditLogRow.action.in_(list(actions)),
                AuditLogRow.at >= since,
            )
            .group_by(AuditLogRow.action)
        )
        found = {action: int(count) for action, count in self._session.execute(query).all()}
        return {action: found.get(action, 0) for action in actions}
