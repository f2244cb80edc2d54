"""Bookkeeping › Export to Exact Online: the confirmation, a run's progress, the export
queue and the export history (bookkeepers and admins change; a viewer reads).

- ``POST /exports/confirm``: from the bulk bar of the Ready tab (the rows ticked or "all N
  matching this filter"): what will be posted (purchase entries, receipts, bank lines,
  the total) with a link to the journal preview; a selection with anything not ready is
  refused with the reason per transaction (the list again, as the bulk bar answers).
- ``POST /exports/start``: starts the run (``services.export.start.start_export``) and
  goes to its progress page.
- ``GET /exports/{id}``: done/total, failures, state, note and ETA; the fragment
  ``/exports/{id}/progress`` is polled by htmx every 2 s until the run is finished.
- ``GET /exports/preview``: the journal preview of a selection (the first 200).
- ``GET /exports/queue``: the failed exports with the reason, the action and Exact's own
  message; ``POST /exports/queue/retry`` (one, the ticked, all), ``/exports/queue/reopen``
  and ``/exports/queue/{id}/booked-manually`` (the entry number).
- ``GET /exports/history`` (filters, keyset pages of 50) and ``/exports/history.csv``.

Another company's run or transaction answers 404, like one that does not exist.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from ledgerbridge.domain.export_status import ExportStatus
from ledgerbridge.i18n import N_
from ledgerbridge.services.access.principal import require_role
from ledgerbridge.services.errors import ConflictError, InvalidRequest, ItemsRefused, NotFoundError
from ledgerbridge.services.export import confirm, queries, start
from ledgerbridge.services.prep import coding, preview
from ledgerbridge.services.transactions import query as txn_queries
from ledgerbridge.web.pages.common import (
    Viewer,
    back_to,
    check_csrf,
    container,
    problem_of,
    render,
    viewer,
)
from ledgerbridge.web.pages.prep import chosen_ids, named_items, posted_filters
from ledgerbridge.web.pages.transactions import TABS, Filters, list_page

router = APIRouter()
HISTORY_PAGE = 50
CSV_CHUNK = 1000
CSV_MAX = 100_000
MATCH_STATUSES = ("matched", "not_matched_yet")
SOON = timedelta(minutes=1)
STATE_NAMES = {
    "running": N_("Exporting"),
    "waiting": N_("Waiting"),
    "paused": N_("Paused"),
    "finished": N_("Finished"),
}
QUEUE_NOTICES = {
    "reopened": N_("Reopened for editing: back in To prepare."),
    "booked": N_("Recorded as booked manually: it is in the export history."),
}


# -- the confirmation and the start --------------------------------------------------------------


@router.post("/exports/confirm", response_model=None)
def confirm_export(
    request: Request,
    csrf_token: str = Form(""),
    scope: str = Form("selected"),
    ids: list[str] = Form([]),
    filters: Filters = Depends(posted_filters),
) -> HTMLResponse:
    who = viewer(request)
    check_csrf(request, who, csrf_token)
    company = require_role(who.principal, "bookkeeper")
    app = container(request)
    try:
        chosen = chosen_ids(app, company.id, filters, scope, ids)
        summary = confirm.summarise(app.uow, company.id, chosen)
    except (ItemsRefused, InvalidRequest, ConflictError) as error:
        return _refused(request, who, company.id, filters, scope, ids, error)
    return render(
        request,
        "export_confirm.html",
        who,
        active="transactions",
        summary=summary,
        filters=filters,
        scope=scope,
        preview_link=_preview_link(summary.ids),
    )


@router.post("/exports/start", response_model=None)
def start_run(
    request: Request,
    csrf_token: str = Form(""),
    scope: str = Form("selected"),
    ids: list[str] = Form([]),
    filters: Filters = Depends(posted_filters),
) -> Response:
    who = viewer(request)
    check_csrf(request, who, csrf_token)
    company = require_role(who.principal, "bookkeeper")
    app = container(request)
    try:
        chosen = chosen_ids(app, company.id, filters, scope, ids)
        started = start.start_export(
            app.uow, app.queue, app.now, company.id, chosen, who.principal.actor
        )
    except (ItemsRefused, InvalidRequest, ConflictError) as error:
        return _refused(request, who, company.id, filters, scope, ids, error)
    return back_to(f"/exports/{started.run_id}")


def _refused(
    request: Request,
    who: Viewer,
    company_id: uuid.UUID,
    filters: Filters,
    scope: str,
    ids: list[str],
    error: Exception,
) -> HTMLResponse:
    """The list again with the bulk bar's refusal: the reason per transaction."""
    app = container(request)
    listed = named_items(app, company_id, error.items) if isinstance(error, ItemsRefused) else []
    status = {ItemsRefused: 422, ConflictError: 409}.get(type(error), 400)
    result = {
        "refused": problem_of(error),
        "listed": listed,
        "scope": scope,
        "ids": set(ids[: coding.MAX_SELECTION]),
    }
    return list_page(request, who, company_id, filters, status=status, bulk=result)


