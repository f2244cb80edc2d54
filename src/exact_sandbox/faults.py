"""Injected faults: what the network and Exact do to a client on a bad day.

A ``FaultRule`` targets an endpoint and/or method (None = any) and fires on the
next ``count`` matching calls (None = unlimited), on a ``share`` of them, and/or
until an instant on the sandbox clock. Kinds:

- ``latency``: ``seconds`` of delay — sandbox time (a clock with ``advance``
  moves; nobody waits) or, with ``real=True`` or a plain wall clock, wall time
  spent asynchronously before the answer is sent;
- ``error``: answer ``status`` (500/502/503/504) before the handler runs (no write);
  500 with Exact's JSON error, 502/504 with an HTML page, 503 with an HTML maintenance
  page or, with the setting ``html_503`` off, Exact's JSON error (UNCONFIRMED, §2.6);
- ``storm``: answer 429 before the handler runs (minutely headers only);
- ``reset``: the connection is reset before the handler runs (no write);
- ``drop``: the handler runs and commits, then the connection drops without
  an answer; ``timeout``: the same, but the caller waits until it times out;
- ``write_then_error``: the handler runs and commits, then the caller gets
  ``status`` 502 (default) or 504 with a gateway's HTML page instead of the
  answer (a front end that gave up after Exact's backend committed).

How a connection failure reaches the caller: ``before`` raises
``ConnectionDropped`` (app.py lets it propagate), ``after`` returns a
``DroppedResponse``; both mark the ASGI scope. ``transport.SandboxTransport``
turns that into ``httpx.ConnectError`` (reset), ``httpx.RemoteProtocolError``
(drop) or ``httpx.ReadTimeout`` (timeout) without waiting; over real HTTP
(``serve``) the response headers are sent with a Content-Length and the socket
is closed before the body, or (timeout) held ``seconds`` of wall time first.
"""

from __future__ import annotations

import itertools
import random
import threading
from collections.abc import MutableMapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

import anyio
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from exact_sandbox.core import CallContext, SandboxHTTPError

if TYPE_CHECKING:
    from exact_sandbox.core import Sandbox

FaultKind = Literal["latency", "error", "storm", "reset", "drop", "timeout", "write_then_error"]
KINDS: tuple[str, ...] = (
    "latency", "error", "storm", "reset", "drop", "timeout", "write_then_error"
)  # fmt: skip
BEFORE_KINDS = frozenset({"latency", "error", "storm", "reset"})
AFTER_KINDS = frozenset({"drop", "timeout", "write_then_error"})
GATEWAY_STATUSES = {502: "Bad Gateway", 504: "Gateway Time-out"}
DROP_MARK = "exact_sandbox.drop"  # scope key: "reset" | "drop" | "timeout"
IN_PROCESS_MARK = "exact_sandbox.in_process"  # scope key set by SandboxTransport
DELAY_MARK = "exact_sandbox.delay"  # scope key: real seconds to wait before answering
DROP_STATUS_MARK = "exact_sandbox.drop_status"  # scope key: status line of a dropped answer


class ConnectionDropped(Exception):
    """The caller must see a broken connection, not an HTTP answer. ``kind`` as in DROP_MARK."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"sandbox fault: connection {kind}")
        self.kind = kind


@dataclass
class FaultRule:
    """One injected fault; see the module docstring for the fields' meaning."""

    id: int
    kind: FaultKind
    endpoint: str | None = None
    method: str | None = None
    count: int | None = None
    share: float = 1.0
    until: datetime | None = None
    status: int = 503
    seconds: float = 0.0
    real: bool = False
    hits: int = 0

    def matches(self, method: str, endpoint: str, now: datetime) -> bool:
        if self.until is not None and now >= self.until:
            return False
        if self.count is not None and self.hits >= self.count:
            return False
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.endpoint is None or self.endpoint.lower() == endpoint.lower()

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["until"] = self.until.isoformat() if self.until else None
        return data


