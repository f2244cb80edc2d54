"""Wires settings, database and adapters into one container that entry points use.

Entry points (web, CLI, jobs) call ``bootstrap()`` once and take from the
container the adapters a use case needs (a unit-of-work factory, the Exact
gateway, the job queue, the cipher, the clock), passing them to services
explicitly. Services never see the container; nothing but entry points imports
this module.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING

import httpx
from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from ledgerbridge.config import Settings, get_settings
from ledgerbridge.crypto import TokenCipher, cipher_from_settings
from ledgerbridge.db import migrate
from ledgerbridge.db.engine import make_engine, make_session_factory
from ledgerbridge.db.server import resolve_database_url
from ledgerbridge.db.uow import UnitOfWork
from ledgerbridge.domain.upkeep import UpkeepPolicy
from ledgerbridge.files.store import ReceiptStorage, ReceiptStoreUnavailable, open_receipt_store
from ledgerbridge.gateway.factory import ExactApp, ExactGateway, exact_app
from ledgerbridge.gateway.stores import PostgresRateBudgetStore
from ledgerbridge.jobs.queue import ProcrastinateQueue
from ledgerbridge.mail import SmtpMailer
from ledgerbridge.metrics import count_audited
from ledgerbridge.services.connection.lifecycle import ConnectionService
from ledgerbridge.services.dimensions.webhooks import WebhookUpkeep, callback_url
from ledgerbridge.services.ports import Mailer

if TYPE_CHECKING:
    from ledgerbridge.jobs.app import JobApp

log = logging.getLogger(__name__)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _exact_http_client() -> httpx.Client:
    # One client per process: connection pooling to Exact; tests pass their own
    # (sandbox transport) instead.
    return httpx.Client(timeout=httpx.Timeout(30.0, connect=10.0))


@dataclass
class Container:
    """Everything a use case needs from the outside world, built once per process."""

    settings: Settings
    database_url: URL
    engine: Engine
    session_factory: sessionmaker[Session]
    # Exact Online connection: the shared HTTP client and the clock/sleep the token
    # chain and pacing use (tests inject the sandbox transport and a FakeClock).
    http: httpx.Client = field(default_factory=_exact_http_client)
    now: Callable[[], datetime] = _utc_now
    sleep: Callable[[float], None] = time.sleep

    def uow(self) -> UnitOfWork:
        # Exports are counted from their committed audit rows (ledgerbridge.metrics).
        return UnitOfWork(self.session_factory, on_audit=count_audited)

    @cached_property
    def cipher(self) -> TokenCipher:
        return cipher_from_settings(self.settings)

    def exact_app(self) -> ExactApp:
        """The registered Exact app from the settings (``ConnectionNotReady`` if incomplete)."""
        s = self.settings
        return exact_app(
            region=s.exact_region,
            custom_base_url=s.exact_base_url,
            public_url=s.public_url,
            client_id=s.exact_client_id,
            client_secret=s.exact_client_secret,
            redirect_url=s.exact_redirect_url,
        )

    @cached_property
    def receipts(self) -> ReceiptStorage:
        """The receipt store of ``LEDGERBRIDGE_RECEIPT_STORE`` (a directory, by default
        ``DATA_DIR/receipts``, or ``s3://bucket/prefix``): the one place it is built."""
        s = self.settings
        return open_receipt_store(s.receipt_store_location, s3_endpoint_url=s.s3_endpoint_url)

    def readiness(self) -> dict[str, str]:
        """What ``/ready`` reports: the database, its migrations and the receipt store,
        each ``"ok"`` or a few words on what is wrong (the details go to the log)."""
        checks = migrate.schema_checks(self.engine)
        try:
            self.receipts.check()
            checks["receipts"] = "ok"
        except ReceiptStoreUnavailable as error:
            log.warning("readiness: receipt store: %s (%s)", error, error.__cause__)
            checks["receipts"] = str(error)
        except Exception:
            log.warning("readiness: the receipt store does not answer", exc_info=True)
            checks["receipts"] = "unavailable"
        return checks

    @cached_property
    def rate_store(self) -> PostgresRateBudgetStore:
        return PostgresRateBudgetStore(
            self.session_factory,
            minute_margin=self.settings.exact_minute_safety_margin,
            day_margin=self.settings.exact_day_safety_margin,
        )

    @cached_property
    def upkeep(self) -> UpkeepPolicy:
        """How often each Exact resource is polled (``LEDGERBRIDGE_SYNC_*``)."""
        s = self.settings
        return UpkeepPolicy.from_minutes(
            often=s.sync_often_minutes,
            often_ceiling=s.sync_often_ceiling_minutes,
            rarely=s.sync_rarely_minutes,
            rarely_ceiling=s.sync_rarely_ceiling_minutes,
            in_prep=s.sync_in_prep_minutes,
            prep_active=s.sync_prep_active_minutes,
            backoff=s.sync_backoff,
            safety_net=s.sync_webhook_safety_net_minutes,
        )

    @cached_property
    def gateway(self) -> ExactGateway:
        return ExactGateway(
            self.exact_app,
            self.session_factory,
            self.http,
            self.cipher,
            self.rate_store,
            now=self.now,
            sleep=self.sleep,
        )

    @cached_property
    def mailer(self) -> Mailer | None:
        """The SMTP mailer when ``smtp_host`` is set (tests may assign their own)."""
        s = self.settings
        if not s.smtp_host:
            return None
        return SmtpMailer(
            s.smtp_host,
            s.smtp_port,
            s.smtp_from,
            username=s.smtp_username,
            password=s.smtp_password,
            starttls=s.smtp_starttls,
        )

    @cached_property
    def queue(self) -> ProcrastinateQueue:
        return ProcrastinateQueue(lambda: self.jobs)

    @cached_property
    def webhooks(self) -> WebhookUpkeep:
        """Exact webhook subscriptions: on when ``public_url`` is https and a secret is set."""
        s = self.settings
        callback = callback_url(s.public_url, s.exact_webhook_secret)
        return WebhookUpkeep(self.uow, self.gateway, self.queue, self.now, callback)

    @cached_property
    def connections(self) -> ConnectionService:
        return ConnectionService(
            self.uow, self.gateway, self.queue, self.cipher, self.now, webhooks=self.webhooks
        )

    @cached_property
    def jobs(self) -> JobApp:
        """The procrastinate app used to defer jobs (opened on first use)."""
        from ledgerbridge.jobs.app import create_job_app

        return create_job_app(self)


def bootstrap(
    settings: Settings | None = None,
    *,
    database_url: URL | None = None,
    upgrade: bool = True,
) -> Container:
    """Build the container; with ``upgrade`` the schema is migrated to head first."""
    settings = settings or get_settings()
    if settings.exact_region == "custom" and not settings.exact_base_url:
        # The built-in sandbox: its demo app stands in for unconfigured credentials.
        from ledgerbridge.demo.sandbox import with_demo_app

        settings = with_demo_app(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = database_url or resolve_database_url(settings.database_url, settings.data_dir)
    if upgrade:
        migrate.upgrade(url)
    engine = make_engine(url)
    return Container(
        settings=settings,
        database_url=url,
        engine=engine,
        session_factory=make_session_factory(engine),
    )
