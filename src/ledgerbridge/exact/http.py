"""The transport to Exact's REST API: headers, pacing, status mapping and retries.

Contract of ``ExactHttp``:

- every call first checks the endpoint's error budget, then waits for a pacing slot;
- answers become exceptions in ``answers.error_for_response`` only (see ``errors`` for
  the tree); transport failures in ``answers.error_for_transport`` only, raised ``from``
  the cause;
- reads are retried on connection errors and 502/503/504 with jittered backoff, and on a
  500 that is not Exact's validation text (``answers.is_validation_answer``);
- writes are never resent once they may have reached Exact: a lost answer, any 5xx or an
  unreadable success raises ``ExactOutcomeUnknown`` so the caller looks the object up first
  (``adopt.ExactWriter`` does);
- 400/401/403/404 are never retried and are counted per endpoint;
- a 429 for the minute window waits until the reset it names, then retries (bounded),
  unless the wait is longer than ``pacing.sleeping_at_most`` allows: then it is raised;
- rate headers are reported to the pacer only for calls under a division: ``current/Me``
  answers with the window of whatever division Exact considers current, not ours;
- every answer that is not an error is told to ``on_success()`` (the connection's
  access problem is over);
- every 403 is told to ``on_forbidden(endpoint, error)`` before it is raised, so the
  connection's health can show user and division access problems;
- every call sent is counted in ``ledgerbridge_exact_calls_total`` by endpoint and status
  (``exact.metrics``), a retry again.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

import httpx

from ledgerbridge.exact.answers import Call, error_for_response, error_for_transport
from ledgerbridge.exact.error_budget import ErrorBudget
from ledgerbridge.exact.errors import (
    ExactAuthLost,
    ExactError,
    ExactForbidden,
    ExactOutcomeUnknown,
    ExactRateLimited,
    ExactTokenError,
    ExactUnavailable,
)
from ledgerbridge.exact.metrics import count_call
from ledgerbridge.exact.pacing import Pacer, may_sleep

API_PREFIX = "/api/v1/"
RETRYABLE_READ_STATUSES = frozenset({500, 502, 503, 504})
_QUERY_SAFE = "$,'():/"


class TokenProvider(Protocol):
    """Hands out a valid access token for the connection's host.

    ``access_token`` may refresh (single-flight) and may raise ``ExactAuthLost``.
    ``token_rejected`` is told when Exact answered 401 to the token it handed out.
    """

    def access_token(self) -> str: ...

    def token_rejected(self, reason: str) -> None: ...


@dataclass(frozen=True)
class RetryPolicy:
    """How reads are retried: ``read_attempts`` in total, ``delay(n)`` before retry n (0-based).

    The delay is half the capped exponential plus a random half ("equal jitter");
    inject ``random`` to make it exact in tests.
    """

    read_attempts: int = 4
    base_delay: float = 1.0
    max_delay: float = 30.0
    rate_limit_retries: int = 3
    random: Callable[[], float] = field(default=random.random)

    def delay(self, retry: int) -> float:
        ceiling = min(self.max_delay, self.base_delay * 2**retry)
        return ceiling / 2 + self.random() * ceiling / 2


class ExactHttp:
    """JSON over HTTP to ``{base_url}/api/v1/{path}`` with Exact's headers and error rules.

    ``path`` is relative to ``/api/v1/`` and includes the division, e.g.
    ``"123/financial/GLAccounts"`` or ``"current/Me"``. Thread-safe if its collaborators are.
    """

    def __init__(
        self,
        client: httpx.Client,
        base_url: str,
        tokens: TokenProvider,
        pacer: Pacer,
        budget: ErrorBudget,
        *,
        now: Callable[[], datetime],
        sleep: Callable[[float], None],
        retry: RetryPolicy | None = None,
        on_forbidden: Callable[[str, ExactForbidden], None] | None = None,
        on_success: Callable[[], None] | None = None,
    ) -> None:
        self.client, self.base_url = client, base_url.rstrip("/")
        self.tokens, self.pacer, self.budget = tokens, pacer, budget
        self._now, self._sleep = now, sleep
        self.retry = retry or RetryPolicy()
        self.on_forbidden = on_forbidden
        self.on_success = on_success

    def get(self, path: str, params: Mapping[str, object] | None = None) -> dict[str, Any]:
        """GET a resource; the decoded JSON object. Retried per the policy."""
        return self._json(self._send("GET", self._url(path, params)))

    def get_url(self, absolute_url: str) -> dict[str, Any]:
        """GET an absolute URL Exact handed out (``__next``), verbatim; same host only."""
        if urlsplit(absolute_url).netloc != urlsplit(self.base_url).netloc:
            raise ExactError(f"refusing to follow a link to another host: {absolute_url}")
        return self._json(self._send("GET", absolute_url))

    def post(self, path: str, json: Mapping[str, Any]) -> dict[str, Any]:
        """POST (create); the created entity's JSON. Never resent once possibly received.

        A success without a readable body raises ``ExactOutcomeUnknown``: the record exists
        but we do not know it, so the caller must look it up rather than post again.
        """
        response = self._send("POST", self._url(path), body=json)
        try:
            return self._json(response)
        except ExactError as exc:
            raise ExactOutcomeUnknown(f"Exact accepted a write but: {exc}") from exc

    def put(self, path: str, json: Mapping[str, Any]) -> None:
        """PUT (update, 204). Never resent once possibly received."""
        self._send("PUT", self._url(path), body=json)

    def delete(self, path: str) -> None:
        """DELETE (204). Never resent once possibly received."""
        self._send("DELETE", self._url(path))

    def _url(self, path: str, params: Mapping[str, object] | None = None) -> str:
        url = f"{self.base_url}{API_PREFIX}{path.lstrip('/')}"
        if params:
            pairs = (f"{k}={quote(str(v), safe=_QUERY_SAFE)}" for k, v in params.items())
            url = f"{url}?{'&'.join(pairs)}"
        return url

    def _send(self, method: str, url: str, body: Mapping[str, Any] | None = None) -> httpx.Response:
        retries = waits = 0
        while True:
            try:
                return self._attempt(method, url, body)
            except ExactRateLimited as exc:
                wait = max((exc.retry_at - self._now()).total_seconds(), 0.0)
                if exc.window != "minute" or waits >= self.retry.rate_limit_retries:
                    raise
                if not may_sleep(wait):  # the job gives its worker back instead
                    raise
                waits += 1
                self._sleep(wait)
            except ExactUnavailable as exc:
                if not self._may_retry(method, exc, retries):
                    raise
                self._sleep(self.retry.delay(retries))
                retries += 1

    def _may_retry(self, method: str, exc: ExactUnavailable, retries: int) -> bool:
        return (
            method == "GET"
            and not isinstance(exc, ExactTokenError)
            and (exc.status is None or exc.status in RETRYABLE_READ_STATUSES)
            and retries + 1 < self.retry.read_attempts
        )

    def _attempt(self, method: str, url: str, body: Mapping[str, Any] | None) -> httpx.Response:
        endpoint = endpoint_of(url)
        self.budget.check(endpoint, self._now())
        self.pacer.wait()
        headers = self._headers(method, body is not None)
        content = None if body is None else json.dumps(_jsonable(body))
        call: Call = "read" if method == "GET" else "write"
        try:
            response = self.client.request(method, url, headers=headers, content=content)
        except httpx.TransportError as exc:
            count_call(endpoint, None)
            raise error_for_transport(exc, call=call) from exc
        count_call(endpoint, response.status_code)
        if division_of(endpoint) is not None:
            self.pacer.observe(response.headers)
        self.budget.record(endpoint, response.status_code, self._now())
        error = error_for_response(response, call=call, now=self._now())
        if isinstance(error, ExactAuthLost):
            self.tokens.token_rejected(error.reason)
        if isinstance(error, ExactForbidden) and self.on_forbidden is not None:
            self.on_forbidden(endpoint, error)
        if error is not None:
            raise error
        if self.on_success is not None:
            self.on_success()
        return response

    def _headers(self, method: str, has_body: bool) -> dict[str, str]:
        headers = {
            "Accept": "application/json",
            "Authorization": f"Bearer {self.tokens.access_token()}",
        }
        if has_body:
            headers["Content-Type"] = "application/json"
        if method == "POST":
            headers["Prefer"] = "return=representation"
        return headers

    @staticmethod
    def _json(response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError as exc:
            raise ExactError(f"Exact answered {response.status_code} without JSON") from exc
        if not isinstance(body, dict):
            raise ExactError(f"Exact answered {response.status_code} with a non-object body")
        return body


_ENTITY_KEY = re.compile(r"\([^)]*\)")


def endpoint_of(url: str) -> str:
    """The endpoint an error budget counts against: path below /api/v1/, no keys, no query.

    ``…/api/v1/123/purchaseentry/PurchaseEntries(guid'…')?x`` becomes
    ``123/purchaseentry/PurchaseEntries``.
    """
    path = urlsplit(url).path
    if API_PREFIX in path:
        path = path.split(API_PREFIX, 1)[1]
    return _ENTITY_KEY.sub("", path).strip("/")


def division_of(endpoint: str) -> int | None:
    """The division an endpoint (``endpoint_of``) is called under; None for ``current/…``."""
    first = endpoint.split("/", 1)[0]
    return int(first) if first.isdigit() else None


def _jsonable(value: Any) -> Any:
    # Exact's amounts are Edm.Double: a Decimal with cents becomes the float whose shortest
    # repr is exactly that decimal text, so nothing is lost on the wire.
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        instant = value.astimezone(UTC) if value.tzinfo else value
        return instant.replace(tzinfo=None).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value
