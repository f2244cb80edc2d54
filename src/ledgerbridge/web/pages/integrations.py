"""Integrations › Exact Online: the card, Connect (with the replacement preview), the
browser's landing after consent, the division picker, Sync now, Renew, Disconnect.

Only admins see (and may use) the buttons that change the connection.
"""

from __future__ import annotations

import contextlib
import secrets

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ledgerbridge.i18n import N_
from ledgerbridge.services.access.principal import require_role
from ledgerbridge.services.connection import budget as connection_budget
from ledgerbridge.services.connection import health as connection_health
from ledgerbridge.services.dimensions import editing
from ledgerbridge.services.dimensions.requests import request_sync
from ledgerbridge.services.dimensions.sync import preview_replacement
from ledgerbridge.services.errors import ConnectRefused, ServiceError
from ledgerbridge.web.errors import status_for
from ledgerbridge.web.pages.common import (
    Viewer,
    back_to,
    check_csrf,
    container,
    problem_of,
    render,
    viewer,
)

router = APIRouter()
OAUTH_COOKIE = "ledgerbridge_oauth_session"
NOTICES = {
    "connected": N_("Exact Online is connected."),
    "denied": N_("Access was refused in Exact Online (you chose Deny); nothing changed."),
    "division": N_("Division chosen; its dimensions are being pulled now."),
    "sync": N_("A sync is queued; the dimensions page shows it when it is done."),
    "disconnected": N_("Disconnected. History, division and mappings are kept."),
}
# The connection's status as the card names it (the API keeps the codes).
STATUS_LABELS = {
    "not_connected": N_("not connected"),
    "pending": N_("pending"),
    "connected": N_("connected"),
    "needs_reauth": N_("needs renewal"),
    "error": N_("error"),
    "disconnected": N_("disconnected"),
}
# Why calls to Exact were made (``exact.purpose.Purpose`` values), as the calls table names them.
PURPOSE_LABELS = {
    "exports": N_("Exports"),
    "receipts": N_("Receipts"),
    "dimension_upkeep": N_("Dimension upkeep"),
    "token": N_("Token"),
    "other": N_("Other"),
}
# A sync run's mode and status: marked here, shown through ``tr`` (a msgid look-up).
RUN_LABELS = {
    "full": N_("full"),
    "incremental": N_("incremental"),
    "webhook": N_("webhook"),
    "ok": N_("ok"),
    "running": N_("running"),
    "failed": N_("failed"),
    "partial": N_("partial"),
}


def _page(
    request: Request, who: Viewer, status: int = 200, problem: str | None = None, **extra: object
) -> HTMLResponse:
    app = container(request)
    company = require_role(who.principal, "viewer")
    report = connection_health.health_report(app.uow, app.gateway, app.now, company.id)
    divisions = []
    if report.status.needs_division:
        try:
            divisions = app.connections.list_divisions(company.id)
        except ServiceError as error:
            problem = problem or problem_of(error)
    runs = editing.sync_runs(app.uow, company.id, 1)
    calls = connection_budget.calls_today(app.uow, company.id, app.now())
    notice = NOTICES.get(request.query_params.get("done", ""))
    return render(
        request,
        "integrations.html",
        who,
        status,
        report=report,
        divisions=divisions,
        last_sync=runs[0] if runs else None,
        notice=notice,
        problem=problem,
        status_labels=STATUS_LABELS,
        calls=calls,
        purpose_labels=PURPOSE_LABELS,
        **extra,
    )


@router.get("/integrations", response_model=None)
def integrations(request: Request) -> HTMLResponse:
    return _page(request, viewer(request))


def _to_exact(request: Request, who: Viewer, url: str, warnings: list[str]) -> Response:
    if warnings:
        return render(request, "connect_warnings.html", who, url=url, warnings=warnings)
    return RedirectResponse(url, status_code=303)


def _with_browser_session(request: Request, answer: Response, session_id: str) -> Response:
    answer.set_cookie(
        OAUTH_COOKIE, session_id, httponly=True, samesite="lax", max_age=3600, path="/"
    )
    return answer


