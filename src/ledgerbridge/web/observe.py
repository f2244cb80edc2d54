"""What operators see of the web app: a request id on every request, and ``GET /metrics``.

``RequestId`` (a pure ASGI middleware) gives each HTTP request a log context
(``logs.begin``) with its id: the client's ``X-Request-ID`` when it is sane (1–128 of
letters, digits and ``-_.:``), else a new one; the answer carries it back in
``X-Request-ID``. The context is set, not reset: under uvicorn each request runs in its
own task, so the server's own lines about the request (its access line, an unhandled
error) carry the id too, and a request never sees another's.

``GET /metrics`` answers Prometheus' text format (``ledgerbridge.metrics``); with
``LEDGERBRIDGE_METRICS_TOKEN`` set, only to ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import re
import uuid

from fastapi import APIRouter, Request, Response
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ledgerbridge import logs
from ledgerbridge.metrics import CONTENT_TYPE, REFUSED, Metrics

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def request_id_of(sent: str | None) -> str:
    """The client's id when it is sane, else a new random one."""
    if sent is not None and _SANE_ID.fullmatch(sent):
        return sent
    return uuid.uuid4().hex


class RequestId:
    """See the module docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k == b"x-request-id"), None
        )
        request_id = request_id_of(sent)
        logs.begin(request_id=request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        await self.app(scope, receive, send_with_id)


router = APIRouter()


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Prometheus' scrape (see the module docstring)."""
    found: Metrics = request.app.state.metrics
    if not found.allows(request.headers.get("authorization")):
        return Response(
            REFUSED,
            status_code=401,
            media_type="text/plain",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    return Response(found.exposition(), media_type=CONTENT_TYPE)
