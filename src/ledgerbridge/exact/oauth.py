"""OAuth 2 with Exact Online: the authorize URL, the code exchange and the refresh.

Exact issues 600-second access tokens and rotates the refresh token on every
refresh. These functions make exactly one token-endpoint call each and never
retry: a retried refresh with a spent refresh token kills the chain. Locking,
storage and the "not within 570 s of issue" rule belong to the caller.
Token-endpoint answers become errors in ``_token_error`` only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlencode

import httpx

from ledgerbridge.exact.errors import (
    ExactTokenError,
    TokenChainLost,
    TokenEndpointUnavailable,
    TooEarlyToRefresh,
)

AUTHORIZE_PATH = "/api/oauth2/auth"
TOKEN_PATH = "/api/oauth2/token"


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
        raise TokenEndpointUnavailable(f"token endpoint unreachable: {exc!r}") from exc
    body = _json_or_empty(response)
    if response.status_code != 200:
        raise _token_error(response.status_code, response.headers, body)
    return _token_set(body, now)


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


def _token_error(status: int, headers: httpx.Headers, body: Mapping[str, Any]) -> ExactTokenError:
    """The one place where token-endpoint answers become errors."""
    code = str(body.get("error", "")).strip()
    description = str(body.get("error_description", "")).strip()
    returned = body.get("refresh_token")
    refresh_token = str(returned) if returned else None
    text = description or code or f"HTTP {status}"
    lowered = f"{code} {description}".lower()
    if headers.get("reason", "").lower() == "tooearlytorefreshtokens" or "not expired" in lowered:
        return TooEarlyToRefresh(text, status=status, refresh_token=refresh_token)
    if status >= 500:
        return TokenEndpointUnavailable(text, status=status, refresh_token=refresh_token)
    if status in (400, 401):
        # old refresh token used, refresh token expired, invalid_grant (revoked consent,
        # reused code), unauthorized_client: nothing but a new consent repairs these.
        return TokenChainLost(text, status=status, refresh_token=refresh_token)
    return ExactTokenError(text, status=status, refresh_token=refresh_token)


def _json_or_empty(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
