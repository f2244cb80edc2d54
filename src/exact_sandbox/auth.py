"""Who is calling: the consent step of OAuth and the bearer check on every API call.

``AuthService`` is what ``Sandbox`` builds as ``sandbox.auth``: browser
sessions and consent (the HTTP side is in ``oauth_pages``), the token endpoint
(rules in ``tokens``), and ``authenticate(request)`` for API calls:

- a missing, unknown, expired or revoked access token → 401 with Exact's HTML
  "Object moved … /docs/Login.aspx" page (``settings.html_401``, the default),
  or its JSON error body when that is off;
- a blocked or inactive user → 403 ``Reason: BlockedUser`` / ``InactiveUser``;
  a division the user may not access → 403 ``Reason: NoDivisionAccess``; a
  blocked division → 403 ``Reason: DivisionBlocked``. ``system/Divisions`` and
  ``system/AllDivisions`` do not check the division in their path (§1.7);
- a 401/403 for a known (app, user) and every token-endpoint error of a known
  user count toward the hourly error budget (``limits.record_error``).
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.routing import BaseRoute

from exact_sandbox.core import CallContext, SandboxApp, SandboxHTTPError, SandboxUser
from exact_sandbox.messages import error_body
from exact_sandbox.tokens import TokenError, TokenIssuer

if TYPE_CHECKING:
    from exact_sandbox.core import Sandbox

TOKEN_ENDPOINT = "oauth2/token"
# Listing divisions needs *some* division in the path; Exact does not validate it (§1.7).
UNVALIDATED_DIVISION_ENDPOINTS = {"system/divisions", "system/alldivisions"}
_API_PATH = re.compile(r"/api/v1/(?P<division>\d+|current)(?:/(?P<rest>.*))?$")


@dataclass(frozen=True)
class RequestContext(CallContext):
    """A ``CallContext`` that also knows its request (faults target methods and mark the scope)."""

    method: str = "GET"
    endpoint: str = ""
    chain_id: str = ""
    scope: MutableMapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


class ConsentRefused(Exception):
    """The consent page cannot issue a code; ``str(exc)`` is shown to the user."""


def parse_api_path(path: str) -> tuple[int | None, str]:
    """``(division, endpoint)`` of an API path, e.g. ``(3101010, "crm/Accounts")``.

    Keys (``(guid'…')``), ``/$count`` and any mount prefix are dropped;
    ``current/Me`` has no division.
    """
    match = _API_PATH.search(path)
    if match is None:
        return None, ""
    raw_division, rest = match["division"], match["rest"] or ""
    if raw_division == "current":
        rest = f"current/{rest}"
    parts = [re.sub(r"\(.*\)$", "", part) for part in rest.split("/") if part and part != "$count"]
    return (None if raw_division == "current" else int(raw_division)), "/".join(parts)


class AuthService:
    """Sessions, consent, tokens and the bearer check of one sandbox. Thread-safe."""

    def __init__(self, sandbox: Sandbox) -> None:
        self._sandbox = sandbox
        self._lock = threading.Lock()
        self.tokens = TokenIssuer(
            lambda: sandbox.clock.now(),
            lambda: sandbox.apps,
            lambda client_id, user_id: sandbox.limits.ensure_not_blocked(
                client_id, user_id, None, TOKEN_ENDPOINT
            ),
            lambda: sandbox.settings.token_cap_429,
        )
        self._sessions: dict[str, str] = {}

    def persist_to(self, path: Path) -> None:
        """Keep token chains in ``path`` across restarts (see ``TokenIssuer.persist_to``)."""
        self.tokens.persist_to(path)

    def reset(self) -> None:
        """Forget every code, token chain, browser session and token-call count."""
        self.tokens.reset()
        with self._lock:
            self._sessions.clear()

    # --- consent -------------------------------------------------------------------------

    def app_for(self, client_id: str, redirect_uri: str) -> SandboxApp:
        """The registered app; ConsentRefused unless ``redirect_uri`` matches exactly."""
        app = self._sandbox.apps.get(client_id)
        if app is None:
            raise ConsentRefused("Unknown client_id: this app is not registered.")
        if redirect_uri not in app.redirect_uris:
            raise ConsentRefused("The redirect_uri does not match the app's registered URI.")
        return app

    def log_in(self, username: str, password: str) -> SandboxUser:
        """The user with these credentials; ConsentRefused for wrong ones or a locked user."""
        user = next((u for u in self._sandbox.users.values() if u.username == username), None)
        if user is None or not secrets.compare_digest(user.password, password):
            raise ConsentRefused("The username or password is incorrect.")
        if user.blocked or not user.active:
            raise ConsentRefused("This user account is blocked or inactive.")
        return user

    def open_session(self, user: SandboxUser) -> str:
        """A browser session id, remembered until a reset (``force_login`` ignores it)."""
        sid = secrets.token_urlsafe(24)
        with self._lock:
            self._sessions[sid] = user.user_id
        return sid

    def session_user(self, sid: str | None) -> SandboxUser | None:
        """The usable user of a browser session, if any."""
        with self._lock:
            user_id = self._sessions.get(sid or "")
        user = self._user(user_id) if user_id else None
        return user if user is not None and user.active and not user.blocked else None

    def issue_code(self, user: SandboxUser, client_id: str, redirect_uri: str) -> str:
        """A single-use authorization code for an approved consent (raw; contains ``!``)."""
        self.app_for(client_id, redirect_uri)
        return self.tokens.issue_code(user.user_id, client_id, redirect_uri)

    def implicit(self, user: SandboxUser, client_id: str, redirect_uri: str) -> dict[str, str]:
        """``response_type=token``: an access token straight from consent (no refresh token)."""
        self.app_for(client_id, redirect_uri)
        return self.tokens.implicit(user.user_id, client_id)

    def connect(self, username: str, client_id: str | None = None) -> dict[str, str]:
        """Consent and code exchange in one go (tests, demos); returns the token JSON."""
        user = self._sandbox.user_by_name(username)
        apps = self._sandbox.apps
        app = apps[client_id] if client_id else next(iter(apps.values()))
        code = self.issue_code(user, app.client_id, app.redirect_uris[0])
        return self.token(
            {"grant_type": "authorization_code", "code": code, "client_id": app.client_id}
            | {"client_secret": app.client_secret, "redirect_uri": app.redirect_uris[0]}
        )

    def token(self, form: Mapping[str, str]) -> dict[str, str]:
        """The token endpoint (form fields as posted); raises ``TokenError``, counted as errors."""
        try:
            return self.tokens.token(form)
        except TokenError as error:
            if error.user_id:
                client_id = form.get("client_id", "")
                self._sandbox.limits.record_error(
                    client_id, error.user_id, None, TOKEN_ENDPOINT, error.status
                )
            raise

    # --- API calls -----------------------------------------------------------------------

    def authenticate(self, request: Request) -> RequestContext:
        """Who calls this API request; raises SandboxHTTPError 401 or 403 (with ``Reason``)."""
        division, endpoint = parse_api_path(request.url.path)
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        chain, valid = self.tokens.chain_for(token.strip() if scheme.lower() == "bearer" else "")
        user = self._user(chain.user_id) if chain else None
        app = self._sandbox.apps.get(chain.client_id) if chain else None
        if chain is None or user is None or app is None or not valid or user.signed_out:
            if chain is not None:
                self._sandbox.limits.record_error(
                    chain.client_id, chain.user_id, division, endpoint, 401
                )
            raise self._unauthorized(request)
        reason = self._forbidden_reason(user, division, endpoint)
        if reason is not None:
            self._sandbox.limits.record_error(app.client_id, user.user_id, division, endpoint, 403)
            raise forbidden(reason, user.language)
        return RequestContext(
            user, app, division, user.language, request.method, endpoint, chain.chain_id,
            request.scope,
        )  # fmt: skip

    def _forbidden_reason(
        self, user: SandboxUser, division: int | None, endpoint: str
    ) -> str | None:
        if user.blocked:
            return "BlockedUser"
        if not user.active:
            return "InactiveUser"
        if division is None or endpoint.lower() in UNVALIDATED_DIVISION_ENDPOINTS:
            return None
        info = self._sandbox.divisions.get(division)
        if division not in user.divisions or info is None:
            return "NoDivisionAccess"
        return "DivisionBlocked" if info.blocking_status else None

    def _unauthorized(self, request: Request) -> SandboxHTTPError:
        headers = {"WWW-Authenticate": 'Bearer realm="Exact Online"'}
        if not self._sandbox.settings.html_401:
            return SandboxHTTPError(401, error_body("Unauthorized"), headers)
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        html = (
            "<html><head><title>Object moved</title></head><body>\r\n"
            f'<h2>Object moved to <a href="/docs/Login.aspx?ReturnUrl={target}">here</a>.</h2>\r\n'
            "</body></html>\r\n"
        )
        return SandboxHTTPError(401, html.encode(), headers, "text/html")

    # --- inspection and control ----------------------------------------------------------

    def revoke(self, username: str | None = None, client_id: str | None = None) -> int:
        """Kill the live chains of a user and/or app (all when both are None); returns how many."""
        users = None
        if username is not None:
            users = {u.user_id for u in self._sandbox.users.values() if u.username == username}
        return self.tokens.revoke(users, client_id)

    def chains(self) -> list[dict[str, Any]]:
        """Every token chain, oldest first, JSON-friendly (no token values)."""
        return self.tokens.chains()

    def token_calls(self, client_id: str, user_id: str, day: date | None = None) -> int:
        """Token-endpoint calls of this (app, user) on a UTC day (default: today)."""
        return self.tokens.token_calls(client_id, user_id, day)

    def _user(self, user_id: str) -> SandboxUser | None:
        return self._sandbox.users.get(user_id) or next(
            (u for u in self._sandbox.users.values() if u.user_id == user_id), None
        )


def forbidden(reason: str, language: str = "EN") -> SandboxHTTPError:
    """A 403 with Exact's ``Reason`` header."""
    text = "Geen toegang" if language == "NL" else "Forbidden"
    return SandboxHTTPError(403, error_body(f"{text}: {reason}"), {"Reason": reason})


def oauth_routes(sandbox: Sandbox) -> list[BaseRoute]:
    """``GET/POST /api/oauth2/auth`` (consent page) and ``POST /api/oauth2/token``."""
    from exact_sandbox.oauth_pages import routes

    return routes(sandbox)
