"""The OAuth2 endpoints over HTTP: Exact's consent page and token endpoint.

``GET /api/oauth2/auth`` shows a login-and-approve page (or, with a remembered
browser session and no ``force_login=1``, only the approve button);
``POST /api/oauth2/auth`` handles that form and redirects to the registered
``redirect_uri`` with ``?code=<URL-encoded code>&state=…`` (or
``error=access_denied`` when the user declines); with ``response_type=token``
(implicit grant) the access token comes in the fragment instead. ``POST /api/oauth2/token`` takes
``application/x-www-form-urlencoded`` bodies; client credentials may also come
as HTTP Basic. The rules themselves live in ``auth.AuthService``.
"""

from __future__ import annotations

import base64
import json
from html import escape
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from exact_sandbox.auth import ConsentRefused
from exact_sandbox.core import SandboxHTTPError, SandboxUser

if TYPE_CHECKING:
    from exact_sandbox.core import Sandbox

SESSION_COOKIE = "ExactSandboxSession"
_PARAMS = ("client_id", "redirect_uri", "response_type", "state", "force_login")


def routes(sandbox: Sandbox) -> list[BaseRoute]:
    """The three OAuth routes bound to ``sandbox``."""

    async def show(request: Request) -> Response:
        return _consent(sandbox, dict(request.query_params), request.cookies.get(SESSION_COOKIE))

    async def submit(request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        return _submit(sandbox, form, request.cookies.get(SESSION_COOKIE))

    async def token(request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        form.update(_basic_credentials(request.headers.get("authorization", "")))
        try:
            answer = sandbox.auth.token(form)
        except SandboxHTTPError as error:  # a TokenError, or an error-budget block
            return Response(error.body, error.status, error.headers, error.media_type)
        headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
        return Response(json.dumps(answer), 200, headers, "application/json")

    return [
        Route("/api/oauth2/auth", show, methods=["GET"]),
        Route("/api/oauth2/auth", submit, methods=["POST"]),
        Route("/api/oauth2/token", token, methods=["POST"]),
    ]


def _consent(sandbox: Sandbox, params: dict[str, str], sid: str | None) -> Response:
    try:
        app = sandbox.auth.app_for(params.get("client_id", ""), params.get("redirect_uri", ""))
    except ConsentRefused as refused:
        return _page("Cannot continue", f"<p class=error>{escape(str(refused))}</p>", 400)
    if params.get("response_type", "code") not in ("code", "token"):
        return _redirect(params, error="unsupported_response_type")
    user = None if params.get("force_login") == "1" else sandbox.auth.session_user(sid)
    return _form(app.name, params, user)


def _submit(sandbox: Sandbox, form: dict[str, str], sid: str | None) -> Response:
    params = {name: form.get(name, "") for name in _PARAMS}
    try:
        app = sandbox.auth.app_for(params["client_id"], params["redirect_uri"])
    except ConsentRefused as refused:
        return _page("Cannot continue", f"<p class=error>{escape(str(refused))}</p>", 400)
    if form.get("action") != "allow":
        return _redirect(params, error="access_denied")
    user = None if params["force_login"] == "1" else sandbox.auth.session_user(sid)
    try:
        user = user or sandbox.auth.log_in(form.get("username", ""), form.get("password", ""))
    except ConsentRefused as refused:
        return _form(app.name, params, None, error=str(refused))
    if params["response_type"] == "token":
        tokens = sandbox.auth.implicit(user, app.client_id, params["redirect_uri"])
        response = _redirect(params, fragment=True, **tokens)
    else:
        code = sandbox.auth.issue_code(user, app.client_id, params["redirect_uri"])
        response = _redirect(params, code=code)
    response.set_cookie(SESSION_COOKIE, sandbox.auth.open_session(user), httponly=True)
    return response


def _redirect(params: dict[str, str], *, fragment: bool = False, **answer: str) -> RedirectResponse:
    """Back to the app, the answer in the query (or, implicit grant, the fragment).

    Values are URL-encoded, so a code's ``!`` arrives as ``%21``.
    """
    query = dict(answer)
    if params.get("state"):
        query["state"] = params["state"]
    uri = params["redirect_uri"]
    separator = "#" if fragment else "&" if "?" in uri else "?"
    return RedirectResponse(f"{uri}{separator}{urlencode(query, safe='')}", status_code=302)


def _form(
    app_name: str, params: dict[str, str], user: SandboxUser | None, error: str | None = None
) -> HTMLResponse:
    hidden = "".join(
        f'<input type=hidden name="{name}" value="{escape(params.get(name) or "")}">'
        for name in _PARAMS
    )
    if user is None:
        who = (
            '<label>Username <input name="username" autocomplete="username"></label>'
            '<label>Password <input name="password" type="password"></label>'
        )
    else:
        who = f"<p>Signed in as <b>{escape(user.full_name)}</b> ({escape(user.username)}).</p>"
    problem = f"<p class=error>{escape(error)}</p>" if error else ""
    body = (
        f"<p><b>{escape(app_name)}</b> asks for access to your Exact Online data.</p>{problem}"
        f'<form method="post" action="">{hidden}{who}'
        '<button name="action" value="allow">Allow access</button> '
        '<button name="action" value="deny">Deny</button></form>'
    )
    return _page("Exact Online (sandbox) — sign in", body, 200)


def _page(title: str, body: str, status: int) -> HTMLResponse:
    style = (
        "body{font-family:sans-serif;max-width:28em;margin:3em auto}"
        "label{display:block;margin:.5em 0}.error{color:#b00}"
    )
    html = (
        f"<!doctype html><html><head><meta charset=utf-8><title>{escape(title)}</title>"
        f"<style>{style}</style></head><body><h1>{escape(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(html, status)


def _basic_credentials(authorization: str) -> dict[str, str]:
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "basic":
        return {}
    try:
        client_id, _, secret = base64.b64decode(value).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return {}
    return {"client_id": unquote(client_id), "client_secret": unquote(secret)}
