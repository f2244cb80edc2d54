"""The Exact gateway: Exact Online's client (``exact/``) wired to this installation.

``ExactGateway`` implements ``services.ports.ExactGateway``. Per company it builds:

- the process's shared ``httpx.Client``,
- the connection's base URL (the host that issued its tokens) and division
  (always in the URL; never Exact's ``CurrentDivision``),
- ``ConnectionTokens`` (single-flight refresh on the connection row),
- a ``Pacer`` over ``PostgresRateBudgetStore`` keyed ``"client_id:division"``
  (shared by every worker and every company on that division), and a
  ``PostgresErrorBudget`` for the company,
- notes on the company's own connection row: each 403 ``Reason`` (its health
  report), and that a call got through (which ends that company's access problem —
  never another company's),
- the injected ``now``/``sleep`` (the sandbox FakeClock in tests);
- the company and division told to the log context of the request or job that calls
  (``logs.note``), so its log lines name them.

Raises ``ConnectionNotReady`` when the company has no connection holding tokens
with a chosen division.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import httpx
from sqlalchemy.orm import Session, sessionmaker

from ledgerbridge import logs
from ledgerbridge.db.models.exact import ExactRateBudget
from ledgerbridge.db.repositories.calls import call_key
from ledgerbridge.db.uow import UnitOfWork
from ledgerbridge.exact import oauth
from ledgerbridge.exact.api import ExactApi
from ledgerbridge.exact.errors import ExactForbidden
from ledgerbridge.exact.hosts import base_url_for
from ledgerbridge.exact.http import ExactHttp
from ledgerbridge.exact.pacing import Pacer
from ledgerbridge.gateway.access import ACCESS_ADVICE
from ledgerbridge.gateway.stores import PostgresErrorBudget, PostgresRateBudgetStore
from ledgerbridge.gateway.token_chain import AppCredentials, ConnectionTokens
from ledgerbridge.services.errors import ConnectionNotReady
from ledgerbridge.services.ports import TokenCipher


@dataclass(frozen=True)
class ExactApp:
    """The app registered in Exact's App Center and where this installation meets Exact."""

    region: str
    base_url: str
    client_id: str
    client_secret: str
    redirect_url: str


def exact_app(
    *,
    region: str,
    custom_base_url: str | None,
    public_url: str,
    client_id: str | None,
    client_secret: str | None,
    redirect_url: str | None,
) -> ExactApp:
    """The app from the settings; ``ConnectionNotReady`` names a missing client id or secret.

    Region ``custom`` without a base URL means the sandbox mounted in this app at
    ``{public_url}/sandbox``.
    """
    if not client_id:
        raise ConnectionNotReady("LEDGERBRIDGE_EXACT_CLIENT_ID is not configured")
    if not client_secret:
        raise ConnectionNotReady("LEDGERBRIDGE_EXACT_CLIENT_SECRET is not configured")
    public = public_url.rstrip("/")
    custom = custom_base_url or (f"{public}/sandbox" if region == "custom" else None)
    return ExactApp(
        region=region,
        base_url=base_url_for(region, custom),
        client_id=client_id,
        client_secret=client_secret,
        redirect_url=redirect_url or f"{public}/integrations/exact/callback",
    )


def rate_key(client_id: str, division: int) -> str:
    """The shared rate-budget key: Exact's limits are per app per division."""
    return call_key(client_id, division)


@dataclass(frozen=True)
class _Link:
    base_url: str
    client_id: str
    division: int


