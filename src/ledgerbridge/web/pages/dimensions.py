"""Dimensions: one searchable, paged table per kind (read only: managed in Exact Online)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ledgerbridge.domain.dimensions import DimensionKind
from ledgerbridge.domain.wording import from_json
from ledgerbridge.i18n import N_
from ledgerbridge.services.access.principal import require_role
from ledgerbridge.services.dimensions import editing
from ledgerbridge.web.pages.common import container, render, viewer

router = APIRouter()
PAGE_SIZE = 50
# The kinds in the plural, for the search label and the table ("No GL accounts match …").
PLURALS = {
    DimensionKind.GL_ACCOUNT: N_("GL accounts"),
    DimensionKind.VAT_CODE: N_("VAT codes"),
    DimensionKind.COST_CENTER: N_("cost centres"),
    DimensionKind.COST_UNIT: N_("cost units"),
    DimensionKind.PROJECT: N_("projects"),
    DimensionKind.JOURNAL: N_("journals"),
    DimensionKind.SUPPLIER: N_("suppliers"),
    DimensionKind.DOCUMENT_TYPE: N_("document types"),
    DimensionKind.OTHER: N_("dimensions"),
}


def _cursor(kind: DimensionKind, after: str | None) -> tuple[DimensionKind, str] | None:
    return (kind, after) if after else None


@router.get("/dimensions", response_model=None)
def dimensions(
    request: Request, kind: str = "gl_account", q: str = "", after: str = ""
) -> HTMLResponse:
    who = viewer(request)
    app = container(request)
    company = require_role(who.principal, "viewer")
    chosen = DimensionKind(kind) if kind in {k.value for k in DimensionKind} else None
    chosen = chosen or DimensionKind.GL_ACCOUNT
    search = q.strip()[:100] or None
    filters = editing.DimensionFilter(kind=chosen, search=search)
    page = editing.list_dimensions(
        app.uow, company.id, filters, after=_cursor(chosen, after or None), limit=PAGE_SIZE
    )
    summary = (page.last_sync.summary or {}) if page.last_sync else {}
    stored = summary.get("phrases") or summary.get("lines") or []
    partial = request.headers.get("HX-Request") == "true"
    return render(
        request,
        "dimensions_table.html" if partial else "dimensions.html",
        who,
        kinds=list(DimensionKind),
        kind=chosen,
        plural=PLURALS[chosen],
        changes=[from_json(line) for line in stored],
        q=search or "",
        after=after,
        page=page,
        next_after=page.items[-1].code if page.more and page.items else None,
        today=app.now().date(),
    )
