"""Reading a company's audit log: who did what to which subject and when, filtered and
keyset paged, newest first."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ledgerbridge.services.ports import UnitOfWorkFactory

PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Empty fields match everything; ``action`` matches the start of the action."""

    actor: str = ""
    action: str = ""
    subject_type: str = ""
    subject_id: str = ""

    @classmethod
    def cleaned(
        cls, actor: str = "", action: str = "", subject_type: str = "", subject_id: str = ""
    ) -> AuditFilter:
        return cls(
            actor.strip()[:320], action.strip()[:128], subject_type.strip()[:64],
            subject_id.strip()[:128],
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    subject_type: str | None
    subject_id: str | None
    details: dict[str, Any]


@dataclass(frozen=True, slots=True)
class AuditPage:
    """``next_before`` is the cursor of the next (older) page, ``None`` on the last."""

    items: list[AuditEntry]
    next_before: int | None


def audit_entries(
    uow_factory: UnitOfWorkFactory,
    company_id: uuid.UUID,
    filters: AuditFilter,
    *,
    before: int | None = None,
    limit: int = PAGE_SIZE,
) -> AuditPage:
    """One page of the company's rows older than ``before`` (newest first). Read only."""
    with uow_factory() as uow:
        rows = uow.audit.search(
            company_id,
            actor=filters.actor or None,
            action_prefix=filters.action or None,
            subject_type=filters.subject_type or None,
            subject_id=filters.subject_id or None,
            before_id=before,
            limit=limit + 1,
        )
        items = [
            AuditEntry(r.id, r.at, r.actor, r.action, r.subject_type, r.subject_id, r.details)
            for r in rows[:limit]
        ]
    return AuditPage(items, items[-1].id if len(rows) > limit and items else None)
