"""The Exact token chain of one company's connection: a ``TokenProvider`` that never breaks it.

Rules (EXACT_API.md §1.3–1.5):

- A refresh happens only in the last 30 s of the access token's life and never
  within 570 s of its issue.
- Single-flight across threads, processes and machines: the refresh runs in its
  own short transaction holding ``SELECT … FOR UPDATE`` on the connection row.
  Inside the lock the stored tokens are read again; when another worker already
  refreshed, its access token is used and no token call is made.
- The new tokens are committed before the new access token is handed out, and a
  refresh token Exact returns with an error is stored too.
- A dead chain ("Old refresh token used", expired refresh token, revoked consent)
  turns the connection ``needs_reauth`` with Exact's reason; from then on no
  token call is made until someone connects again — never a loop.
- Token calls are counted per UTC day; at ``TOKEN_CALLS_PER_DAY`` no more are made.
  Each one made is also counted in today's calls by purpose (``token``) under the
  connection's app and division (division 0 before one is chosen).
- After a refresh that failed without killing the chain (token endpoint down, its
  daily cap at Exact), no token call is made before ``refresh_retry_at``: a failing
  token endpoint is never hammered (its errors count toward Exact's hourly block).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ledgerbridge.db.models.exact import ExactConnection
from ledgerbridge.db.repositories import connections
from ledgerbridge.db.repositories.calls import NO_DIVISION, add_call, call_key
from ledgerbridge.db.repositories.connections import StoredTokens, set_status, store_tokens
from ledgerbridge.domain.connection import ConnectionStatus
from ledgerbridge.domain.wording import N_
from ledgerbridge.exact.errors import (
    ExactAuthLost,
    ExactError,
    ExactRateLimited,
    ExactTokenError,
    ExactUnavailable,
    TokenChainLost,
    TooEarlyToRefresh,
)
from ledgerbridge.exact.oauth import TOKEN_CALLS_PER_DAY, refresh_tokens
from ledgerbridge.exact.pacing import next_midnight
from ledgerbridge.exact.purpose import Purpose
from ledgerbridge.services.ports import TokenCipher

REFRESH_WINDOW = timedelta(seconds=30)
MIN_TOKEN_AGE = timedelta(seconds=570)
TOO_EARLY_BACKOFF = timedelta(seconds=60)
FAILED_REFRESH_BACKOFF = timedelta(seconds=60)


def refresh_due(expires_at: datetime | None, issued_at: datetime | None, now: datetime) -> bool:
    """True when the access token is in its last 30 s (or gone) and at least 570 s old."""
    if expires_at is None:
        return True
    if now < expires_at - REFRESH_WINDOW:
        return False
    return issued_at is None or now >= issued_at + MIN_TOKEN_AGE


def count_token_call(row: ExactConnection, now: datetime) -> None:
    """Count one token-endpoint call; raises ``ExactRateLimited`` at the daily cap."""
    if not connections.count_token_call(row, now, TOKEN_CALLS_PER_DAY):
        raise ExactRateLimited(next_midnight(now), "day", status=None)


def count_in_calls_today(session: Session, row: ExactConnection, now: datetime) -> None:
    """Count one token-endpoint call in today's calls by purpose (``token``), under the
    connection's app and division (division 0 before one is chosen)."""
    division = NO_DIVISION if row.division is None else row.division
    add_call(session, call_key(row.client_id, division), now, Purpose.TOKEN)


@dataclass(frozen=True)
class AppCredentials:
    """What the token endpoint needs besides the refresh token."""

    client_secret: str
    http: httpx.Client


