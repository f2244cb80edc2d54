"""FastAPI dependencies shared by the routers: who is calling, for which company.

A request authenticates with an API key (``Authorization: Bearer lbk_…``) or the
session cookie set by ``POST /api/v1/auth/login``. The company is the key's, or
the one the session chose; never a header anyone can set. A cookie-authenticated
unsafe request (anything but GET/HEAD/OPTIONS) must carry the session's CSRF
token in ``X-CSRF-Token``; a key needs none (a browser never sends it by itself).

Roles: reading needs viewer, any state change bookkeeper (``current_company``
enforces both by method), admin work ``require_role("admin")``.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from ledgerbridge import logs
from ledgerbridge.bootstrap import Container
from ledgerbridge.services import companies
from ledgerbridge.services.access import secrets, signin
from ledgerbridge.services.access.principal import Principal
from ledgerbridge.services.access.principal import require_role as role_rule
from ledgerbridge.services.errors import Forbidden, NotAuthenticated

SESSION_COOKIE = "ledgerbridge_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_bearer = HTTPBearer(auto_error=False, description="An API key: `Bearer lbk_…`.")
_cookie = APIKeyCookie(
    name=SESSION_COOKIE, auto_error=False, description="Set by POST /api/v1/auth/login."
)


def container(request: Request) -> Container:
    found: Container = request.app.state.container
    return found


# The company a request acts for (a plain value, safe outside any session).
CurrentCompany = companies.CompanyRef


def current_principal(
    request: Request,
    bearer: HTTPAuthorizationCredentials | None = Depends(_bearer),
    session_token: str | None = Depends(_cookie),
    app: Container = Depends(container),
) -> Principal:
    """The caller; ``NotAuthenticated`` (401) without valid credentials, ``Forbidden``
    (403) for a cookie-authenticated unsafe request without the right CSRF token."""
    if request.headers.get("authorization"):
        if bearer is None or bearer.scheme.lower() != "bearer" or not bearer.credentials:
            raise NotAuthenticated("send the API key as 'Authorization: Bearer <key>'")
        return _noted(signin.key_principal(app.uow, app.now, bearer.credentials))
    if not session_token:
        raise NotAuthenticated(
            "sign in (POST /api/v1/auth/login) or send an API key (Authorization: Bearer …)"
        )
    found = signin.session_principal(app.uow, app.now, session_token)
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent or found.csrf_token is None or not secrets.same(sent, found.csrf_token):
            raise Forbidden(
                f"the {CSRF_HEADER} header is missing or wrong; send the csrf_token "
                "of GET /api/v1/me with every change (nothing changed)"
            )
    return _noted(found)


def _noted(principal: Principal) -> Principal:
    """The principal, its company told to the request's log context."""
    if principal.company is not None:
        logs.note(company=principal.company.id)
    return principal


def current_company(
    request: Request, principal: Principal = Depends(current_principal)
) -> CurrentCompany:
    """The caller's company; reading needs viewer, any change bookkeeper (403 below)."""
    needed = "viewer" if request.method in SAFE_METHODS else "bookkeeper"
    return role_rule(principal, needed)


def current_actor(principal: Principal = Depends(current_principal)) -> str:
    """Who the audit log names: the user's email, or ``api-key:<name>``."""
    return principal.actor


def require_role(role: str) -> Callable[..., CurrentCompany]:
    """A dependency answering the caller's company when its role is ``role`` or more."""

    def dependency(principal: Principal = Depends(current_principal)) -> CurrentCompany:
        return role_rule(principal, role)

    return dependency
