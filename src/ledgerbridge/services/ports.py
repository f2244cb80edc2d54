"""What services need from the outside world, as small Protocols.

Services receive these as parameters; only the entry points (web, CLI, job worker)
and ``bootstrap`` build the real ones (``db.uow.UnitOfWork``, ``gateway.ExactGateway``,
``jobs.queue.ProcrastinateQueue``, ``Container.receipts`` — a ``files.store`` adapter); tests may
pass their own.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self

from ledgerbridge.files.store import ReceiptStore

if TYPE_CHECKING:
    from ledgerbridge.db.repositories.accounts import (
        ApiKeyRepository,
        InvitationRepository,
        MembershipRepository,
        SessionRepository,
        UserRepository,
    )
    from ledgerbridge.db.repositories.audit import AuditRepository
    from ledgerbridge.db.repositories.calls import CallCountRepository
    from ledgerbridge.db.repositories.companies import CompanyRepository
    from ledgerbridge.db.repositories.connections import ConnectionRepository
    from ledgerbridge.db.repositories.dimensions import DimensionRepository
    from ledgerbridge.db.repositories.export_settings import ExportSettingsRepository
    from ledgerbridge.db.repositories.exports import ExportRepository
    from ledgerbridge.db.repositories.job_queue import JobQueueRepository
    from ledgerbridge.db.repositories.periods import PeriodRepository
    from ledgerbridge.db.repositories.rules import RuleRepository
    from ledgerbridge.db.repositories.transactions import TransactionRepository
    from ledgerbridge.db.repositories.webhooks import WebhookRepository
    from ledgerbridge.exact.api import ExactApi
    from ledgerbridge.exact.http import ExactHttp, TokenProvider
    from ledgerbridge.exact.oauth import TokenSet

__all__ = [
    "Clock",
    "Deferral",
    "ExactGateway",
    "JobQueue",
    "Mailer",
    "RateBudget",
    "ReceiptStore",
    "TokenCipher",
    "UnitOfWork",
    "UnitOfWorkFactory",
    "WebhookHooks",
]

Clock = Callable[[], datetime]


class UnitOfWork(Protocol):
    """One database transaction with the repositories it carries (``with uow: …``)."""

    transactions: TransactionRepository
    companies: CompanyRepository
    dimensions: DimensionRepository
    connections: ConnectionRepository
    audit: AuditRepository
    users: UserRepository
    sessions: SessionRepository
    members: MembershipRepository
    invitations: InvitationRepository
    api_keys: ApiKeyRepository
    rules: RuleRepository
    export_settings: ExportSettingsRepository
    exports: ExportRepository
    calls: CallCountRepository
    periods: PeriodRepository
    webhooks: WebhookRepository
    job_queue: JobQueueRepository

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def after_commit(self, callback: Callable[[], object]) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]


class Mailer(Protocol):
    def send(self, to: str, subject: str, body: str) -> None:
        """Send plain-text mail; ``OSError`` when it could not be handed over."""
        ...


@dataclass
class Deferral:
    """What became of one deferral; filled in once the unit of work commits."""

    task: str
    job_id: int | None = None
    already_waiting: bool = False


class JobQueue(Protocol):
    def defer_after_commit(
        self,
        uow: UnitOfWork,
        task: str,
        *,
        lock: str | None = None,
        queueing_lock: str | None = None,
        schedule_at: datetime | None = None,
        **kwargs: Any,
    ) -> Deferral:
        """Queue ``task(**kwargs)`` once ``uow`` commits; nothing if it rolls back.

        A job with the same ``queueing_lock`` already waiting makes this a no-op;
        ``schedule_at`` holds it back until then.
        """
        ...


class WebhookHooks(Protocol):
    """What the connection lifecycle tells the webhook upkeep
    (``services.dimensions.webhooks.WebhookUpkeep``)."""

    def after_division(
        self, uow: UnitOfWork, company_id: uuid.UUID, client_id: str, division: int
    ) -> None:
        """A division was chosen in ``uow``: queue its subscriptions after the commit."""
        ...

    def before_disconnect(self, company_id: uuid.UUID) -> None:
        """The tokens are about to go: delete the subscriptions at Exact (best effort)."""
        ...


class TokenCipher(Protocol):
    def encrypt(self, plain: str) -> str: ...

    def decrypt(self, token: str) -> str: ...

    def rotate(self, token: str) -> str: ...


class RateBudget(Protocol):
    """What Exact's rate-limit headers last said for one app and division."""

    @property
    def minute_limit(self) -> int: ...
    @property
    def minute_remaining(self) -> int: ...
    @property
    def minute_reset_at(self) -> datetime | None: ...
    @property
    def day_limit(self) -> int: ...
    @property
    def day_remaining(self) -> int: ...
    @property
    def day_reset_at(self) -> datetime | None: ...


class ExactGateway(Protocol):
    """Exact Online for this installation: its app, its host, and clients per company."""

    @property
    def region(self) -> str: ...

    @property
    def base_url(self) -> str: ...

    @property
    def client_id(self) -> str: ...

    @property
    def redirect_url(self) -> str: ...

    def authorize_url(self, base_url: str, client_id: str, state: str) -> str: ...

    def exchange_code(self, base_url: str, client_id: str, code: str) -> TokenSet: ...

    def api(self, company_id: uuid.UUID) -> ExactApi:
        """A client for the company's chosen division; ``ConnectionNotReady`` otherwise."""
        ...

    def api_for_division(self, company_id: uuid.UUID, division: int) -> ExactApi:
        """A client for any division of a connected company (current/Me, Divisions)."""
        ...

    def http(self, company_id: uuid.UUID) -> tuple[ExactHttp, int]:
        """The paced transport of the company's connection and its division."""
        ...

    def tokens(self, company_id: uuid.UUID) -> TokenProvider: ...

    def rate_budget(self, client_id: str, division: int) -> RateBudget | None: ...

    def errors_this_hour(self, company_id: uuid.UUID) -> dict[str, int]: ...
