"""A company's Exact Online connection row (``exact_connections``), one per company.

Every method takes the company and touches only its row, except the two marked
``installation_wide`` (key rotation and the periodic jobs that visit every
connected company), which the tenancy meta-test lists by name.

Status changes go through the domain state machine (``domain.connection.move``),
so no caller can store a move it forbids. The token columns are written here
(consent, disconnect, rotation) and by the token chain adapter
(``gateway.token_chain``), which refreshes under this row's lock.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from ledgerbridge.db.models.exact import ExactConnection
from ledgerbridge.db.repositories.errors import NotFound
from ledgerbridge.domain.connection import ConnectionState, ConnectionStatus, move

F = TypeVar("F", bound=Callable[..., object])
# A call that got through is noted at most this often (it is a write per API call otherwise).
SUCCESS_NOTE_INTERVAL = timedelta(seconds=30)


def installation_wide(method: F) -> F:
    """Marks a repository method that deliberately spans companies (see module docstring)."""
    method.installation_wide = True  # type: ignore[attr-defined]
    return method


@dataclass(frozen=True)
class ConnectionRecord:
    """The connection as plain values, safe outside the unit of work."""

    company_id: uuid.UUID
    region: str
    base_url: str
    client_id: str
    status: ConnectionStatus
    status_reason: str | None
    division: int | None
    division_name: str | None
    exact_user_id: str | None
    exact_user_name: str | None
    has_tokens: bool
    access_issued_at: datetime | None
    access_expires_at: datetime | None
    refresh_issued_at: datetime | None
    token_calls_day: datetime | None
    token_calls_count: int
    last_success_at: datetime | None
    access_problem: str | None
    access_problem_at: datetime | None
    oauth_state_hash: str | None
    oauth_state_created_at: datetime | None

    @property
    def state(self) -> ConnectionState:
        return ConnectionState(self.status, self.status_reason, self.division)


@dataclass(frozen=True)
class StoredTokens:
    """A token set as ciphertext, ready for the row."""

    access_encrypted: str
    refresh_encrypted: str
    expires_at: datetime
    issued_at: datetime


def record_of(row: ExactConnection) -> ConnectionRecord:
    return ConnectionRecord(
        company_id=row.company_id,
        region=row.region,
        base_url=row.base_url,
        client_id=row.client_id,
        status=ConnectionStatus(row.status),
        status_reason=row.status_reason,
        division=row.division,
        division_name=row.division_name,
        exact_user_id=row.exact_user_id,
        exact_user_name=row.exact_user_name,
        has_tokens=row.refresh_token_encrypted is not None,
        access_issued_at=row.access_issued_at,
        access_expires_at=row.access_expires_at,
        refresh_issued_at=row.refresh_issued_at,
        token_calls_day=row.token_calls_day,
        token_calls_count=row.token_calls_count,
        last_success_at=row.last_success_at,
        access_problem=row.access_problem,
        access_problem_at=row.access_problem_at,
        oauth_state_hash=row.oauth_state_hash,
        oauth_state_created_at=row.oauth_state_created_at,
    )


def set_status(row: ExactConnection, target: ConnectionStatus, reason: str | None) -> None:
    """Move ``row`` to ``target`` (checked by the state machine) with ``reason``."""
    row.status = move(ConnectionStatus(row.status), target).value
    row.status_reason = reason


def count_token_call(row: ExactConnection, now: datetime, cap: int) -> bool:
    """Count one token-endpoint call for today (UTC); False, and nothing counted, at ``cap``."""
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if row.token_calls_day != day:
        row.token_calls_day, row.token_calls_count = day, 0
    if row.token_calls_count >= cap:
        return False
    row.token_calls_count += 1
    return True


class ConnectionRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, company_id: uuid.UUID) -> ConnectionRecord | None:
        row = self._row(company_id)
        return None if row is None else record_of(row)

    def begin_consent(
        self,
        company_id: uuid.UUID,
        *,
        region: str,
        base_url: str,
        client_id: str,
        state_hash: str,
        at: datetime,
    ) -> ConnectionRecord:
        """Store a new consent's state; create the row (``pending``) when there is none.

        A pending or disconnected connection takes the installation's current Exact
        host and app; a live one keeps its own until the consent completes.
        """
        row = self._row(company_id, lock=True)
        if row is None:
            row = ExactConnection(
                company_id=company_id,
                status=ConnectionStatus.PENDING.value,
                token_calls_count=0,
            )
            self._session.add(row)
        status = ConnectionStatus(row.status)
        if status is ConnectionStatus.DISCONNECTED:
            set_status(row, ConnectionStatus.PENDING, None)
        if status in (ConnectionStatus.PENDING, ConnectionStatus.DISCONNECTED):
            row.region, row.base_url, row.client_id = region, base_url, client_id
        row.oauth_state_hash, row.oauth_state_created_at = state_hash, at
        self._session.flush()
        return record_of(row)

    def take_state(self, company_id: uuid.UUID, state_hash: str) -> ConnectionRecord | None:
        """The connection whose consent state is ``state_hash``, with the state spent
        (a state is single-use); None when it does not match."""
        row = self._row(company_id, lock=True)
        if row is None or row.oauth_state_hash is None or row.oauth_state_hash != state_hash:
            return None
        found = record_of(row)
        row.oauth_state_hash, row.oauth_state_created_at = None, None
        return found

    def count_token_call(self, company_id: uuid.UUID, now: datetime, cap: int) -> bool:
        """Count a token call for today; False (nothing counted) once ``cap`` is reached."""
        return count_token_call(self._require(company_id), now, cap)

    def accept_tokens(self, company_id: uuid.UUID, tokens: StoredTokens) -> None:
        """A completed consent: store the tokens, status ``connected``, problems judged afresh."""
        row = self._require(company_id)
        store_tokens(row, tokens)
        set_status(row, ConnectionStatus.CONNECTED, None)
        row.access_problem = row.access_problem_at = row.access_rejected_at = None

    def set_user(
        self, company_id: uuid.UUID, user_id: str, user_name: str, divisions: set[int]
    ) -> int | None:
        """Who consented; a chosen division the user cannot use is forgotten. The division kept."""
        row = self._require(company_id)
        row.exact_user_id, row.exact_user_name = user_id, user_name
        if row.division not in divisions:
            row.division, row.division_name = None, None
        return row.division

    def choose_division(self, company_id: uuid.UUID, division: int, name: str) -> bool:
        """Store the working division; True when it changed."""
        row = self._require(company_id)
        changed = row.division != division
        row.division, row.division_name = division, name
        return changed

    def disconnect(self, company_id: uuid.UUID, reason: str) -> bool:
        """Forget tokens and consent state; keep the row. False when there is no connection."""
        row = self._row(company_id, lock=True)
        if row is None:
            return False
        row.access_token_encrypted = row.refresh_token_encrypted = None
        row.access_expires_at = row.access_issued_at = row.refresh_issued_at = None
        row.refresh_retry_at = row.access_rejected_at = None
        row.oauth_state_hash = row.oauth_state_created_at = None
        row.access_problem = row.access_problem_at = None
        if row.status != ConnectionStatus.DISCONNECTED.value:
            set_status(row, ConnectionStatus.DISCONNECTED, reason)
        return True

    def needs_reauth(self, company_id: uuid.UUID, reason: str) -> None:
        """Exact ended the token chain: nothing is called until a person renews."""
        row = self._require(company_id)
        if ConnectionStatus(row.status).holds_tokens:
            set_status(row, ConnectionStatus.NEEDS_REAUTH, reason)

    def note_access_problem(
        self, company_id: uuid.UUID, problem: str, at: datetime, *, refused: bool
    ) -> None:
        """Exact answered 403 (``problem`` = "Reason: endpoint"). ``refused``: the Reason refuses
        the user, licence or administration, so the connection is in ``error``."""
        row = self._require(company_id)
        row.access_problem, row.access_problem_at = problem, at
        if refused and row.status == ConnectionStatus.CONNECTED.value:
            set_status(row, ConnectionStatus.ERROR, f"Exact refused access: {problem}")

    def note_success(self, company_id: uuid.UUID, at: datetime) -> None:
        """A call of this company got through: its access problem is over (``error`` →
        ``connected``). Written at most every ``SUCCESS_NOTE_INTERVAL`` while all is well."""
        table = ExactConnection
        self._session.execute(
            update(table)
            .where(table.company_id == company_id)
            .where(
                or_(
                    table.access_problem.is_not(None),
                    table.access_rejected_at.is_not(None),
                    table.status == ConnectionStatus.ERROR.value,
                    table.last_success_at.is_(None),
                    table.last_success_at < at - SUCCESS_NOTE_INTERVAL,
                )
            )
            .values(
                last_success_at=at,
                access_problem=None,
                access_problem_at=None,
                access_rejected_at=None,
            )
        )
        row = self._row(company_id)
        if row is not None and row.status == ConnectionStatus.ERROR.value:
            set_status(row, ConnectionStatus.CONNECTED, None)

    @installation_wide
    def connected(self) -> list[ConnectionRecord]:
        """Every connection holding tokens (keep-alive, periodic syncs), any company."""
        holding = [s.value for s in ConnectionStatus if s.holds_tokens]
        query = select(ExactConnection).where(ExactConnection.status.in_(holding))
        return [record_of(row) for row in self._session.scalars(query)]

    @installation_wide
    def others_of_app(self, company_id: uuid.UUID, client_id: str) -> list[ConnectionRecord]:
        """Other companies' connections through the same Exact app that hold tokens.

        Exact keeps one token chain per user and app: a consent by the same Exact user
        for ``company_id`` ends theirs.
        """
        holding = [s.value for s in ConnectionStatus if s.holds_tokens]
        query = (
            select(ExactConnection)
            .where(ExactConnection.client_id == client_id)
            .where(ExactConnection.company_id != company_id)
            .where(ExactConnection.status.in_(holding))
        )
        return [record_of(row) for row in self._session.scalars(query)]

    @installation_wide
    def end_chain_of_user(
        self, company_id: uuid.UUID, client_id: str, exact_user_id: str, reason: str
    ) -> list[uuid.UUID]:
        """``company_id``'s consent ended the chains of other companies connected by the
        same Exact user and app: they need re-authorisation with ``reason``. Their ids."""
        ended = []
        for found in self.others_of_app(company_id, client_id):
            if found.exact_user_id == exact_user_id:
                row = self._require(found.company_id)
                set_status(row, ConnectionStatus.NEEDS_REAUTH, reason)
                ended.append(found.company_id)
        return ended

    @installation_wide
    def reencrypt_all(self, rotate: Callable[[str], str]) -> int:
        """Apply ``rotate`` to every stored token of every company; the rows touched.

        The key belongs to the installation, not to a company."""
        rows = self._session.scalars(select(ExactConnection).with_for_update()).all()
        for row in rows:
            if row.access_token_encrypted:
                row.access_token_encrypted = rotate(row.access_token_encrypted)
            if row.refresh_token_encrypted:
                row.refresh_token_encrypted = rotate(row.refresh_token_encrypted)
        return len(rows)

    def _row(self, company_id: uuid.UUID, *, lock: bool = False) -> ExactConnection | None:
        query = select(ExactConnection).where(ExactConnection.company_id == company_id)
        if lock:
            query = query.with_for_update()
        return self._session.scalars(query).one_or_none()

    def _require(self, company_id: uuid.UUID) -> ExactConnection:
        row = self._row(company_id, lock=True)
        if row is None:
            raise NotFound("this company has no Exact Online connection")
        return row


def store_tokens(row: ExactConnection, tokens: StoredTokens) -> None:
    """Put a fresh (encrypted) token set on ``row``; the caller commits."""
    row.access_token_encrypted = tokens.access_encrypted
    row.refresh_token_encrypted = tokens.refresh_encrypted
    row.access_expires_at = tokens.expires_at
    row.access_issued_at = tokens.issued_at
    row.refresh_issued_at = tokens.issued_at
    row.refresh_retry_at = None
