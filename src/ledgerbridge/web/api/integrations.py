"""Integrations › Exact Online: connect, callback, division, status, health, renew, disconnect.

The OAuth state is bound to the browser: starting a connection sets an
HttpOnly cookie holding a random session id, and only a callback carrying the
same cookie and state is accepted.
"""

from __future__ import annotations

import dataclasses
import secrets
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel

from ledgerbridge.bootstrap import Container
from ledgerbridge.exact.errors import ExactAuthLost, ExactError
from ledgerbridge.gateway.factory import ConnectionNotReady
from ledgerbridge.services.connection import health as connection_health
from ledgerbridge.services.connection import lifecycle as connection
from ledgerbridge.services.dimensions.impact import (
    ReplacementNotConfirmed,
    require_replacement_confirmed,
)
from ledgerbridge.web.deps import CurrentCompany, container, current_company
from ledgerbridge.web.text_input import StrictJsonRoute

router = APIRouter(tags=["integrations"], route_class=StrictJsonRoute)
PREFIX = "/api/v1/integrations/exact"
SESSION_COOKIE = "ledgerbridge_oauth_session"


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


def _as_http(error: Exception) -> HTTPException:
    if isinstance(error, connection.ConnectRefused):
        return HTTPException(400, str(error))
    if isinstance(error, ConnectionNotReady):
        return HTTPException(409, str(error))
    if isinstance(error, ExactAuthLost):
        return HTTPException(409, f"Exact Online needs a new sign-in: {error.reason}")
    return HTTPException(502, f"Exact Online: {error}")


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
    company: CurrentCompany = Depends(current_company),
    app: Container = Depends(container),
) -> dict[str, str]:
    """Start (or renew) the consent; open ``authorize_url`` in the same browser.

    When local dimensions exist, answers 409 with what would be replaced (and which
    open transactions go back to *to prepare*) until the request confirms it.
    """
    confirmed = body is not None and body.replace_local_dimensions
    try:
        preview = require_replacement_confirmed(app.uow, company.id, confirmed=confirmed)
    except ReplacementNotConfirmed as refused:
        raise HTTPException(409, str(refused)) from refused
    try:
        url = connection.start_connect(app, company.id, _browser_session(request, response))
    except ConnectionNotReady as error:
        raise _as_http(error) from error
    return {"authorize_url": url, "replaces": preview.message}


router.add_api_route(f"{PREFIX}/renew", start_connect, methods=["POST"])


def _complete(app: Container, request: Request, code: str, state: str) -> dict[str, Any]:
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        raise HTTPException(400, "no connection was started in this browser")
    try:
        result = connection.complete_connect(app, session_id, code, state)
    except (connection.ConnectRefused, ConnectionNotReady, ExactError) as error:
        raise _as_http(error) from error
    return {
        "exact_user": result.exact_user_name,
        "division": result.division,
        "divisions": [_jsonable(d) for d in result.divisions],
        "next": "choose a division" if result.division is None else "connected",
    }


@router.get("/integrations/exact/callback", include_in_schema=False)
def browser_callback(
    request: Request, code: str, state: str, app: Container = Depends(container)
) -> dict[str, Any]:
    """Where Exact sends the browser back (the registered redirect URL)."""
    return _complete(app, request, code, state)


@router.post(f"{PREFIX}/callback")
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
    return _jsonable(connection_health.connection_status(app, company.id))


@router.get(f"{PREFIX}/health")
def health(
    company: CurrentCompany = Depends(current_company), app: Container = Depends(container)
) -> dict[str, Any]:
    """Token ages, chain expiry, rate budget left, errors this hour, problems."""
    return _jsonable(connection_health.health_report(app, company.id))


@router.get(f"{PREFIX}/divisions")
def divisions(
    company: CurrentCompany = Depends(current_company), app: Container = Depends(container)
) -> list[dict[str, Any]]:
    """The administrations the consenting Exact user may use."""
    try:
        return [_jsonable(d) for d in connection.list_divisions(app, company.id)]
    except (ConnectionNotReady, ExactError) as error:
        raise _as_http(error) from error


@router.put(f"{PREFIX}/division")
def choose_division(
    body: DivisionIn,
    company: CurrentCompany = Depends(current_company),
    app: Container = Depends(container),
) -> dict[str, Any]:
    """Choose the working administration; its dimensions are pulled in the background."""
    try:
        chosen = connection.choose_division(app, company.id, body.division)
    except (ConnectionNotReady, ExactError) as error:
        raise _as_http(error) from error
    return {"division": chosen.code, "division_name": chosen.description}


@router.delete(f"{PREFIX}")
def disconnect(
    company: CurrentCompany = Depends(current_company), app: Container = Depends(container)
) -> dict[str, str]:
    """Forget the tokens; history, division and mappings stay."""
    connection.disconnect(app, company.id)
    return {"status": "disconnected"}