def _preview_link(ids: tuple[uuid.UUID, ...]) -> str:
    return "/exports/preview?" + urlencode([("ids", str(i)) for i in ids[: preview.MAX_PREVIEW]])


@router.get("/exports/preview", response_model=None)
def selection_preview(request: Request) -> HTMLResponse:
    """The journal preview of each transaction of a selection (at most 200)."""
    who = viewer(request)
    company = require_role(who.principal, "viewer")
    wanted: list[uuid.UUID] = []
    for text in request.query_params.getlist("ids")[: preview.MAX_PREVIEW]:
        try:
            wanted.append(uuid.UUID(text))
        except ValueError:
            raise NotFoundError(f"transaction {text[:40]} not found") from None
    if not wanted:
        raise InvalidRequest(N_("select at least one transaction"))
    found = preview.preview_of(container(request).uow, company.id, wanted)
    return render(request, "export_preview.html", who, active="transactions", previews=found)


# -- a run's progress ----------------------------------------------------------------------------


def _run(request: Request, export_run_id: uuid.UUID) -> tuple[Viewer, dict[str, Any]]:
    """The run and how the page words its ETA (within the minute: "in a minute or less")."""
    who = viewer(request)
    company = require_role(who.principal, "viewer")
    app = container(request)
    run = queries.run_view(app.uow, company.id, export_run_id, app.now)
    soon = run.eta is not None and run.eta.done_at <= app.now() + SOON
    return who, {"run": run, "eta_soon": soon, "state_names": STATE_NAMES}


# -- the export queue (before /exports/{id}: "queue" is not an id) -------------------------------


@router.get("/exports/queue", response_model=None)
def export_queue(request: Request, notice: str = "") -> HTMLResponse:
    who = viewer(request)
    company = require_role(who.principal, "viewer")
    return queue_page(request, who, company.id, notice=QUEUE_NOTICES.get(notice))


def queue_page(
    request: Request, who: Viewer, company_id: uuid.UUID, status: int = 200, **context: Any
) -> HTMLResponse:
    app = container(request)
    filters = Filters(status=ExportStatus.FAILED.value)
    counts = txn_queries.status_counts(app.uow(), company_id, filters.query())
    return render(
        request,
        "export_queue.html",
        who,
        status,
        active="export_queue",
        items=queries.export_queue(app.uow, company_id),
        tabs=TABS,
        counts=counts,
        count_cap=txn_queries.COUNT_CAP,
        filters=filters,
        **context,
    )


def _queue_ids(one: str, ids: list[str]) -> list[uuid.UUID]:
    chosen = []
    for text in [one] if one else ids[: coding.MAX_SELECTION + 1]:
        try:
            chosen.append(uuid.UUID(text))
        except ValueError:
            raise InvalidRequest(
                N_("%(id)s is not a transaction of the export queue", id=text[:40])
            ) from None
    if not chosen:
        raise InvalidRequest(N_("tick at least one transaction of the export queue"))
    return chosen


@router.post("/exports/queue/retry", response_model=None)
def retry(
    request: Request,
    csrf_token: str = Form(""),
    scope: str = Form("selected"),
    one: str = Form(""),
    ids: list[str] = Form([]),
) -> Response:
    """Send again: one (``one``), the ticked (``ids``) or the whole queue (``scope=all``)."""
    who = viewer(request)
    check_csrf(request, who, csrf_token)
    company = require_role(who.principal, "bookkeeper")
    app = container(request)
    try:
        chosen = None if scope == "all" and not one else _queue_ids(one, ids)
        started = start.retry(app.uow, app.queue, app.now, company.id, chosen, who.principal.actor)
    except (ItemsRefused, InvalidRequest, ConflictError) as error:
        return _queue_refused(request, who, company.id, error)
    return back_to(f"/exports/{started.run_id}")


@router.post("/exports/queue/reopen", response_model=None)
def reopen(
    request: Request, csrf_token: str = Form(""), one: str = Form(""), ids: list[str] = Form([])
) -> Response:
    who = viewer(request)
    check_csrf(request, who, csrf_token)
    company = require_role(who.principal, "bookkeeper")
    app = container(request)
    try:
        start.reopen_failed(app.uow, company.id, _queue_ids(one, ids), who.principal.actor)
    except (ItemsRefused, InvalidRequest, ConflictError) as error:
        return _queue_refused(request, who, company.id, error)
    return back_to("/exports/queue?notice=reopened")


