"""How Exact's answers become errors: the one status → exception mapping of the client.

``error_for_response`` is the only function that turns an HTTP answer into an
exception, for the REST API (``call`` "read"/"write") and for the OAuth token
endpoint (``call`` "token"); ``error_for_transport`` is the only one for network
failures. The token endpoint speaks OAuth 2 (RFC 6749 ``error``/``error_description``,
a refresh token that may come back with an error), and there a 400 or 401 means a
dead refresh chain rather than a request to fix, so its vocabulary has its own
branch — but the decision is taken in one place. See ``errors`` for the tree.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

import httpx

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
    TokenCallsExhausted,
    TokenChainLost,
    TokenEndpointUnavailable,
    TooEarlyToRefresh,
)
from ledgerbridge.exact.pacing import RateHeaders, next_midnight, next_minute

Call = Literal["read", "write", "token"]
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def error_for_response(response: httpx.Response, *, call: Call, now: datetime) -> ExactError | None:
    """The exception an answer means (``None`` for success); see the module docstring."""
    status = response.status_code
    if call == "token":
        return None if status == 200 else _token_endpoint_error(response, now)
    if status < 300:
        return None
    message, language = exact_error_message(response)
    if status == 401:
        # Exact's JSON error or (as seen in the wild, §1.6) its HTML "Object moved"
        # login redirect page: the same answer either way.
        if not message and _is_login_page(response):
            message = "Exact answered with its login page"
        return ExactAuthLost(message or "Exact rejected the access token")
    if status == 403:
        return ExactForbidden(response.headers.get("Reason", "Forbidden"), message)
    if status == 404:
        return ExactNotFound(message or f"not found: {response.request.url.path}")
    if status == 429:
        return rate_limited(RateHeaders.parse(response.headers), now)
    if status < 400:
        location = response.headers.get("Location", "")
        if "login" in location.lower() or _is_login_page(response):
            return ExactAuthLost("Exact redirected to its login page", status=status)
        return ExactError(f"unexpected redirect {status} to {location}", status=status)
    if status < 500:
        return ExactRejected(message or f"HTTP {status}", language, status)
    if call == "write":
        # EXACT_API.md §2.6: a 500 is often a validation failure, but may also be a fault
        # after the write committed; only a lookup by our reference can tell.
        rejection = (
            ExactRejected(message, language, status)
            if is_validation_answer(status, message)
            else None
        )
        detail = f": {message}" if message else ""
        return ExactOutcomeUnknown(
            f"Exact answered {status} to a write{detail}", status=status, rejection=rejection
        )
    if is_validation_answer(status, message):
        return ExactRejected(message, language, status)
    # A read changes nothing, so its 500 with no validation text ("An unexpected error
    # occurred.", an HTML page, a bare status) is Exact's fault: transient, retried.
    detail = f": {message}" if message else ""
    return ExactUnavailable(f"Exact answered {status}{detail}", status=status)


#: Texts of Exact's JSON error body that name a server fault, not a problem with our content.
_SERVER_FAULT_TEXTS = (
    "an unexpected error occurred",
    "er is een onverwachte fout opgetreden",
    "internal server error",
    "object reference not set",
    "timeout expired",
    "service unavailable",
    "deadlock",
)


def is_validation_answer(status: int, message: str) -> bool:
    """Whether a write's 5xx reads as Exact's validation refusal.

    Assumed (UNCONFIRMED, EXACT_API.md §2.6/§7.9): Exact's validation failures are 500s with
    its OData error JSON carrying the localized text (``message`` is only non-empty for that
    JSON body), while faults come as a gateway's HTML page (502/504), a bare status or a
    generic "unexpected error" text. We do not parse the text beyond this.
    """
    if status != 500 or not message:
        return False
    lowered = message.lower()
    return not any(text in lowered for text in _SERVER_FAULT_TEXTS)


def _is_login_page(response: httpx.Response) -> bool:
    """Exact's HTML login redirect ("Object moved … /docs/Login.aspx?ReturnUrl=…")."""
    if "html" not in response.headers.get("content-type", "").lower():
        return False
    return "login.aspx" in response.text.lower()


def error_for_transport(exc: httpx.TransportError, *, call: Call) -> ExactError:
    """The exception a network failure means (raise it ``from exc``).

    A token call whose answer was lost may or may not have spent the refresh token.
    """
    if call == "token":
        return TokenEndpointUnavailable(f"token endpoint unreachable: {exc!r}")
    if call == "write" and not isinstance(exc, _NOT_SENT):
        return ExactOutcomeUnknown(f"the answer to a write was lost: {exc!r}")
    return ExactUnavailable(f"Exact could not be reached: {exc!r}")


def _token_endpoint_error(response: httpx.Response, now: datetime) -> ExactTokenError:
    body = json_object(response)
    status = response.status_code
    code = str(body.get("error", "")).strip()
    description = str(body.get("error_description", "")).strip()
    returned = body.get("refresh_token")
    refresh_token = str(returned) if returned else None
    text = description or code or f"HTTP {status}"
    reason = response.headers.get("reason", "").lower()
    if reason == "tooearlytorefreshtokens" or "not expired" in f"{code} {description}".lower():
        return TooEarlyToRefresh(text, status=status, refresh_token=refresh_token)
    if reason == "toomanytokenrequests" or "token requests per day" in description.lower():
        # a 400 too, but the chain is fine: only today's token calls are used up
        return TokenCallsExhausted(
            text, next_midnight(now), status=status, refresh_token=refresh_token
        )
    if status >= 500:
        return TokenEndpointUnavailable(text, status=status, refresh_token=refresh_token)
    if status in (400, 401):
        # old refresh token used, refresh token expired, invalid_grant (revoked consent,
        # reused code), unauthorized_client: nothing but a new consent repairs these.
        return TokenChainLost(text, status=status, refresh_token=refresh_token)
    return ExactTokenError(text, status=status, refresh_token=refresh_token)


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
    body = json_object(response)
    error = body.get("error")
    if isinstance(error, dict):
        message = error.get("message")
        if isinstance(message, dict):
            return str(message.get("value") or "").strip(), str(message.get("lang") or "")
        return str(message or error.get("code") or "").strip(), ""
    if body.get("error_description"):
        return str(body["error_description"]).strip(), ""
    return "", ""


def json_object(response: httpx.Response) -> Mapping[str, Any]:
    """The body as a JSON object; empty when it is not one (HTML, empty, a list)."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
