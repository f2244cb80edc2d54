"""Connection lifecycle use cases: connect, callback, division, renew, disconnect.

One Exact Online connection per company (the database enforces it). The flow:

1. ``start_connect`` stores a SHA-256 of (browser session id, random state) and
   returns Exact's authorize URL; the state names the company, so the callback
   finds its connection without looking at any other company's. ``renew`` is the
   same on an existing connection: division, settings, mappings and history stay.
2. ``complete_connect`` (the OAuth callback) finds the connection by that hash —
   a state from another browser session, an unknown or an expired state is
   refused — exchanges the code, stores the tokens (encrypted), reads
   ``current/Me`` and ``system/Divisions``. With exactly one division it is chosen
   at once; otherwise the user picks one with ``choose_division``.
3. Choosing a division stores it (used in every URL, never ``CurrentDivision``)
   and queues the job ``dimensions.full_sync(company_id=…)`` once that commits.
4. ``disconnect`` forgets the tokens and keeps the row (history, division); the
   company's webhook subscriptions are deleted at Exact first (``webhooks``, best
   effort) and always here.

With ``webhooks`` set, choosing a division (3.) also queues its webhook subscriptions.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta

from ledgerbridge.db.repositories.connections import ConnectionRecord, StoredTokens
from ledgerbridge.domain.connection import ConnectionStatus
from ledgerbridge.domain.wording import N_
from ledgerbridge.exact.errors import ExactRateLimited, ExactTokenError
from ledgerbridge.exact.models import Division, Me
from ledgerbridge.exact.oauth import TOKEN_CALLS_PER_DAY, TokenSet
from ledgerbridge.exact.pacing import next_midnight
from ledgerbridge.exact.purpose import Purpose
from ledgerbridge.services.errors import ConnectionNotReady, ConnectRefused
from ledgerbridge.services.ports import (
    Clock,
    ExactGateway,
    JobQueue,
    TokenCipher,
    UnitOfWork,
    UnitOfWorkFactory,
    WebhookHooks,
)

log = logging.getLogger(__name__)
STATE_LIFETIME = timedelta(minutes=15)
DIMENSIONS_FULL_SYNC = "dimensions.full_sync"


@dataclass(frozen=True)
class ConsentStart:
    """Where to send the browser, and what signing in may end elsewhere."""

    authorize_url: str
    warnings: list[str]


@dataclass(frozen=True)
class ConnectResult:
    """After the callback: who consented, which divisions they may use, which is chosen."""

    company_id: uuid.UUID
    exact_user_name: str
    divisions: list[Division]
    division: int | None


def _state_hash(session_id: str, state: str) -> str:
    return hashlib.sha256(f"{session_id}\x00{state}".encode()).hexdigest()


def division_lock(client_id: str, division: int) -> str:
    """The job lock that serialises all work for one Exact division."""
    return f"exact-division:{client_id}:{division}"


def division_of_lock(lock: str | None) -> int | None:
    """The division a ``division_lock`` names; None for any other lock (or none)."""
    if lock is None or not lock.startswith("exact-division:"):
        return None
    division = lock.rpartition(":")[2]
    return int(division) if division.isdigit() else None


def _company_of(state: str) -> uuid.UUID:
    company, _, _ = state.partition(".")
    try:
        return uuid.UUID(hex=company)
    except ValueError:
        raise ConnectRefused(
            N_("this sign-in does not match a connection started in this browser")
        ) from None


@dataclass(frozen=True)
class ConnectionService:
    """The connection lifecycle of any company; see the module docstring."""

    uow: UnitOfWorkFactory
    exact: ExactGateway
    jobs: JobQueue
    cipher: TokenCipher
    now: Clock
    webhooks: WebhookHooks | None = None

    def start_connect(
        self, company_id: uuid.UUID, session_id: str, visible: Collection[uuid.UUID] = ()
    ) -> ConsentStart:
        """Begin (or renew) the consent: the URL to send the browser to, and warnings.

        Creates the company's connection in status ``pending`` when there is none; an
        existing connection keeps its status, division and history until the callback.
        Exact keeps one connection per user and app, so signing in with an Exact user
        who already serves another company ends that company's connection: each such
        user is named in a warning before the consent. The other company is named only
        when it is in ``visible`` (the companies the caller may see), else "another company".
        """
        exact = self.exact
        state = f"{company_id.hex}.{secrets.token_urlsafe(24)}"
        with self.uow() as uow:
            found = uow.connections.begin_consent(
                company_id,
                region=exact.region,
                base_url=exact.base_url,
                client_id=exact.client_id,
                state_hash=_state_hash(session_id, state),
                at=self.now(),
            )
            others = uow.connections.others_of_app(company_id, found.client_id)
            warnings = [self._sharing_warning(uow, other, visible) for other in others]
            uow.commit()
        url = exact.authorize_url(found.base_url, found.client_id, state)
        return ConsentStart(url, [w for w in warnings if w])

    renew = start_connect

    @staticmethod
    def _sharing_warning(
        uow: UnitOfWork, other: ConnectionRecord, visible: Collection[uuid.UUID]
    ) -> str | None:
        company = uow.companies.get(other.company_id)
        if company is None or not other.exact_user_name:
            return None
        if company.id not in visible:
            return N_(
                "The Exact user %(user)s already serves another company here; signing in as "
                "that user ends that connection (Exact keeps one connection per user and app).",
                user=other.exact_user_name,
            )
        return N_(
            "The Exact user %(user)s already serves %(company)s; signing in as that user "
            "ends that connection (Exact keeps one connection per user and app).",
            user=other.exact_user_name,
            company=company.name,
        )

    def refuse_consent(self, session_id: str, state: str, error: str) -> None:
        """Exact sent the browser back with ``error`` (the user chose Deny, …): the state is
        spent, nothing else changes. Always raises ``ConnectRefused`` saying so."""
        company_id = _company_of(state)
        with self.uow() as uow:
            uow.connections.take_state(company_id, _state_hash(session_id, state))
            uow.commit()
        raise ConnectRefused(
            N_(
                "access was refused in Exact Online (%(error)s); nothing changed. "
                "Connect again and choose Allow to link the administration.",
                error=error,
            )
        )

    def complete_connect(self, session_id: str, code: str, state: str) -> ConnectResult:
        """Finish the consent for the connection whose state matches; see the module docstring.

        Raises ``ConnectRefused`` for a mismatched/expired state and the client's
        ``ExactError`` subclasses when Exact refuses the code or the calls.
        """
        company_id, reconnect = self._accept_tokens(session_id, code, state)
        me, divisions = self._user_and_divisions(company_id)
        name = me.full_name or me.user_name
        with self.uow() as uow:
            kept = uow.connections.set_user(
                company_id, me.user_id, name, {d.code for d in divisions}
            )
            self._end_shared_chains(uow, company_id, me.user_id, name)
            found = uow.connections.get(company_id)
            if reconnect and kept is not None and found is not None:
                # A connection made anew (first or after a disconnect) always pulls
                # Exact's dimensions, replacing local ones, also for a division kept.
                self._queue_full_sync(uow, company_id, found.client_id, kept)
            uow.commit()
        if kept is None and len(divisions) == 1:
            self.choose_division(company_id, divisions[0].code, divisions=divisions)
            kept = divisions[0].code
        return ConnectResult(company_id, name, divisions, kept)

    def _end_shared_chains(
        self, uow: UnitOfWork, company_id: uuid.UUID, exact_user_id: str, name: str
    ) -> None:
        found = uow.connections.get(company_id)
        company = uow.companies.get(company_id)
        if found is None or company is None:
            return
        reason = (
            f"The Exact user {name} connected {company.name}; Exact keeps one connection per "
            "user and app, so this one ended. Renew it with another Exact user."
        )
        for ended in uow.connections.end_chain_of_user(
            company_id, found.client_id, exact_user_id, reason
        ):
            log.warning("company %s lost its Exact connection to company %s", ended, company_id)

    def _queue_full_sync(
        self, uow: UnitOfWork, company_id: uuid.UUID, client_id: str, division: int
    ) -> None:
        self.jobs.defer_after_commit(
            uow,
            DIMENSIONS_FULL_SYNC,
            lock=division_lock(client_id, division),
            queueing_lock=f"{DIMENSIONS_FULL_SYNC}:{company_id}",
            company_id=str(company_id),
        )
        if self.webhooks is not None:
            self.webhooks.after_division(uow, company_id, client_id, division)

    def _accept_tokens(self, session_id: str, code: str, state: str) -> tuple[uuid.UUID, bool]:
        """The company whose consent this is, and whether it is connected anew (it was
        pending or disconnected) rather than renewed."""
        company_id = _company_of(state)
        now = self.now()
        with self.uow() as uow:
            found = uow.connections.take_state(company_id, _state_hash(session_id, state))
            if found is None:
                raise ConnectRefused(
                    N_("this sign-in does not match a connection started in this browser")
                )
            started = found.oauth_state_created_at
            if started is None or now - started > STATE_LIFETIME:
                uow.commit()
                raise ConnectRefused(N_("the sign-in took too long; start connecting again"))
            if not uow.connections.count_token_call(company_id, now, TOKEN_CALLS_PER_DAY):
                raise ExactRateLimited(next_midnight(now), "day", status=None)
            uow.calls.count(company_id, now, Purpose.TOKEN)
            try:
                tokens = self.exact.exchange_code(found.base_url, found.client_id, code)
            except ExactTokenError:
                uow.commit()  # the state is spent and the token call counted either way
                raise
            uow.connections.accept_tokens(company_id, self._sealed(tokens))
            uow.commit()
        anew = found.status in (ConnectionStatus.PENDING, ConnectionStatus.DISCONNECTED)
        return company_id, anew

    def _sealed(self, tokens: TokenSet) -> StoredTokens:
        return StoredTokens(
            self.cipher.encrypt(tokens.access_token),
            self.cipher.encrypt(tokens.refresh_token),
            tokens.expires_at,
            tokens.issued_at,
        )

    def _user_and_divisions(self, company_id: uuid.UUID) -> tuple[Me, list[Division]]:
        """current/Me, then system/Divisions (two calls).

        system/Divisions needs some division in its URL and Exact counts the call against
        that division's rate budget, so it is sent (and paced) under the user's current
        division.
        """
        me = self.exact.api_for_division(company_id, 0).me()
        current = me.current_division or 0
        return me, self.exact.api_for_division(company_id, current).divisions()

    def list_divisions(self, company_id: uuid.UUID) -> list[Division]:
        """The divisions the consenting user may use (one API call after current/Me)."""
        return self._user_and_divisions(company_id)[1]

    def choose_division(
        self, company_id: uuid.UUID, division: int, *, divisions: list[Division] | None = None
    ) -> Division:
        """Store ``division`` as the working administration and queue the full dimension sync.

        Raises ``ConnectionNotReady`` when the user has no access to it. Idempotent for the
        division already chosen (no second sync is queued).
        """
        available = divisions if divisions is not None else self.list_divisions(company_id)
        chosen = next((d for d in available if d.code == division), None)
        if chosen is None:
            raise ConnectionNotReady(
                N_(
                    "the Exact Online user has no access to division %(division)s",
                    division=division,
                )
            )
        with self.uow() as uow:
            found = uow.connections.get(company_id)
            if found is None:
                raise ConnectionNotReady(N_("this company is not connected to Exact Online"))
            if uow.connections.choose_division(company_id, division, chosen.description):
                self._queue_full_sync(uow, company_id, found.client_id, division)
            uow.commit()
        return chosen

    def disconnect(self, company_id: uuid.UUID) -> None:
        """Forget the tokens; keep the row, division and history. Idempotent.

        Webhook subscriptions are deleted at Exact while the tokens still work (failures
        only logged) and always here.
        """
        if self.webhooks is not None:
            self.webhooks.before_disconnect(company_id)
        with self.uow() as uow:
            uow.webhooks.remove_subscriptions(company_id)
            uow.connections.disconnect(company_id, "disconnected by a user")
            uow.commit()

    def rotate_token_encryption(self) -> int:
        """Re-encrypt every stored token with the newest key; returns the rows touched.

        Deliberately across all companies: the key belongs to the installation, not to a
        company. All or nothing: a token no key can read raises ``SecretUnreadable`` and
        nothing is changed.
        """
        with self.uow() as uow:
            touched = uow.connections.reencrypt_all(self.cipher.rotate)
            uow.commit()
        return touched

    def connected_companies(self) -> list[uuid.UUID]:
        """Every company whose connection holds tokens."""
        with self.uow() as uow:
            return [found.company_id for found in uow.connections.connected()]
