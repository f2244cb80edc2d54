"""A synchronous httpx transport that runs the sandbox's ASGI app in-process.

Our Exact client is a sync ``httpx.Client``; ``httpx.ASGITransport`` is async
only. ``SandboxTransport`` runs the app on one private event loop in a daemon
thread and hands each request to it, so any number of threads may call through
one transport at once (the app sees concurrent requests, as over a network).

Injected connection faults (see ``faults``) surface exactly as on a network:
a reset as ``httpx.ConnectError``, a drop after the write as
``httpx.RemoteProtocolError``, a timeout after the write as
``httpx.ReadTimeout`` — raised at once, without waiting. Real latency longer
than the request's read timeout also ends in ``httpx.ReadTimeout``.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import httpx
from starlette.types import ASGIApp, Message

from exact_sandbox.faults import DROP_MARK, IN_PROCESS_MARK, ConnectionDropped

_FAILURES: dict[str, Callable[..., httpx.TransportError]] = {
    "reset": httpx.ConnectError,
    "drop": httpx.RemoteProtocolError,
    "timeout": httpx.ReadTimeout,
}


class SandboxTransport(httpx.BaseTransport):
    """``httpx.Client(transport=SandboxTransport(app), base_url="http://sandbox")``. Thread-safe."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        raise_app_exceptions: bool = True,
        client: tuple[str, int] = ("127.0.0.1", 50000),
    ) -> None:
        """``raise_app_exceptions=False`` answers a crash in the app with its 500 page instead
        of re-raising it in the caller (as ``httpx.ASGITransport`` does)."""
        self._app = app
        self._raise_app_exceptions = raise_app_exceptions
        self._client = client
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._finalizer: weakref.finalize[Any, SandboxTransport] | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        timeout = request.extensions.get("timeout", {}).get("read")
        future = asyncio.run_coroutine_threadsafe(self._call(request, body), self._running_loop())
        try:
            status, headers, content = future.result(timeout=timeout)
        except TimeoutError:
            future.cancel()
            raise httpx.ReadTimeout("sandbox did not answer in time", request=request) from None
        except ConnectionDropped as dropped:
            failure = _FAILURES.get(dropped.kind, httpx.RemoteProtocolError)
            raise failure(str(dropped), request=request) from dropped
        return httpx.Response(status, headers=headers, content=content, request=request)

    def close(self) -> None:
        """Stop the private event loop (idempotent); later requests start a new one."""
        with self._lock:
            finalizer, self._finalizer, self._loop = self._finalizer, None, None
        if finalizer is not None:
            finalizer()

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name="sandbox-transport", daemon=True
                )
                thread.start()
                self._loop = loop
                self._finalizer = weakref.finalize(self, _stop_loop, loop, thread)
            return self._loop

    async def _call(
        self, request: httpx.Request, body: bytes
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        scope = self._scope(request)
        received = False
        answer: dict[str, Any] = {"status": 500, "headers": [], "body": bytearray()}

        async def receive() -> Message:
            nonlocal received
            if received:
                await asyncio.Event().wait()  # the app waits for a disconnect that never comes
            received = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"], answer["headers"] = message["status"], message.get("headers", [])
            elif message["type"] == "http.response.body":
                answer["body"].extend(message.get("body", b""))

        try:
            await self._app(scope, receive, send)
        except ConnectionDropped:
            raise
        except Exception:
            if DROP_MARK in scope:
                raise ConnectionDropped(str(scope[DROP_MARK])) from None
            if self._raise_app_exceptions:
                raise
        if DROP_MARK in scope:
            raise ConnectionDropped(str(scope[DROP_MARK]))
        return answer["status"], answer["headers"], bytes(answer["body"])

    def _scope(self, request: httpx.Request) -> dict[str, Any]:
        url = request.url
        default_port = {"http": 80, "https": 443}[url.scheme]
        return {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": request.method,
            "scheme": url.scheme,
            "path": unquote(url.path),
            "raw_path": url.raw_path.split(b"?")[0],
            "query_string": url.query,
            "root_path": "",
            "headers": [(k.lower(), v) for k, v in request.headers.raw],
            "client": self._client,
            "server": (url.host, url.port or default_port),
            "extensions": {},
            IN_PROCESS_MARK: True,
        }


def _stop_loop(loop: asyncio.AbstractEventLoop, thread: threading.Thread) -> None:
    if loop.is_closed():
        return
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=5)
    if not thread.is_alive():
        loop.close()
