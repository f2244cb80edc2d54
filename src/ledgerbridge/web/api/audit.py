"""The audit log of the caller's company (admin only), filtered and keyset paged."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from ledgerbridge.bootstrap import Container
from ledgerbridge.services import audit_log
from ledgerbridge.web.deps import CurrentCompany, container, require_role
from ledgerbridge.web.text_input import StrictJsonRoute

router = APIRouter(prefix="/api/v1", tags=["audit"], route_class=StrictJsonRoute)


@router.get("/audit")
def audit(
    actor: str = Query("", max_length=320),
    action: str = Query("", max_length=128, description="start of the action: `connection.`"),
    subject_type: str = Query("", max_length=64),
    subject_id: str = Query("", max_length=128),
    before: int | None = Query(None, ge=1, description="`next_before` of the previous page"),
    limit: int = Query(audit_log.PAGE_SIZE, ge=1, le=200),
    company: CurrentCompany = Depends(require_role("admin")),
    app: Container = Depends(container),
) -> dict[str, Any]:
    """Newest first; ``next_before`` is ``null`` on the last page."""
    filters = audit_log.AuditFilter.cleaned(actor, action, subject_type, subject_id)
    page = audit_log.audit_entries(app.uow, company.id, filters, before=before, limit=limit)
    items = [
        {
            "id": e.id,
            "at": e.at.isoformat(),
            "actor": e.actor,
            "action": e.action,
            "subject_type": e.subject_type,
            "subject_id": e.subject_id,
            "details": e.details,
        }
        for e in page.items
    ]
    return {"items": items, "next_before": page.next_before}
