"""Integrations › Exact Online: connect, callback, division, status, health, renew, disconnect.

The OAuth state is bound to the browser: starting a connection sets an
HttpOnly cookie holding a random session id, and only a callback carrying the
same cookie and state is accepted.
"""

from __future__ import annotations

import dataclasses
import secrets
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel

from ledgerbridge.bootstrap import Container
from ledgerbridge.services.access import signin
from ledgerbridge.services.access.principal import Principal
from ledgerbridge.services.connection import budget as connection_budget
from ledgerbridge.services.connection import health as connection_health
from ledgerbridge.services.dimensions.impact import require_replacement_confirmed
from ledgerbridge.services.errors import ConnectRefused
from ledgerbridge.web.deps import (
    CurrentCompany,
    container,
    current_company,
    current_principal,
    require_role,
)
from ledgerbridge.web.text_input import StrictJsonRoute

router = APIRouter(tags=["integrations"], route_class=StrictJsonRoute)
PREFIX = "/api/v1/integrations/exact"
SESSION_COOKIE = "ledgerbridge_oauth_session"
# Connecting, renewing, choosing the division and disconnecting are admin work.
admin_company = require_role("admin")


class CallbackIn(BaseModel):
    code: str
    state: str


class DivisionIn(BaseModel):
    division: int


def _browser_session(request: Request, response: Response) -> str:
    session_id = request.cookies.get(SESSION_COOKIE) or secrets.token_urlsafe(24)
    response.set_cookie(
        SESSION_COOKIE, session_id, httponly=True, samesite="lax", max_age=3600, path="/"
    )
    return session_id


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return value


class ConnectRequest(BaseModel):
    """``replace_local_dimensions``: the user confirmed that Exact's dimensions replace ours."""

    replace_local_dimensions: bool = False


@router.post(f"{PREFIX}/connect")
def start_connect(
    request: Request,
    response: Response,
    body: ConnectRequest | None = None,
    company: CurrentCompany = Depends(admin_company),
    principal: Principal = Depends(current_principal),
    app: Container = Depends(container),
) -> dict[str, Any]:
    """Start the consent; open ``authorize_url`` in the same browser.

    When local dimensions exist, answers 409 with what would be replaced (and which
    open transactions go back to *to prepare*) until the request confirms it.
    ``warnings`` names Exact users who already serve another company: signing in as
    one of them ends that company's connection.
    """
    confirmed = body is not None and body.replace_local_dimensions
    preview = require_replacement_confirmed(app.uow, company.id, confirmed=confirmed)
    session_id = _browser_session(request, response)
    visible = signin.visible_companies(app.uow, principal)
    started = app.connections.start_connect(company.id, session_id, visible)
    return {
        "authorize_url": started.authorize_url,
        "replaces": preview.message,
        "warnings": started.warnings,
    }


@router.post(f"{PREFIX}/renew")
def renew(
    request: Request,
    response: Response,
    company: CurrentCompany = Depends(admin_company),
    principal: Principal = Depends(current_principal),
    app: Container = Depends(container),
) -> dict[str, Any]:
    """Consent again for an existing connection (division, mappings and history stay)."""
    session_id = _browser_session(request, response)
    visible = signin.visible_companies(app.uow, principal)
    started = app.connections.renew(company.id, session_id, visible)
    return {"authorize_url": started.authorize_url, "warnings": started.warnings}


def _complete(app: Container, request: Request, code: str, state: str) -> dict[str, Any]:
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        raise ConnectRefused("no connection was started in this browser")
    result = app.connections.complete_connect(session_id, code, state)
    return {
        "exact_user": result.exact_user_name,
        "division": result.division,
        "divisions": [_jsonable(d) for d in result.divisions],
        "next": "choose a division" if result.division is None else "connected",
    }


@router.get("/integrations/exact/callback", include_in_schema=False)
def browser_callback(
    request: Request,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
    app: Container = Depends(container),
) -> Any:
    """Where Exact sends the browser back (the registered redirect URL): with a ``code``,
    or with an ``error`` when the user chose Deny (then nothing changes). A browser
    (accepting text/html) lands on a page; API clients get JSON."""
    if "text/html" in request.headers.get("accept", ""):
        from ledgerbridge.web.pages.integrations import landing

        return landing(request, code, state, error)
    session_id = request.cookies.get(SESSION_COOKIE)
    if error is not None and state and session_id:
        app.connections.refuse_consent(session_id, state, error)
    if error is not None or not code or not state:
        raise ConnectRefused(
            f"access was refused in Exact Online ({error or 'no code'}); nothing changed. "
            "Connect again and choose Allow to link the administration."
        )
    return _complete(app, request, code, state)


@router.post(f"{PREFIX}/callback", dependencies=[Depends(admin_company)])
def callback(
    body: CallbackIn, request: Request, app: Container = Depends(container)
) -> dict[str, Any]:
    """Finish the consent with the ``code`` and ``state`` Exact returned."""
    return _complete(app, request, body.code, body.state)


@router.get(f"{PREFIX}")
def status(
    company: CurrentCompany = Depends(current_company), app: Container = Depends(container)
) -> dict[str, Any]:
    """Connection status with its reason (no call to Exact)."""
    return _jsonable(connection_health.connection_status(app.uow, company.id))


@router.get(f"{PREFIX}/health")
def health(
    company: CurrentCompany = Depends(current_company), app: Container = Depends(container)
) -> dict[str, Any]:
    """Token ages, chain expiry, rate budget left, errors this hour, problems, and
    ``calls_today``: the division's calls on this UTC day by purpose (``exports``,
    ``receipts``, ``dimension_upkeep``, ``token``, ``other``), their total, what is left
    of the day limit and when it resets (00:00 UTC)."""
    report = connection_health.health_report(app.uow, app.gateway, app.now, company.id)
    calls = connection_budget.calls_today(app.uow, company.id, app.now())
    return {**_jsonable(report), "calls_today": _jsonable(calls)}


@router.get(f"{PREFIX}/divisions")
def divisions(
    company: CurrentCompany = Depends(current_company), app: Container = Depends(container)
) -> list[dict[str, Any]]:
    """The administrations the consenting Exact user may use."""
    return [_jsonable(d) for d in app.connections.list_divisions(company.id)]


@router.put(f"{PREFIX}/division")
def choose_division(
    body: DivisionIn,
    company: CurrentCompany = Depends(admin_company),
    app: Container = Depends(container),
) -> dict[str, Any]:
    """Choose the working administration; its dimensions are pulled in the background."""
    chosen = app.connections.choose_division(company.id, body.division)
    return {"division": chosen.code, "division_name": chosen.description}


@router.delete(f"{PREFIX}")
def disconnect(
    company: CurrentCompany = Depends(admin_company), app: Container = Depends(container)
) -> dict[str, str]:
    """Forget the tokens; history, division and mappings stay."""
    app.connections.disconnect(company.id)
    return {"status": "disconnected"}
