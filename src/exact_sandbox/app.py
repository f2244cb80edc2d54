"""The sandbox as an ASGI app: Exact's REST API, OAuth routes and the control API.

Every call under ``/api/v1/…`` passes the access side in this order:
``sandbox.auth.authenticate`` → ``sandbox.limits.admit`` → ``sandbox.faults.before``
→ the handler → ``sandbox.limits.record`` → ``sandbox.faults.after``; a
``SandboxHTTPError`` from any of them becomes the response, and each call is
appended to ``sandbox.call_log``. JSON is only served to clients that accept
``application/json``; others get Atom XML (Exact's default) and
``Accept: application/xml`` alone is refused with 415, as WCF Data Services does.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from exact_sandbox import messages
from exact_sandbox.core import CallRecord, SandboxHTTPError
from exact_sandbox.handlers import ApiCall, ApiResult, handle
from exact_sandbox.odata import ODataError, integer, parse_guid
from exact_sandbox.render import atom_feed
from exact_sandbox.resources import Resource, lookup
from exact_sandbox.validation import BusinessError

if TYPE_CHECKING:
    from exact_sandbox.core import CallContext, Sandbox, SandboxSettings

_PATH = re.compile(
    r"^(?P<division>current|[0-9]+)/(?P<path>[^(]*?)(?:\((?P<key>[^)]*)\))?(?P<count>/\$count)?/?\Z"
)
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "MERGE"]


def create_sandbox_app(sandbox: Sandbox) -> Starlette:
    """The whole sandbox as one ASGI app (mount it anywhere; links honour the mount prefix)."""
    from exact_sandbox.auth import oauth_routes
    from exact_sandbox.control import control_routes

    async def api(request: Request) -> Response:
        return await _api_call(sandbox, request)

    api_route = Route("/api/v1/{rest:path}", api, methods=METHODS)
    # Starlette's path pattern stops at a newline (``%0A`` in a key); Exact's API still
    # answers such a URL itself, with its error body, not the framework's text 404.
    api_route.path_regex = re.compile(r"^/api/v1/(?P<rest>.*)$", re.DOTALL)
    routes: list[BaseRoute] = [*oauth_routes(sandbox), *control_routes(sandbox), api_route]
    app = Starlette(routes=routes)
    app.state.sandbox = sandbox
    return app


async def _api_call(sandbox: Sandbox, request: Request) -> Response:
    rest = request.path_params["rest"]
    match = _PATH.match(rest)
    resource = lookup(_resource_path(match)) if match else None
    endpoint = resource.path if resource else _endpoint_guess(rest)
    division = int(match["division"]) if match and match["division"].isdigit() else None
    status = 500
    try:
        _refuse_oversized(request.headers.get("content-length"), sandbox.settings)
        ctx = sandbox.auth.authenticate(request)
        sandbox.limits.admit(ctx, endpoint)
        sandbox.faults.before(ctx, endpoint)
        body = await request.body()
        _refuse_oversized(str(len(body)), sandbox.settings)
        response = _respond(sandbox, ctx, request, match, resource, body)
        status = response.status_code
        headers = sandbox.limits.record(ctx, endpoint, status, {})
        response.headers.update(headers)
        response = sandbox.faults.after(ctx, endpoint, response)
    except SandboxHTTPError as error:
        status = error.status
        response = Response(error.body, error.status, error.headers, error.media_type)
    finally:
        record = CallRecord(sandbox.clock.now(), request.method, division, endpoint, status)
        sandbox.call_log.append(record)
    return response


def _refuse_oversized(length: str | None, settings: SandboxSettings) -> None:
    """A request body over ``settings.request_max_bytes`` is refused by the web server in
    front of Exact's API (413, an HTML page, before authentication), not by the API."""
    size = integer(length, signed=False) if length is not None else None
    if size is None or size <= settings.request_max_bytes:
        return
    limit = settings.request_max_bytes / (1024 * 1024)
    html = (
        "<html><head><title>413 Request Entity Too Large</title></head><body>"
        f"<h1>Request Entity Too Large</h1><p>The request is larger than {limit:g} MB.</p>"
        "</body></html>"
    )
    raise SandboxHTTPError(413, html.encode(), {}, "text/html")