class ConnectionTokens:
    """``exact.http.TokenProvider`` for one company, backed by ``exact_connections``.

    Thread-safe; one instance may serve many threads, and any number of instances in
    any number of processes may serve the same company.
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        company_id: uuid.UUID,
        credentials: AppCredentials,
        cipher: TokenCipher,
        now: Callable[[], datetime],
    ) -> None:
        self._sessions = session_factory
        self.company_id = company_id
        self._credentials = credentials
        self._cipher = cipher
        self._now = now
        self._handed_out = threading.local()

    def access_token(self) -> str:
        """A usable access token, refreshing first when due.

        Raises ``ExactAuthLost`` (connection not usable: needs_reauth, disconnected, …),
        ``ExactUnavailable`` (token endpoint down, or a refused token that may only be
        replaced later) or ``ExactRateLimited`` (daily token-call cap reached).
        """
        now = self._now()
        with self._sessions() as session:
            row = self._row(session, lock=False)
            usable = self._usable(row, now)
        token = usable if usable is not None else self._refresh()
        self._handed_out.token = token
        return token

    def token_rejected(self, reason: str) -> None:
        """Exact answered 401 to the token handed out last in this thread.

        The stored token is marked expired (when it is still that token), so the next
        ``access_token`` refreshes once the 570 s rule allows; nothing is called here.
        When the token refused is one a refresh issued after an earlier refusal, that
        refresh did not help: the Exact session has ended (signed out, access revoked)
        and the connection becomes ``needs_reauth`` — one refresh attempt, never a loop.
        """
        given = getattr(self._handed_out, "token", None)
        with self._sessions.begin() as session:
            row = self._row(session, lock=True)
            current = self._decrypt(row.access_token_encrypted)
            if given is not None and current != given:
                return
            now = self._now()
            refused_before = row.access_rejected_at
            chain_alive = ConnectionStatus(row.status).holds_tokens
            if chain_alive and refused_before and (row.access_issued_at or now) > refused_before:
                set_status(
                    row,
                    ConnectionStatus.NEEDS_REAUTH,
                    N_(
                        "Exact refused the access token again after a refresh (%(reason)s): "
                        "the Exact Online session has ended; renew the connection",
                        reason=reason,
                    ),
                )
                return
            row.access_rejected_at = row.access_expires_at = now
            row.status_reason = N_("Exact refused the access token: %(reason)s", reason=reason)

    def _usable(self, row: ExactConnection, now: datetime) -> str | None:
        """The stored access token if it needs no refresh; None when a refresh is due."""
        self._require_connected(row)
        if refresh_due(row.access_expires_at, row.access_issued_at, now):
            return None
        if row.access_expires_at is not None and now >= row.access_expires_at:
            # Refused by Exact (token_rejected) but too young to be replaced yet.
            retry = (row.access_issued_at or now) + MIN_TOKEN_AGE
            raise ExactUnavailable(
                f"Exact refused the access token; a new one can be requested at {retry:%H:%M:%S}"
            )
        return self._decrypt(row.access_token_encrypted)

    def _refresh(self) -> str:
        """Refresh under the row lock, committing the outcome before returning or raising."""
        with self._sessions.begin() as session:
            row = self._row(session, lock=True)
            now = self._now()
            usable = self._usable(row, now)  # another worker may have refreshed meanwhile
            if usable is not None:
                return usable
            if row.refresh_retry_at is not None and now < row.refresh_retry_at:
                raise ExactUnavailable(
                    f"the last token refresh failed ({row.status_reason}); "
                    f"next try at {row.refresh_retry_at:%Y-%m-%d %H:%M:%S} UTC"
                )
            count_token_call(row, now)
            count_in_calls_today(session, row, now)
            outcome = self._spend_refresh_token(row, now)
        # The commit above happened before anyone uses the new access token.
        if isinstance(outcome, ExactError):
            raise outcome
        return outcome

    def _spend_refresh_token(self, row: ExactConnection, now: datetime) -> str | ExactError:
        """One token call; ``row`` takes the outcome (the caller commits). The access token
        to use, or the error to raise after the commit."""
        try:
            tokens = refresh_tokens(
                self._credentials.http,
                row.base_url,
                row.client_id,
                self._credentials.client_secret,
                self._decrypt(row.refresh_token_encrypted),
                now,
            )
        except TooEarlyToRefresh as error:
            # Exact's clock is behind ours: its token is still valid, so keep using it
            # and try again in a minute rather than hammering the token endpoint.
            self._keep_rotated(row, error, now)
            row.access_expires_at = now + TOO_EARLY_BACKOFF
            return self._decrypt(row.access_token_encrypted)
        except ExactTokenError as error:
            return self._record_failure(row, error, now)
        store_tokens(
            row,
            StoredTokens(
                self._cipher.encrypt(tokens.access_token),
                self._cipher.encrypt(tokens.refresh_token),
                tokens.expires_at,
                tokens.issued_at,
            ),
        )
        row.status_reason = None
        return tokens.access_token

    def _keep_rotated(self, row: ExactConnection, error: ExactTokenError, now: datetime) -> None:
        if error.refresh_token:
            # Even a failed refresh may rotate the chain: keep what Exact gave us.
            row.refresh_token_encrypted = self._cipher.encrypt(error.refresh_token)
            row.refresh_issued_at = now

    def _record_failure(
        self, row: ExactConnection, error: ExactTokenError, now: datetime
    ) -> ExactError:
        self._keep_rotated(row, error, now)
        if isinstance(error, TokenChainLost):
            set_status(row, ConnectionStatus.NEEDS_REAUTH, error.reason)
            return error
        row.status_reason = N_("token refresh failed: %(message)s", message=error.message)
        if isinstance(error, ExactRateLimited):
            row.refresh_retry_at = error.retry_at
            return error
        row.refresh_retry_at = now + FAILED_REFRESH_BACKOFF
        return error if isinstance(error, ExactUnavailable) else ExactUnavailable(error.message)

    def _row(self, session: Session, *, lock: bool) -> ExactConnection:
        query = select(ExactConnection).where(ExactConnection.company_id == self.company_id)
        if lock:
            query = query.with_for_update()
        row = session.execute(query).scalar_one_or_none()
        if row is None:
            raise ExactAuthLost("no Exact Online connection for this company")
        return row

    @staticmethod
    def _require_connected(row: ExactConnection) -> None:
        if not ConnectionStatus(row.status).holds_tokens or row.refresh_token_encrypted is None:
            reason = row.status_reason or f"the connection is {row.status}"
            raise ExactAuthLost(reason)

    def _decrypt(self, value: str | None) -> str:
        if value is None:
            raise ExactAuthLost("no tokens stored; connect to Exact Online again")
        return self._cipher.decrypt(value)