class ExactGateway:
    """See the module docstring. Thread-safe; one per process."""

    def __init__(
        self,
        app: Callable[[], ExactApp],
        session_factory: sessionmaker[Session],
        http: httpx.Client,
        cipher: TokenCipher,
        rates: PostgresRateBudgetStore,
        *,
        now: Callable[[], datetime],
        sleep: Callable[[float], None],
    ) -> None:
        # The app is read when first needed, so an installation without Exact settings
        # starts, and says what is missing only when someone connects.
        self._app = app
        self._sessions = session_factory
        self._http = http
        self._cipher = cipher
        self._rates = rates
        self._now = now
        self._sleep = sleep

    @property
    def app(self) -> ExactApp:
        return self._app()

    @property
    def region(self) -> str:
        return self.app.region

    @property
    def base_url(self) -> str:
        return self.app.base_url

    @property
    def client_id(self) -> str:
        return self.app.client_id

    @property
    def redirect_url(self) -> str:
        return self.app.redirect_url

    def authorize_url(self, base_url: str, client_id: str, state: str) -> str:
        return oauth.authorize_url(base_url, client_id, self.redirect_url, state)

    def exchange_code(self, base_url: str, client_id: str, code: str) -> oauth.TokenSet:
        app = self.app
        return oauth.exchange_code(
            self._http, base_url, client_id, app.client_secret, app.redirect_url, code, self._now()
        )

    def api(self, company_id: uuid.UUID) -> ExactApi:
        link = self._link(company_id, division=None)
        return ExactApi(self._transport(company_id, link), link.division)

    def api_for_division(self, company_id: uuid.UUID, division: int) -> ExactApi:
        link = self._link(company_id, division=division)
        return ExactApi(self._transport(company_id, link), division)

    def http(self, company_id: uuid.UUID) -> tuple[ExactHttp, int]:
        link = self._link(company_id, division=None)
        return self._transport(company_id, link), link.division

    def tokens(self, company_id: uuid.UUID) -> ConnectionTokens:
        return ConnectionTokens(
            self._sessions,
            company_id,
            AppCredentials(self.app.client_secret, self._http),
            self._cipher,
            self._now,
        )

    def rate_budget(self, client_id: str, division: int) -> ExactRateBudget | None:
        return self._rates.snapshot(rate_key(client_id, division), self._now())

    def errors_this_hour(self, company_id: uuid.UUID) -> dict[str, int]:
        return PostgresErrorBudget(self._sessions, company_id).errors_by_endpoint(self._now())

    def _link(self, company_id: uuid.UUID, *, division: int | None) -> _Link:
        """Where the company's connection calls; ``division`` None means the chosen one."""
        with UnitOfWork(self._sessions) as uow:
            found = uow.connections.get(company_id)
        if found is None:
            raise ConnectionNotReady("this company is not connected to Exact Online")
        if not found.status.holds_tokens or not found.has_tokens:
            reason = f": {found.status_reason}" if found.status_reason else ""
            raise ConnectionNotReady(f"the Exact Online connection is {found.status}{reason}")
        chosen = division if division is not None else found.division
        if chosen is None:
            raise ConnectionNotReady("choose the Exact Online administration (division) first")
        logs.note(company=company_id, division=chosen or None)  # 0: none chosen yet
        return _Link(found.base_url, found.client_id, chosen)

    def _transport(self, company_id: uuid.UUID, link: _Link) -> ExactHttp:
        key = rate_key(link.client_id, link.division)
        pacer = Pacer(self._rates, key, sleep=self._sleep, now=self._now)
        return ExactHttp(
            self._http,
            link.base_url,
            self.tokens(company_id),
            pacer,
            PostgresErrorBudget(self._sessions, company_id),
            now=self._now,
            sleep=self._sleep,
            on_forbidden=lambda endpoint, error: self._forbidden(company_id, endpoint, error),
            on_success=lambda: self._got_through(company_id),
        )

    def _forbidden(self, company_id: uuid.UUID, endpoint: str, error: ExactForbidden) -> None:
        with UnitOfWork(self._sessions) as uow:
            uow.connections.note_access_problem(
                company_id,
                f"{error.reason}: {endpoint}",
                self._now(),
                refused=error.reason in ACCESS_ADVICE,
            )
            uow.commit()

    def _got_through(self, company_id: uuid.UUID) -> None:
        with UnitOfWork(self._sessions) as uow:
            uow.connections.note_success(company_id, self._now())
            uow.commit()
