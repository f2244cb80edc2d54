"""Audit log (admins only): who did what and when, newest first, filtered by actor,
action (its start: ``connection.``) and subject, 50 rows a page; "Next page" swaps in
the next rows with htmx and is a plain link without it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ledgerbridge.services import audit_log
from ledgerbridge.web.pages.common import container, render
from ledgerbridge.web.pages.guard import admin_viewer

router = APIRouter()


@router.get("/audit", response_model=None)
def audit(
    request: Request,
    actor: str = "",
    action: str = "",
    subject_type: str = "",
    subject_id: str = "",
    before: str = "",
) -> HTMLResponse:
    who, company = admin_viewer(request)
    filters = audit_log.AuditFilter.cleaned(actor, action, subject_type, subject_id)
    cursor = int(before) if before.isdigit() else None
    page = audit_log.audit_entries(container(request).uow, company.id, filters, before=cursor)
    partial = request.headers.get("HX-Request") == "true"
    return render(
        request,
        "audit_rows.html" if partial else "audit.html",
        who,
        active="audit",
        filters=filters,
        page=page,
        first=cursor is None,
    )