def _resource_path(match: re.Match[str]) -> str:
    prefix = "current/" if match["division"] == "current" else ""
    return prefix + match["path"].rstrip("/")


def _endpoint_guess(rest: str) -> str:
    parts = [p for p in re.sub(r"\(.*?\)", "", rest).split("/") if p and p != "$count"]
    return "/".join(parts[1:]) if parts and parts[0].isdigit() else "/".join(parts)


def _respond(
    sandbox: Sandbox,
    ctx: CallContext,
    request: Request,
    match: re.Match[str] | None,
    resource: Resource | None,
    body: bytes,
) -> Response:
    wants = _negotiate(request)
    if wants is None:
        return _error(415, "Unsupported media type requested.")
    try:
        if match is None or resource is None:
            raise LookupError(match["path"].rsplit("/", 1)[-1] if match else request.url.path)
        call = _call(sandbox, ctx, request, match, resource, body)
        result = handle(sandbox, call)
    except ODataError as error:
        return _error(error.status, error.message)
    except BusinessError as error:
        return _error(500, error.message)
    except LookupError as error:
        return _error(404, messages.not_found(str(error.args[0]) if error.args else ""))
    return _success(result, wants, str(request.url), sandbox)


def _negotiate(request: Request) -> str | None:
    """ "json", "atom", or None when the client only accepts something we cannot send."""
    accept = request.headers.get("accept", "").lower()
    if "json" in accept or request.query_params.get("$format") == "json":
        return "json"
    if not accept or "*/*" in accept or "atom" in accept:
        return "atom"
    return None


def _call(
    sandbox: Sandbox,
    ctx: CallContext,
    request: Request,
    match: re.Match[str],
    resource: Resource,
    body: bytes,
) -> ApiCall:
    division = ctx.division if ctx.division is not None else ctx.user.current_division
    site = str(request.url).split("/api/v1/")[0]
    sandbox.webhooks.site = site  # where webhook ExactOnlineEndpoint URLs point
    base = f"{site}/api/v1/" if match["division"] == "current" else f"{site}/api/v1/{division}/"
    key = _key(match["key"], resource) if match["key"] is not None else None
    return ApiCall(
        method=request.method,
        ctx=ctx,
        division=division,
        resource=resource,
        key=key,
        count=bool(match["count"]),
        params=dict(request.query_params),
        body=body,
        representation="return=representation" in request.headers.get("prefer", ""),
        base=base,
        url=f"{base}{resource.path}",
    )


def _key(raw: str, resource: Resource) -> Any:
    """The entity key from ``(guid'…')`` or ``(123)``; ODataError (400) when malformed."""
    if resource.key_type == "G":
        if not (raw.startswith("guid'") and raw.endswith("'")):
            raise ODataError(f"Bad Request - Error in query syntax: key '{raw}' is not a guid.")
        return parse_guid(raw[5:-1], raw, 0, raw)
    number = integer(raw)
    if number is not None:
        return number
    if raw.startswith("'") and raw.endswith("'"):
        return raw[1:-1]
    raise ODataError(f"Bad Request - Error in query syntax: key '{raw}' is not valid.")


def _error(status: int, message: str) -> Response:
    return Response(messages.error_body(message), status, media_type="application/json")


def _success(result: ApiResult, wants: str, url: str, sandbox: Sandbox) -> Response:
    headers = {k: v for k, v in result.headers.items() if k != "content-type"}
    if result.body is None:
        return Response(b"", result.status, headers)
    if isinstance(result.body, str):
        return Response(result.body, result.status, headers, media_type="text/plain")
    if wants == "atom":
        data = result.body["d"]
        entities = data.get("results", [data]) if isinstance(data, dict) else data
        feed = atom_feed("feed", url, entities, sandbox.clock.now())
        return Response(feed, result.status, headers, media_type="application/atom+xml")
    payload = json.dumps(result.body, separators=(",", ":"))
    return Response(payload, result.status, headers, media_type="application/json")
