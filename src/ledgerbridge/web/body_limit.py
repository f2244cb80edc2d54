"""One cap on the size of every request body, enforced while the body streams.

A pure ASGI middleware (it never buffers): a ``Content-Length`` above the cap
is refused with 413 before the app sees the request; otherwise the bytes of
each ``http.request`` message are counted as the app reads them, and the
moment the count passes the cap the app's reading stops (the rest is never
received) and the answer is 413. Whatever the app tried to send after that
point is dropped, so a route that turns the failed read into its own error
(a form parser's 400) cannot hide the 413.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MB = 1_048_576


class BodyTooLarge(Exception):
    """Raised into the app's ``receive`` when the streamed body passes the cap."""


def _megabytes(size: int) -> str:
    return f"{size / MB:.1f} MB"


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(send: Send, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RequestSizeLimit:
    """Answer 413 to any HTTP request whose body is larger than ``max_bytes``."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = _megabytes(self.max_bytes)
        declared = _declared_length(scope)
        if declared is not None and declared > self.max_bytes:
            await _refuse(send, f"the request is {_megabytes(declared)}; the limit is {limit}")
            return

        received = 0
        exceeded = False
        started = False

        async def counted_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                raise BodyTooLarge
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                return  # the app's answer to a body it could not finish reading
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not exceeded:
                raise  # a failure of its own, not of the cut-off body
        if exceeded and not started:
            await _refuse(send, f"the request is over {limit}")
