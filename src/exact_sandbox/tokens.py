"""Exact Online's token rules (EXACT_API.md §1.2–§1.5): codes, rotating refresh-token chains.

All times are on the sandbox clock:

- an authorization code contains ``!``, is single-use and lives 180 s;
- an access token lives 600 s from issue; ``expires_in`` is the string "600";
- the refresh token rotates on every refresh; refreshing within 570 s of the
  access token's issue is refused (400 ``access_denied``, ``Reason:
  TooEarlyToRefreshTokens``) and leaves the chain intact;
- presenting a refresh token that was already rotated away answers 401
  ``unauthorized_client`` "Old refresh token used." and kills the whole chain
  (its access tokens too) until the user consents again;
- a refresh token unused for 30 days expires (400 ``invalid_request``);
- one live chain per (user, app): a new consent kills the previous chain;
- 200 token calls per app per user per UTC day (then 400 ``access_denied``,
  ``Reason: TooManyTokenRequests`` — Exact's exact answer is unconfirmed; with the setting
  ``token_cap_429`` a 429 with an empty body instead).

Errors that concern a known user carry ``TokenError.user_id`` so the caller can
count them toward that user's error budget.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from exact_sandbox.core import SandboxApp, SandboxHTTPError

CODE_LIFETIME = timedelta(minutes=3)
ACCESS_LIFETIME = timedelta(seconds=600)
TOO_EARLY = timedelta(seconds=570)
REFRESH_IDLE_LIFETIME = timedelta(days=30)
TOKEN_CALLS_PER_DAY = 200


@dataclass
class TokenChain:
    """One consent's refresh-token chain; ``dead`` says why it no longer works."""

    chain_id: str
    user_id: str
    client_id: str
    refresh_token: str
    refresh_issued_at: datetime
    access_issued_at: datetime
    old_refresh_tokens: set[str] = field(default_factory=set)
    dead: str | None = None


@dataclass
class AuthCode:
    code: str
    user_id: str
    client_id: str
    redirect_uri: str
    issued_at: datetime
    used: bool = False


class TokenError(SandboxHTTPError):
    """An OAuth error answer: ``{"error", "error_description"}``, maybe a ``Reason`` header."""

    def __init__(
        self,
        status: int,
        error: str,
        description: str,
        *,
        reason: str | None = None,
        user_id: str | None = None,
    ) -> None:
        body = json.dumps({"error": error, "error_description": description}).encode()
        super().__init__(status, body, {"Reason": reason} if reason else {}, "application/json")
        self.error = error
        self.description = description
        self.user_id = user_id  # whose error budget this answer counts against


