"""Connection lifecycle use cases: connect, callback, division, status, renew, disconnect.

One Exact Online connection per company (the database enforces it). The flow:

1. ``start_connect`` stores a SHA-256 of (browser session id, random state) and
   returns Exact's authorize URL. ``renew`` is the same on an existing connection:
   division, settings, mappings and history stay.
2. ``complete_connect`` (the OAuth callback) finds the connection by that hash —
   a state from another browser session, an unknown or an expired state is
   refused — exchanges the code, stores the tokens (encrypted), reads
   ``current/Me`` and ``system/Divisions``. With exactly one division it is chosen
   at once; otherwise the user picks one with ``choose_division``.
3. Choosing a division stores it (used in every URL, never ``CurrentDivision``)
   and queues the procrastinate task ``dimensions.full_sync(company_id=…)`` after
   the commit — the hook the dimensions area builds on.
4. ``disconnect`` forgets the tokens and keeps the row (history, division).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from ledgerbridge.db.models.exact import ExactConnection
from ledgerbridge.exact.api import ExactApi
from ledgerbridge.exact.errors import ExactTokenError
from ledgerbridge.exact.hosts import base_url_for
from ledgerbridge.exact.models import Division, Me
from ledgerbridge.exact.oauth import authorize_url, exchange_code
from ledgerbridge.gateway.factory import (
    ConnectionInfo,
    ConnectionNotReady,
    app_credentials,
    cipher_for,
    client_secret,
    exact_http_for,
)
from ledgerbridge.gateway.token_chain import count_token_call, store_tokens
from ledgerbridge.jobs.app import defer, division_lock

if TYPE_CHECKING:
    from ledgerbridge.bootstrap import Container

log = logging.getLogger(__name__)
STATE_LIFETIME = timedelta(minutes=15)
DIMENSIONS_FULL_SYNC = "dimensions.full_sync"


class ConnectRefused(Exception):
    """The OAuth callback cannot be accepted (state mismatch, expired, unknown)."""


@dataclass(frozen=True)
class ConnectResult:
    """After the callback: who consented, which divisions they may use, which is chosen."""

    company_id: uuid.UUID
    exact_user_name: str
    divisions: list[Division]
    division: int | None


def _state_hash(session_id: str, state: str) -> str:
    return hashlib.sha256(f"{session_id}\x00{state}".encode()).hexdigest()


def exact_base_url(container: Container) -> str:
    """Where Exact lives for this installation: the region's host, a custom URL, or the
    sandbox mounted in this app."""
    settings = container.settings
    custom = settings.exact_base_url
    if settings.exact_region == "custom" and not custom:
        custom = f"{settings.public_url.rstrip('/')}/sandbox"
    return base_url_for(settings.exact_region, custom)


def redirect_url(container: Container) -> str:
    settings = container.settings
    default = f"{settings.public_url.rstrip('/')}/integrations/exact/callback"
    return settings.exact_redirect_url or default


def _client_id(container: Container) -> str:
    return app_credentials(container)[0]


def _find(session: Session, company_id: uuid.UUID, *, lock: bool = False) -> ExactConnection | None:
    query = session.query(ExactConnection).filter_by(company_id=company_id)
    return (query.with_for_update() if lock else query).one_or_none()


def start_connect(container: Container, company_id: uuid.UUID, session_id: str) -> str:
    """Begin (or renew) the consent; returns the URL to send the browser to.

    Creates the company's connection in status ``pending`` when there is none; an
    existing connection keeps its status, division and history until the callback.
    """
    client_id, base_url = _client_id(container), exact_base_url(container)
    state = secrets.token_urlsafe(24)
    with container.uow() as uow:
        row = _find(uow.session, company_id, lock=True)
        if row is None:
            row = ExactConnection(company_id=company_id, status="pending", token_calls_count=0)
            uow.session.add(row)
        if row.status in ("pending", "disconnected"):
            row.region, row.base_url, row.client_id = (
                container.settings.exact_region,
                base_url,
                client_id,
            )
        row.oauth_state_hash = _state_hash(session_id, state)
        row.oauth_state_created_at = container.now()
        uow.commit()
        return authorize_url(row.base_url, row.client_id, redirect_url(container), state)


renew = start_connect


def complete_connect(container: Container, session_id: str, code: str, state: str) -> ConnectResult:
    """Finish the consent for the connection whose state matches; see the module docstring.

    Raises ``ConnectRefused`` for a mismatched/expired state and the client's
    ``ExactError`` subclasses when Exact refuses the code or the calls.
    """
    company_id = _accept_tokens(container, session_id, code, state)
    me, divisions = _user_and_divisions(container, company_id)
    with container.uow() as uow:
        row = _find(uow.session, company_id, lock=True)
        assert row is not None
        row.exact_user_id, row.exact_user_name = me.user_id, me.full_name or me.user_name
        codes = {d.code for d in divisions}
        if row.division not in codes:
            row.division, row.division_name = None, None
        uow.commit()
        kept = row.division
    if kept is None and len(divisions) == 1:
        choose_division(container, company_id, divisions[0].code, divisions=divisions)
        kept = divisions[0].code
    return ConnectResult(company_id, me.full_name or me.user_name, divisions, kept)


def _accept_tokens(container: Container, session_id: str, code: str, state: str) -> uuid.UUID:
    now = container.now()
    with container.uow() as uow:
        row = (
            uow.session.query(ExactConnection)
            .filter_by(oauth_state_hash=_state_hash(session_id, state))
            .with_for_update()
            .one_or_none()
        )
        if row is None:
            raise ConnectRefused("this sign-in does not match a connection started in this browser")
        started = row.oauth_state_created_at
        row.oauth_state_hash, row.oauth_state_created_at = None, None
        if started is None or now - started > STATE_LIFETIME:
            uow.commit()
            raise ConnectRefused("the sign-in took too long; start connecting again")
        count_token_call(row, now)
        try:
            tokens = exchange_code(
                container.http,
                row.base_url,
                row.client_id,
                client_secret(container),
                redirect_url(container),
                code,
                now,
            )
        except ExactTokenError:
            uow.commit()  # the state is spent and the token call counted either way
            raise
        store_tokens(row, tokens, cipher_for(container))
        row.status, row.status_reason = "connected", None
        row.access_problem = row.access_problem_at = None  # a new consent: judge afresh
        uow.commit()
        return row.company_id


def _bootstrap_api(container: Container, company_id: uuid.UUID, division: int) -> ExactApi:
    """A client for ``division`` whether or not one is chosen (current/Me, system/Divisions)."""
    with container.uow() as uow:
        row = _find(uow.session, company_id)
        if row is None or row.status != "connected":
            raise ConnectionNotReady("connect this company to Exact Online first")
        info = ConnectionInfo(company_id, row.base_url, row.client_id, division, row.status)
    return ExactApi(exact_http_for(container, info), info.division)


def _user_and_divisions(container: Container, company_id: uuid.UUID) -> tuple[Me, list[Division]]:
    """current/Me, then system/Divisions (two calls).

    system/Divisions needs some division in its URL and Exact counts the call against that
    division's rate budget, so it is sent (and paced) under the user's current division.
    """
    me = _bootstrap_api(container, company_id, 0).me()
    current = me.current_division or 0
    return me, _bootstrap_api(container, company_id, current).divisions()


def list_divisions(container: Container, company_id: uuid.UUID) -> list[Division]:
    """The divisions the consenting user may use (one API call after current/Me)."""
    return _user_and_divisions(container, company_id)[1]


def choose_division(
    container: Container,
    company_id: uuid.UUID,
    division: int,
    *,
    divisions: list[Division] | None = None,
) -> Division:
    """Store ``division`` as the working administration and queue the full dimension sync.

    Raises ``ConnectionNotReady`` when the user has no access to it. Idempotent for the
    division already chosen (no second sync is queued).
    """
    available = divisions if divisions is not None else list_divisions(container, company_id)
    chosen = next((d for d in available if d.code == division), None)
    if chosen is None:
        raise ConnectionNotReady(f"the Exact Online user has no access to division {division}")
    with container.uow() as uow:
        row = _find(uow.session, company_id, lock=True)
        if row is None:
            raise ConnectionNotReady("this company is not connected to Exact Online")
        changed = row.division != division
        row.division, row.division_name = division, chosen.description
        uow.commit()
        client_id = row.client_id
    if changed:
        defer(
            container,
            DIMENSIONS_FULL_SYNC,
            lock=division_lock(client_id, division),
            company_id=str(company_id),
        )
    return chosen


def disconnect(container: Container, company_id: uuid.UUID) -> None:
    """Forget the tokens; keep the row, division and history. Idempotent."""
    with container.uow() as uow:
        row = _find(uow.session, company_id, lock=True)
        if row is None:
            return
        row.access_token_encrypted = row.refresh_token_encrypted = None
        row.access_expires_at = row.access_issued_at = None
        row.oauth_state_hash = row.oauth_state_created_at = None
        row.status, row.status_reason = "disconnected", "disconnected by a user"
        uow.commit()


def rotate_token_encryption(container: Container) -> int:
    """Re-encrypt every stored token with the newest key; returns the rows touched.

    Deliberately across all companies: the key belongs to the installation, not to a
    company. All or nothing: a token no key can read raises ``SecretUnreadable`` and
    nothing is changed.
    """
    cipher = cipher_for(container)
    with container.uow() as uow:
        rows = uow.session.query(ExactConnection).with_for_update().all()
        for row in rows:
            if row.access_token_encrypted:
                row.access_token_encrypted = cipher.rotate(row.access_token_encrypted)
            if row.refresh_token_encrypted:
                row.refresh_token_encrypted = cipher.rotate(row.refresh_token_encrypted)
        uow.commit()
        return len(rows)


def connected_companies(container: Container) -> list[tuple[uuid.UUID, datetime | None]]:
    """(company id, refresh token issued at) for every connected connection."""
    with container.uow() as uow:
        rows = uow.session.query(ExactConnection).filter_by(status="connected").all()
        return [(row.company_id, row.refresh_issued_at) for row in rows]


def resolve_company(container: Container, slug: str | None) -> uuid.UUID:
    """The company with ``slug``, or the only company there is (CLI use).

    Raises ``ConnectionNotReady`` naming the problem otherwise.
    """
    from ledgerbridge.db.models.core import Company

    with container.uow() as uow:
        query = uow.session.query(Company)
        found = query.filter_by(slug=slug).all() if slug else query.all()
        if len(found) != 1:
            problem = f"no company {slug!r}" if slug else f"{len(found)} companies exist"
            raise ConnectionNotReady(f"{problem}; name one with --company SLUG")
        company_id: uuid.UUID = found[0].id
        return company_id
