"""OAuth 2 with Exact Online: the authorize URL, the code exchange and the refresh.

Exact issues 600-second access tokens and rotates the refresh token on every
refresh. These functions make exactly one token-endpoint call each and never
retry: a retried refresh with a spent refresh token kills the chain. Locking,
storage and the "not within 570 s of issue" rule belong to the caller.
Token-endpoint answers become errors in ``answers.error_for_response`` (``call="token"``),
the client's one status → exception mapping.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlencode

import httpx

from ledgerbridge.exact.answers import error_for_response, error_for_transport, json_object
from ledgerbridge.exact.errors import ExactTokenError
from ledgerbridge.exact.metrics import TOKEN_ENDPOINT, count_call

AUTHORIZE_PATH = "/api/oauth2/auth"
TOKEN_PATH = "/api/oauth2/token"


# Exact's cap on token-endpoint calls per app and user per day (EXACT_API.md §1).
TOKEN_CALLS_PER_DAY = 200


@dataclass(frozen=True, slots=True)
class TokenSet:
    """One answer of the token endpoint. Times are timezone-aware UTC."""

    access_token: str
    refresh_token: str
    expires_at: datetime
    issued_at: datetime

    def __repr__(self) -> str:  # tokens never end up in logs
        return f"TokenSet(expires_at={self.expires_at.isoformat()}, issued_at={self.issued_at})"


def authorize_url(
    base_url: str, client_id: str, redirect_uri: str, state: str, force_login: bool = False
) -> str:
    """The URL to send the user's browser to for consent (``response_type=code``)."""
    query = {
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "state": state,
    }
    if force_login:
        query["force_login"] = "1"
    return f"{base_url.rstrip('/')}{AUTHORIZE_PATH}?{urlencode(query)}"


def exchange_code(
    client: httpx.Client,
    base_url: str,
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    code: str,
    now: datetime,
) -> TokenSet:
    """Trade an authorization code (still URL-encoded or not) for a ``TokenSet``.

    Raises an ``ExactTokenError`` subclass; a reused or expired code is ``TokenChainLost``.
    """
    # Exact hands the code back URL-encoded (it contains '!'); decoding twice is harmless
    # because a decoded code has no '%'.
    form = {
        "grant_type": "authorization_code",
        "code": unquote(code) if "%" in code else code,
        "redirect_uri": redirect_uri,
        "client_id": client_id,
        "client_secret": client_secret,
    }
    return _token_call(client, base_url, form, now)


def refresh_tokens(
    client: httpx.Client,
    base_url: str,
    client_id: str,
    client_secret: str,
    refresh_token: str,
    now: datetime,
) -> TokenSet:
    """Spend ``refresh_token`` for a new ``TokenSet`` (one call, never retried).

    Raises ``TooEarlyToRefresh`` (keep using the current token), ``TokenChainLost`` (old,
    expired or revoked refresh token: consent again), ``TokenEndpointUnavailable`` (network or
    5xx: the refresh token may or may not be spent) or ``ExactTokenError``. Every error carries
    the refresh token Exact returned, if any, which the caller must persist.
    """
    form = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": client_id,
        "client_secret": client_secret,
    }
    return _token_call(client, base_url, form, now)


def _token_call(
    client: httpx.Client, base_url: str, form: Mapping[str, str], now: datetime
) -> TokenSet:
    url = f"{base_url.rstrip('/')}{TOKEN_PATH}"
    try:
        response = client.post(url, data=dict(form), headers={"Accept": "application/json"})
    except httpx.TransportError as exc:
        count_call(TOKEN_ENDPOINT, None)
        raise error_for_transport(exc, call="token") from exc
    count_call(TOKEN_ENDPOINT, response.status_code)
    error = error_for_response(response, call="token", now=now)
    if error is not None:
        raise error
    return _token_set(json_object(response), now)


def _token_set(body: Mapping[str, Any], now: datetime) -> TokenSet:
    try:
        access, refresh = str(body["access_token"]), str(body["refresh_token"])
        lifetime = int(str(body.get("expires_in", "600")).strip())  # a string at Exact
    except (KeyError, ValueError) as exc:
        raise ExactTokenError(
            f"token endpoint answered without usable tokens ({exc!r})",
            status=200,
            refresh_token=body.get("refresh_token") if isinstance(body, dict) else None,
        ) from exc
    if not access or not refresh:
        raise ExactTokenError("token endpoint answered with empty tokens", status=200)
    return TokenSet(access, refresh, now + timedelta(seconds=lifetime), now)
