"""The transport to Exact's REST API: headers, pacing, status mapping and retries.

Contract of ``ExactHttp``:

- every call first checks the endpoint's error budget, then waits for a pacing slot;
- answers become exceptions in ``error_for_response`` only (see ``errors`` for the tree);
  transport failures in ``error_for_transport`` only, raised ``from`` the cause;
- reads are retried on connection errors and 502/503/504 with jittered backoff;
- writes are never resent once they may have reached Exact: a lost answer raises
  ``ExactOutcomeUnknown`` so the caller looks the object up first;
- 400/401/403/404 are never retried and are counted per endpoint;
- a 429 for the minute window waits until the reset it names, then retries (bounded).
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

from ledgerbridge.exact.error_budget import ErrorBudget
from ledgerbridge.exact.errors import (
    ExactAuthLost,
    ExactError,
    ExactForbidden,
    ExactNotFound,
    ExactOutcomeUnknown,
    ExactRateLimited,
    ExactRejected,
    ExactTokenError,
    ExactUnavailable,
)
from ledgerbridge.exact.pacing import Pacer, RateHeaders, next_minute

API_PREFIX = "/api/v1/"
RETRYABLE_READ_STATUSES = frozenset({502, 503, 504})
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
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
    ) -> None:
        self.client, self.base_url = client, base_url.rstrip("/")
        self.tokens, self.pacer, self.budget = tokens, pacer, budget
        self._now, self._sleep = now, sleep
        self.retry = retry or RetryPolicy()

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
                if exc.window != "minute" or waits >= self.retry.rate_limit_retries:
                    raise
                waits += 1
                self._sleep(max((exc.retry_at - self._now()).total_seconds(), 0.0))
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
        try:
            response = self.client.request(method, url, headers=headers, content=content)
        except httpx.TransportError as exc:
            raise error_for_transport(exc, write=method != "GET") from exc
        self.pacer.observe(response.headers)
        self.budget.record(endpoint, response.status_code, self._now())
        error = error_for_response(response, write=method != "GET", now=self._now())
        if isinstance(error, ExactAuthLost):
            self.tokens.token_rejected(error.reason)
        if error is not None:
            raise error
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


def error_for_response(
    response: httpx.Response, *, write: bool, now: datetime
) -> ExactError | None:
    """The one place where Exact's HTTP answers become exceptions (``None`` for success)."""
    status = response.status_code
    if status < 300:
        return None
    message, language = exact_error_message(response)
    if status == 401:
        return ExactAuthLost(message or "Exact rejected the access token")
    if status == 403:
        return ExactForbidden(response.headers.get("Reason", "Forbidden"), message)
    if status == 404:
        return ExactNotFound(message or f"not found: {response.request.url.path}")
    if status == 429:
        return rate_limited(RateHeaders.parse(response.headers), now)
    if status < 400:
        location = response.headers.get("Location", "")
        if "login" in location.lower():
            return ExactAuthLost("Exact redirected to its login page", status=status)
        return ExactError(f"unexpected redirect {status} to {location}", status=status)
    if status < 500 or (status == 500 and message):
        return ExactRejected(message or f"HTTP {status}", language, status)
    if write:
        return ExactOutcomeUnknown(f"Exact answered {status} to a write", status=status)
    return ExactUnavailable(f"Exact answered {status}", status=status)


def error_for_transport(exc: httpx.TransportError, *, write: bool) -> ExactError:
    """The one place where network failures become exceptions (raise it ``from exc``)."""
    if write and not isinstance(exc, _NOT_SENT):
        return ExactOutcomeUnknown(f"the answer to a write was lost: {exc!r}")
    return ExactUnavailable(f"Exact could not be reached: {exc!r}")


def rate_limited(headers: RateHeaders, now: datetime) -> ExactRateLimited:
    """A 429 carries only the exhausted window's headers; without any, the next minute."""
    if headers.day_reset is not None and (
        headers.minute_reset is None or headers.day_remaining == 0
    ):
        return ExactRateLimited(headers.day_reset, "day")
    reset = headers.minute_reset or next_minute(now)
    return ExactRateLimited(max(reset, now), "minute")


def exact_error_message(response: httpx.Response) -> tuple[str, str]:
    """(message, language) from Exact's ``{"error": {"message": {"lang", "value"}}}``.

    Empty strings when the body is not Exact's error JSON (HTML login pages, empty 429s).
    """
    try:
        body = response.json()
    except ValueError:
        return "", ""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        message = error.get("message")
        if isinstance(message, dict):
            return str(message.get("value") or "").strip(), str(message.get("lang") or "")
        return str(message or error.get("code") or "").strip(), ""
    if isinstance(body, dict) and body.get("error_description"):
        return str(body["error_description"]).strip(), ""
    return "", ""


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