@router.post("/integrations/connect", response_model=None)
def connect(
    request: Request, csrf_token: str = Form(""), replace_local_dimensions: str = Form("")
) -> Response:
    who = viewer(request)
    check_csrf(request, who, csrf_token)
    app = container(request)
    try:
        company = require_role(who.principal, "admin")
        preview = preview_replacement(app.uow, company.id)
        if preview.local_dimensions and replace_local_dimensions != "yes":
            return render(request, "connect_confirm.html", who, preview=preview)
        session_id = request.cookies.get(OAUTH_COOKIE) or secrets.token_urlsafe(24)
        visible = {company.id for company, _ in who.memberships}
        started = app.connections.start_connect(company.id, session_id, visible)
    except ServiceError as error:
        return _page(request, who, status_for(error), problem=problem_of(error))
    answer = _to_exact(request, who, started.authorize_url, started.warnings)
    return _with_browser_session(request, answer, session_id)


@router.post("/integrations/renew", response_model=None)
def renew(request: Request, csrf_token: str = Form("")) -> Response:
    who = viewer(request)
    check_csrf(request, who, csrf_token)
    app = container(request)
    try:
        company = require_role(who.principal, "admin")
        session_id = request.cookies.get(OAUTH_COOKIE) or secrets.token_urlsafe(24)
        visible = {company.id for company, _ in who.memberships}
        started = app.connections.renew(company.id, session_id, visible)
    except ServiceError as error:
        return _page(request, who, status_for(error), problem=problem_of(error))
    answer = _to_exact(request, who, started.authorize_url, started.warnings)
    return _with_browser_session(request, answer, session_id)


def landing(request: Request, code: str | None, state: str | None, error: str | None) -> Response:
    """Where the browser lands after Exact's consent page (asked for as text/html)."""
    app = container(request)
    session_id = request.cookies.get(OAUTH_COOKIE)
    if error is not None:
        if state and session_id:
            # Spends the consent state; it always raises the refusal, which the page says.
            with contextlib.suppress(ConnectRefused):
                app.connections.refuse_consent(session_id, state, error)
        return back_to("/integrations?done=denied")
    try:
        if not session_id:
            raise ConnectRefused(N_("no connection was started in this browser"))
        if not code or not state:
            raise ConnectRefused(N_("Exact Online sent no code; nothing changed"))
        result = app.connections.complete_connect(session_id, code, state)
    except ServiceError as failure:
        return render(request, "callback_problem.html", None, 400, problem=problem_of(failure))
    return back_to("/integrations" if result.division is None else "/integrations?done=connected")


@router.post("/integrations/division", response_model=None)
def choose_division(
    request: Request, csrf_token: str = Form(""), division: str = Form("")
) -> Response:
    who = viewer(request)
    check_csrf(request, who, csrf_token)
    app = container(request)
    try:
        company = require_role(who.principal, "admin")
        app.connections.choose_division(company.id, int(division))
    except ServiceError as error:
        return _page(request, who, status_for(error), problem=problem_of(error))
    except ValueError:
        return _page(request, who, 400, problem=N_("choose a division from the list"))
    return back_to("/integrations?done=division")


@router.post("/integrations/sync", response_model=None)
def sync_now(request: Request, csrf_token: str = Form("")) -> Response:
    who = viewer(request)
    check_csrf(request, who, csrf_token)
    app = container(request)
    try:
        company = require_role(who.principal, "bookkeeper")
        request_sync(app.uow, app.queue, company.id)
    except ServiceError as error:
        return _page(request, who, status_for(error), problem=problem_of(error))
    return back_to("/integrations?done=sync")


@router.get("/integrations/disconnect", response_model=None)
def disconnect_page(request: Request) -> HTMLResponse:
    return render(request, "disconnect.html", viewer(request))


@router.post("/integrations/disconnect", response_model=None)
def disconnect(request: Request, csrf_token: str = Form("")) -> Response:
    who = viewer(request)
    check_csrf(request, who, csrf_token)
    app = container(request)
    try:
        company = require_role(who.principal, "admin")
        app.connections.disconnect(company.id)
    except ServiceError as error:
        return _page(request, who, status_for(error), problem=problem_of(error))
    return back_to("/integrations?done=disconnected")
