"""Build the Exact Online client for one company from its stored connection.

``exact_api_for(container, company_id)`` is what every use case that talks to
Exact calls (dimension sync, export, receipts, probe). It wires:

- the process's shared ``httpx.Client`` (``container.http``),
- the connection's base URL (the host that issued its tokens) and division
  (always in the URL; never Exact's ``CurrentDivision``),
- ``ConnectionTokens`` (single-flight refresh on the connection row),
- a ``Pacer`` over ``PostgresRateBudgetStore`` keyed ``"client_id:division"``
  (shared by every worker), and a ``PostgresErrorBudget`` for the company,
- a note of every 403 ``Reason`` on the connection row (its health report),
- the container's ``now``/``sleep`` (the sandbox FakeClock in tests).

Raises ``ConnectionNotReady`` when the company has no connected connection with
a chosen division.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ledgerbridge.crypto import TokenCipher, cipher_from_settings
from ledgerbridge.db.models.exact import ExactConnection
from ledgerbridge.exact.api import ExactApi
from ledgerbridge.exact.errors import ExactForbidden
from ledgerbridge.exact.http import ExactHttp
from ledgerbridge.exact.pacing import Pacer
from ledgerbridge.gateway.stores import (
    PostgresErrorBudget,
    PostgresRateBudgetStore,
    record_access_problem,
)
from ledgerbridge.gateway.token_chain import AppCredentials, ConnectionTokens

if TYPE_CHECKING:
    from ledgerbridge.bootstrap import Container


class ConnectionNotReady(Exception):
    """The company cannot call Exact yet (not connected, no division, needs reauth…)."""


@dataclass(frozen=True)
class ConnectionInfo:
    """The stored facts a client needs; read in one short transaction."""

    company_id: uuid.UUID
    base_url: str
    client_id: str
    division: int
    status: str

    @property
    def rate_key(self) -> str:
        return rate_key(self.client_id, self.division)


def rate_key(client_id: str, division: int) -> str:
    """The shared rate-budget key: Exact's limits are per app per division."""
    return f"{client_id}:{division}"


def cipher_for(container: Container) -> TokenCipher:
    """The process's token cipher (built once, kept on the container)."""
    cipher = container.extras.get("token_cipher")
    if not isinstance(cipher, TokenCipher):
        cipher = cipher_from_settings(container.settings)
        container.extras["token_cipher"] = cipher
    return cipher


def app_credentials(container: Container) -> tuple[str, str]:
    """(client id, client secret) of the registered Exact app.

    As configured; with the built-in sandbox, ``bootstrap`` has filled in the demo
    app (``ledgerbridge.demo.sandbox``), so the demo needs no configuration. A
    missing value raises ``ConnectionNotReady`` naming the setting.
    """
    settings = container.settings
    client_id, secret = settings.exact_client_id, settings.exact_client_secret
    if not client_id:
        raise ConnectionNotReady("LEDGERBRIDGE_EXACT_CLIENT_ID is not configured")
    if not secret:
        raise ConnectionNotReady("LEDGERBRIDGE_EXACT_CLIENT_SECRET is not configured")
    return client_id, secret


def client_secret(container: Container) -> str:
    """The Exact app's client secret (see ``app_credentials``)."""
    return app_credentials(container)[1]


def connection_info(container: Container, company_id: uuid.UUID) -> ConnectionInfo:
    """The company's connection, which must be connected with a division chosen."""
    with container.uow() as uow:
        row = uow.session.query(ExactConnection).filter_by(company_id=company_id).one_or_none()
        if row is None:
            raise ConnectionNotReady("this company is not connected to Exact Online")
        if row.division is None:
            raise ConnectionNotReady("choose the Exact Online administration (division) first")
        if row.status != "connected":
            reason = f": {row.status_reason}" if row.status_reason else ""
            raise ConnectionNotReady(f"the Exact Online connection is {row.status}{reason}")
        return ConnectionInfo(company_id, row.base_url, row.client_id, row.division, row.status)


def token_provider(container: Container, company_id: uuid.UUID) -> ConnectionTokens:
    """The company's single-flight token provider."""
    return ConnectionTokens(
        container.session_factory,
        company_id,
        AppCredentials(client_secret(container), container.http),
        cipher_for(container),
        container.now,
    )


def rate_store(container: Container) -> PostgresRateBudgetStore:
    settings = container.settings
    return PostgresRateBudgetStore(
        container.session_factory,
        minute_margin=settings.exact_minute_safety_margin,
        day_margin=settings.exact_day_safety_margin,
    )


def exact_http_for(container: Container, info: ConnectionInfo) -> ExactHttp:
    """The paced, budgeted transport for one connection; 403s are noted on the connection."""
    pacer = Pacer(rate_store(container), info.rate_key, sleep=container.sleep, now=container.now)

    def forbidden(endpoint: str, error: ExactForbidden) -> None:
        problem = f"{error.reason}: {endpoint}"
        record_access_problem(container.session_factory, info.company_id, problem, container.now())

    return ExactHttp(
        container.http,
        info.base_url,
        token_provider(container, info.company_id),
        pacer,
        PostgresErrorBudget(container.session_factory, info.company_id),
        now=container.now,
        sleep=container.sleep,
        on_forbidden=forbidden,
    )


def exact_api_for(container: Container, company_id: uuid.UUID) -> ExactApi:
    """An ``ExactApi`` bound to the company's chosen division; see the module docstring."""
    info = connection_info(container, company_id)
    return ExactApi(exact_http_for(container, info), info.division)