@router.post("/exports/queue/{transaction_id}/booked-manually", response_model=None)
def booked_manually(
    request: Request,
    transaction_id: uuid.UUID,
    csrf_token: str = Form(""),
    entry_number: str = Form(""),
) -> Response:
    who = viewer(request)
    check_csrf(request, who, csrf_token)
    company = require_role(who.principal, "bookkeeper")
    app = container(request)
    if txn_queries.get_transaction(app.uow(), company.id, transaction_id) is None:
        raise NotFoundError(f"transaction {transaction_id} not found")
    try:
        number = int(entry_number.strip())
    except ValueError:
        error = InvalidRequest(N_("entry_number: give the entry number Exact Online shows"))
        return _queue_refused(request, who, company.id, error)
    try:
        start.booked_manually(
            app.uow, app.now, company.id, transaction_id, number, who.principal.actor
        )
    except (InvalidRequest, ConflictError) as error:
        return _queue_refused(request, who, company.id, error)
    return back_to("/exports/queue?notice=booked")


def _queue_refused(
    request: Request, who: Viewer, company_id: uuid.UUID, error: Exception
) -> HTMLResponse:
    app = container(request)
    listed = named_items(app, company_id, error.items) if isinstance(error, ItemsRefused) else []
    status = {ItemsRefused: 422, ConflictError: 409}.get(type(error), 400)
    return queue_page(request, who, company_id, status, problem=problem_of(error), listed=listed)


# -- the export history --------------------------------------------------------------------------


def _history_filter(params: dict[str, str]) -> tuple[dict[str, str], queries.HistoryFilter]:
    def day(name: str) -> date | None:
        try:
            return date.fromisoformat(params.get(name, "").strip()) if params.get(name) else None
        except ValueError:
            return None

    chosen = params.get("match_status", "")
    match = chosen if chosen in MATCH_STATUSES else ""
    text = params.get("q", "").replace("\x00", "").strip()[:100]
    start_day, end_day = day("exported_from"), day("exported_to")
    shown = {
        "exported_from": start_day.isoformat() if start_day else "",
        "exported_to": end_day.isoformat() if end_day else "",
        "match_status": match,
        "q": text,
    }
    return shown, queries.HistoryFilter(start_day, end_day, match or None, text or None)


def _cursor(text: str) -> tuple[datetime, uuid.UUID] | None:
    at, _, txn_id = text.partition("_")
    try:
        return datetime.fromisoformat(at), uuid.UUID(txn_id)
    except ValueError:
        return None


def _link(path: str, shown: dict[str, str], **more: str) -> str:
    values = {k: v for k, v in {**shown, **more}.items() if v}
    return path + ("?" + urlencode(values) if values else "")


@router.get("/exports/history", response_model=None)
def history(request: Request) -> HTMLResponse:
    who = viewer(request)
    company = require_role(who.principal, "viewer")
    app = container(request)
    shown, filters = _history_filter(dict(request.query_params))
    after = _cursor(request.query_params.get("after", ""))
    found = queries.export_history(
        app.uow, company.id, filters, limit=HISTORY_PAGE + 1, after=after
    )
    items, more = found[:HISTORY_PAGE], len(found) > HISTORY_PAGE
    last = items[-1] if items else None
    next_link = ""
    if more and last is not None and last.exported_at is not None:
        cursor = f"{last.exported_at.isoformat()}_{last.transaction_id}"
        next_link = _link("/exports/history", shown, after=cursor)
    return render(
        request,
        "export_history.html",
        who,
        active="export_history",
        items=items,
        shown=shown,
        any_filter=any(shown.values()),
        paged=after is not None,
        first_link=_link("/exports/history", shown),
        next_link=next_link,
        csv_link=_link("/exports/history.csv", shown),
        match_statuses=MATCH_STATUSES,
    )


@router.get("/exports/history.csv", response_model=None)
def history_download(request: Request) -> Response:
    """The history with the page's filters as CSV (formula cells escaped)."""
    who = viewer(request)
    company = require_role(who.principal, "viewer")
    app = container(request)
    _, filters = _history_filter(dict(request.query_params))
    items: list[queries.HistoryItem] = []
    after = None
    while len(items) < CSV_MAX:
        found = queries.export_history(app.uow, company.id, filters, limit=CSV_CHUNK, after=after)
        items += found
        if len(found) < CSV_CHUNK or found[-1].exported_at is None:
            break
        after = (found[-1].exported_at, found[-1].transaction_id)
    headers = {"Content-Disposition": 'attachment; filename="export-history.csv"'}
    return Response(queries.history_csv(items), media_type="text/csv; charset=utf-8",
                    headers=headers)  # fmt: skip


# -- a run (last: /exports/{id} would take the names above) --------------------------------------


@router.get("/exports/{export_run_id}", response_model=None)
def run_page(request: Request, export_run_id: uuid.UUID) -> HTMLResponse:
    who, shown = _run(request, export_run_id)
    return render(request, "export_run.html", who, active="transactions", **shown)


@router.get("/exports/{export_run_id}/progress", response_model=None)
def run_progress(request: Request, export_run_id: uuid.UUID) -> HTMLResponse:
    who, shown = _run(request, export_run_id)
    return render(request, "export_run_progress.html", who, **shown)