class TokenIssuer:
    """Codes and token chains of one sandbox. Thread-safe; state lives in memory."""

    def __init__(
        self,
        now: Callable[[], datetime],
        apps: Callable[[], Mapping[str, SandboxApp]],
        gate: Callable[[str, str], None] = lambda client_id, user_id: None,
        cap_as_429: Callable[[], bool] = lambda: False,
    ) -> None:
        """``gate(client_id, user_id)`` may raise to refuse a token call (an error-budget block);
        ``cap_as_429()`` says whether the daily cap answers 429 (``token_cap_429``)."""
        self._now = now
        self._cap_as_429 = cap_as_429
        self._apps = apps
        self._gate = gate
        self._lock = threading.RLock()
        self._path: Path | None = None
        self.reset()

    def reset(self) -> None:
        """Forget every code, chain and token-call count."""
        with self._lock:
            self._codes: dict[str, AuthCode] = {}
            self._chains: dict[str, TokenChain] = {}
            self._by_refresh: dict[str, str] = {}
            self._access: dict[str, tuple[str, datetime]] = {}
            self._live: dict[tuple[str, str], str] = {}
            self._token_calls: dict[tuple[str, str, date], int] = {}
            self._save()

    def persist_to(self, path: Path) -> None:
        """Keep the chains in a JSON file so a restarted sandbox honours the tokens it issued.

        Loads ``path`` when it exists, then rewrites it (atomically, mode 0600) after
        every token call and revocation. Codes and token-call counts are not kept.
        """
        with self._lock:
            self._path = path
            if path.exists():
                self._load(json.loads(path.read_text()))
            self._save()

    def issue_code(self, user_id: str, client_id: str, redirect_uri: str) -> str:
        """A fresh single-use authorization code (raw, not URL-encoded; contains ``!``)."""
        code = f"stampNL001.{secrets.token_urlsafe(6)}!IAAAA{secrets.token_urlsafe(40)}"
        with self._lock:
            self._codes[code] = AuthCode(code, user_id, client_id, redirect_uri, self._now())
        return code

    def token(self, form: Mapping[str, str]) -> dict[str, str]:
        """Answer a token request (the posted form fields); raises ``TokenError``."""
        with self._lock:
            try:
                app = self._client(form.get("client_id", ""), form.get("client_secret", ""))
                grant = form.get("grant_type", "")
                if grant == "authorization_code":
                    return self._exchange_code(app, form)
                if grant == "refresh_token":
                    return self._refresh(app, form.get("refresh_token", ""))
                text = f"Unsupported grant type: {grant}"
                raise TokenError(400, "unsupported_grant_type", text)
            finally:
                self._save()

    def implicit(self, user_id: str, client_id: str) -> dict[str, str]:
        """The implicit grant's answer: a new chain's access token, no refresh token."""
        with self._lock:
            try:
                answer = self._new_chain(user_id, client_id)
            finally:
                self._save()
        return {k: v for k, v in answer.items() if k != "refresh_token"}

    def chain_for(self, access_token: str) -> tuple[TokenChain | None, bool]:
        """The chain an access token belongs to, and whether the token is valid right now."""
        with self._lock:
            chain_id, issued_at = self._access.get(access_token, ("", self._now()))
            chain = self._chains.get(chain_id)
        if chain is None:
            return None, False
        return chain, chain.dead is None and self._now() < issued_at + ACCESS_LIFETIME

    def revoke(self, user_ids: set[str] | None, client_id: str | None) -> int:
        """Kill live chains of these users (None: all) and app (None: all); returns how many."""
        with self._lock:
            killed = 0
            for chain in self._chains.values():
                if chain.dead is not None or (
                    user_ids is not None and chain.user_id not in user_ids
                ):
                    continue
                if client_id is None or chain.client_id == client_id:
                    chain.dead, killed = "revoked", killed + 1
            self._save()
            return killed

    def chains(self) -> list[dict[str, Any]]:
        """Every chain, oldest first, JSON-friendly (no token values)."""
        with self._lock:
            return [
                {
                    "chain_id": c.chain_id,
                    "user_id": c.user_id,
                    "client_id": c.client_id,
                    "alive": c.dead is None,
                    "dead_reason": c.dead,
                    "access_issued_at": c.access_issued_at.isoformat(),
                    "refresh_issued_at": c.refresh_issued_at.isoformat(),
                    "refreshes": len(c.old_refresh_tokens),
                }
                for c in self._chains.values()
            ]

    def token_calls(self, client_id: str, user_id: str, day: date | None = None) -> int:
        """Token-endpoint calls of this (app, user) on a UTC day (default: today)."""
        with self._lock:
            return self._token_calls.get((client_id, user_id, day or self._now().date()), 0)

    def _client(self, client_id: str, secret: str) -> SandboxApp:
        app = self._apps().get(client_id)
        if app is None or not secrets.compare_digest(app.client_secret, secret):
            raise TokenError(400, "invalid_client", "Client authentication failed.")
        return app

    def _exchange_code(self, app: SandboxApp, form: Mapping[str, str]) -> dict[str, str]:
        grant = self._codes.get(form.get("code", ""))
        if grant is None or grant.client_id != app.client_id:
            raise TokenError(400, "invalid_grant", "The authorization code is invalid.")
        self._count_token_call(app.client_id, grant.user_id)
        if grant.used or self._now() - grant.issued_at > CODE_LIFETIME:
            text = "The authorization code has been used or has expired."
            raise TokenError(400, "invalid_grant", text, user_id=grant.user_id)
        if form.get("redirect_uri", "") != grant.redirect_uri:
            text = "The redirect_uri does not match the one of the authorization request."
            raise TokenError(400, "invalid_grant", text, user_id=grant.user_id)
        grant.used = True
        return self._new_chain(grant.user_id, app.client_id)

    def _new_chain(self, user_id: str, client_id: str) -> dict[str, str]:
        previous = self._chains.get(self._live.get((user_id, client_id), ""))
        if previous is not None and previous.dead is None:
            previous.dead = "superseded by a new consent"
        now = self._now()
        chain = TokenChain(secrets.token_hex(8), user_id, client_id, _refresh_token(), now, now)
        self._chains[chain.chain_id] = chain
        self._live[(user_id, client_id)] = chain.chain_id
        self._by_refresh[chain.refresh_token] = chain.chain_id
        return self._answer(chain, now)

    def _refresh(self, app: SandboxApp, refresh_token: str) -> dict[str, str]:
        chain = self._chains.get(self._by_refresh.get(refresh_token, ""))
        if chain is None or chain.client_id != app.client_id:
            raise TokenError(400, "invalid_grant", "The refresh token is invalid.")
        self._count_token_call(app.client_id, chain.user_id)
        self._check_refresh(chain, refresh_token, self._now())
        chain.old_refresh_tokens.add(chain.refresh_token)
        chain.refresh_token, chain.refresh_issued_at = _refresh_token(), self._now()
        self._by_refresh[chain.refresh_token] = chain.chain_id
        return self._answer(chain, self._now())

    def _check_refresh(self, chain: TokenChain, refresh_token: str, now: datetime) -> None:
        user_id = chain.user_id
        if refresh_token != chain.refresh_token or chain.dead is not None:
            chain.dead = chain.dead or "old refresh token used"
            raise TokenError(401, "unauthorized_client", "Old refresh token used.", user_id=user_id)
        expires_at = chain.refresh_issued_at + REFRESH_IDLE_LIFETIME
        if now >= expires_at:
            chain.dead = "refresh token expired"
            text = f"The refresh token expired at {_ts(expires_at)} and it is now {_ts(now)}."
            raise TokenError(400, "invalid_request", text, user_id=user_id)
        if now - chain.access_issued_at < TOO_EARLY:
            text = "Rate limit exceeded: access_token not expired"
            reason = "TooEarlyToRefreshTokens"
            raise TokenError(400, "access_denied", text, reason=reason, user_id=user_id)

    def _answer(self, chain: TokenChain, now: datetime) -> dict[str, str]:
        self._forget_old(now)
        access = "gAAAAA" + secrets.token_urlsafe(60)
        self._access[access] = (chain.chain_id, now)
        chain.access_issued_at = now
        return {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": str(int(ACCESS_LIFETIME.total_seconds())),
            "refresh_token": chain.refresh_token,
        }

    def _forget_old(self, now: datetime) -> None:
        """Drop codes and access tokens long dead; an expired token is still known for a day
        so its 401s count against its (app, user)."""
        self._codes = {k: c for k, c in self._codes.items() if now - c.issued_at <= CODE_LIFETIME}
        keep_after = now - ACCESS_LIFETIME - timedelta(days=1)
        self._access = {t: grant for t, grant in self._access.items() if grant[1] > keep_after}

    def _count_token_call(self, client_id: str, user_id: str) -> None:
        self._gate(client_id, user_id)
        key = (client_id, user_id, self._now().date())
        self._token_calls[key] = calls = self._token_calls.get(key, 0) + 1
        if calls > TOKEN_CALLS_PER_DAY:
            if self._cap_as_429():
                raise SandboxHTTPError(429, b"", {}, None)
            text = "Rate limit exceeded: maximum number of token requests per day reached"
            reason = "TooManyTokenRequests"
            raise TokenError(400, "access_denied", text, reason=reason, user_id=user_id)

    def _save(self) -> None:
        if self._path is None:
            return
        live_after = self._now() - ACCESS_LIFETIME
        state = {
            "chains": [
                asdict(c) | {"old_refresh_tokens": sorted(c.old_refresh_tokens)}
                for c in self._chains.values()
            ],
            "access": {
                t: [c, i.isoformat()] for t, (c, i) in self._access.items() if i > live_after
            },
        }
        temporary = self._path.with_suffix(".tmp")
        temporary.write_text(json.dumps(state, default=datetime.isoformat))
        temporary.chmod(0o600)
        os.replace(temporary, self._path)

    def _load(self, state: dict[str, Any]) -> None:
        for raw in state.get("chains", []):
            chain = TokenChain(
                **raw
                | {
                    "refresh_issued_at": datetime.fromisoformat(raw["refresh_issued_at"]),
                    "access_issued_at": datetime.fromisoformat(raw["access_issued_at"]),
                    "old_refresh_tokens": set(raw["old_refresh_tokens"]),
                }
            )
            self._chains[chain.chain_id] = chain
            for token in chain.old_refresh_tokens | {chain.refresh_token}:
                self._by_refresh[token] = chain.chain_id
            if chain.dead is None:
                self._live[(chain.user_id, chain.client_id)] = chain.chain_id
        for token, (chain_id, issued) in state.get("access", {}).items():
            self._access[token] = (chain_id, datetime.fromisoformat(issued))


def _refresh_token() -> str:
    return f"Gcp7!IAAAA{secrets.token_urlsafe(48)}"


def _ts(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%d %H:%M:%SZ")