class FaultInjector:
    """Holds the fault rules and applies them around each API call. Thread-safe."""

    def __init__(self, sandbox: Sandbox, seed: int = 20261125) -> None:
        self._sandbox = sandbox
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._random = random.Random(seed)
        self._rules: list[FaultRule] = []

    # --- configuring -----------------------------------------------------------------------

    def add(
        self,
        kind: FaultKind,
        *,
        endpoint: str | None = None,
        method: str | None = None,
        count: int | None = None,
        share: float = 1.0,
        duration: timedelta | float | None = None,
        status: int | None = None,
        seconds: float = 0.0,
        real: bool = False,
    ) -> FaultRule:
        """Add a rule; ``duration`` (seconds or timedelta of sandbox time) bounds it in time.

        ``status`` defaults to 503 for ``error`` and 502 for ``write_then_error``."""
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; choose one of {', '.join(KINDS)}")
        if status is None:
            status = 502 if kind == "write_then_error" else 503
        if kind == "error" and status not in (500, 502, 503, 504):
            raise ValueError("an injected error is a 5xx status (500, 502, 503 or 504)")
        if kind == "write_then_error" and status not in GATEWAY_STATUSES:
            raise ValueError("a write-then-error answers a gateway status (502 or 504)")
        if not 0.0 <= share <= 1.0:
            raise ValueError("share is a fraction between 0 and 1")
        until = None
        if duration is not None:
            span = duration if isinstance(duration, timedelta) else timedelta(seconds=duration)
            until = self._sandbox.clock.now() + span
        with self._lock:
            rule = FaultRule(
                next(self._ids), kind, endpoint, method, count, share, until, status, seconds, real
            )
            self._rules.append(rule)
        return rule

    def latency(self, seconds: float, *, real: bool = False, **target: Any) -> FaultRule:
        return self.add("latency", seconds=seconds, real=real, **target)

    def fail(self, status: int = 503, **target: Any) -> FaultRule:
        return self.add("error", status=status, **target)

    def storm(self, **target: Any) -> FaultRule:
        return self.add("storm", **target)

    def reset_connections(self, **target: Any) -> FaultRule:
        return self.add("reset", **target)

    def drop_after_commit(self, *, timeout: bool = False, **target: Any) -> FaultRule:
        """The write happens; the caller sees a dropped connection (or a read timeout).

        Over real HTTP a timeout holds the connection ``seconds`` of wall time (default
        10) before closing it: choose more than the client's read timeout.
        """
        target.setdefault("count", 1)
        target.setdefault("seconds", 10.0 if timeout else 0.0)
        return self.add("timeout" if timeout else "drop", **target)

    def rules(self) -> list[FaultRule]:
        """Rules that can still fire."""
        now = self._sandbox.clock.now()
        with self._lock:
            return [r for r in self._rules if r.matches(r.method or "", r.endpoint or "", now)]

    def remove(self, rule_id: int) -> bool:
        with self._lock:
            before = len(self._rules)
            self._rules = [r for r in self._rules if r.id != rule_id]
            return len(self._rules) < before

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    # --- applying --------------------------------------------------------------------------

    def before(self, ctx: CallContext, endpoint: str) -> None:
        """Before the handler: latency, 5xx, 429 storm or a reset (raises accordingly)."""
        for rule in self._fire(ctx, endpoint, BEFORE_KINDS):
            if rule.kind == "latency":
                self._delay(ctx, rule)
            elif rule.kind == "error":
                raise _server_error(rule.status, self._sandbox.settings.html_503)
            elif rule.kind == "storm":
                raise self._sandbox.limits.storm_error(ctx)
            else:
                _scope(ctx)[DROP_MARK] = "reset"
                raise ConnectionDropped("reset")

    def after(self, ctx: CallContext, endpoint: str, response: Response) -> Response:
        """After the handler (the write is committed): maybe replace the answer by a drop
        or a gateway's error page."""
        for rule in self._fire(ctx, endpoint, AFTER_KINDS):
            if rule.kind == "write_then_error":
                return gateway_page(rule.status)
            return DroppedResponse(rule.kind, rule.seconds, response.status_code)
        delay = float(_scope(ctx).get(DELAY_MARK, 0.0))
        return DelayedResponse(response, delay) if delay > 0 else response

    def _fire(self, ctx: CallContext, endpoint: str, kinds: frozenset[str]) -> list[FaultRule]:
        method, now = getattr(ctx, "method", ""), self._sandbox.clock.now()
        fired = []
        with self._lock:
            for rule in self._rules:
                if rule.kind not in kinds or not rule.matches(method, endpoint, now):
                    continue
                if rule.share >= 1.0 or self._random.random() < rule.share:
                    rule.hits += 1
                    fired.append(rule)
        return fired

    def _delay(self, ctx: CallContext, rule: FaultRule) -> None:
        advance = getattr(self._sandbox.clock, "advance", None)
        if rule.real or advance is None:
            scope = _scope(ctx)
            scope[DELAY_MARK] = float(scope.get(DELAY_MARK, 0.0)) + rule.seconds
        else:
            advance(rule.seconds)


class DroppedResponse(Response):
    """An answer that never arrives: headers promise a body, then the connection goes.

    The status line is the one the real answer had (201 for a create): the write
    happened, only the body is lost."""

    def __init__(self, kind: str, hold_seconds: float = 0.0, status: int = 200) -> None:
        super().__init__(status_code=status)
        self.kind = kind
        self.hold_seconds = hold_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[DROP_MARK] = self.kind
        scope[DROP_STATUS_MARK] = self.status_code
        if self.kind == "timeout" and not scope.get(IN_PROCESS_MARK):
            await anyio.sleep(self.hold_seconds)
        # A started response makes servers close the socket instead of answering 500.
        headers = [(b"content-type", b"application/json"), (b"content-length", b"1024")]
        start = {"type": "http.response.start", "status": self.status_code, "headers": headers}
        await send(start)
        raise ConnectionDropped(self.kind)


class DelayedResponse(Response):
    """``inner`` sent after ``seconds`` of wall time, without blocking the event loop."""

    def __init__(self, inner: Response, seconds: float) -> None:
        super().__init__(status_code=inner.status_code)
        self.inner = inner
        self.seconds = seconds
        self.raw_headers = inner.raw_headers
        self.body = inner.body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await anyio.sleep(self.seconds)
        await self.inner(scope, receive, send)


def gateway_page(status: int) -> Response:
    """What a front-end gateway answers when the backend did not (no Exact JSON body)."""
    title = f"{status} {GATEWAY_STATUSES[status]}"
    page = (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n</body>\r\n</html>\r\n"
    )
    return Response(page.encode(), status, media_type="text/html")


def _scope(ctx: CallContext) -> MutableMapping[str, Any]:
    scope: MutableMapping[str, Any] = getattr(ctx, "scope", None) or {}
    return scope


def _server_error(status: int, html_503: bool = True) -> SandboxHTTPError:
    """Exact's JSON for a 500; an HTML page for 502/504 and, with ``html_503``, for 503."""
    from exact_sandbox.messages import error_body

    if status == 500:
        return SandboxHTTPError(500, error_body("An unexpected error occurred."))
    if status == 503 and not html_503:
        return SandboxHTTPError(503, error_body("The service is temporarily unavailable."))
    html = f"<html><body><h1>{status} Service Unavailable</h1></body></html>"
    return SandboxHTTPError(status, html.encode(), {}, "text/html")
