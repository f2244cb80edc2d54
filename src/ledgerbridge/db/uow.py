"""Unit of work: one database transaction per use case, carrying the repositories.

``with uow:`` opens a session; leaving the block without ``uow.commit()`` rolls
back. Repositories never commit; services do, once, at the end of a use case.
Every repository method takes the company it acts for, so a use case can only
reach the rows of the company it names (users and sign-in sessions belong to the
installation; their methods are marked ``installation_wide``).

``after_commit(callback)`` runs ``callback`` once the commit succeeded (and never
after a rollback): the job queue uses it so a job exists only for work that did.

``on_audit`` (optional) is told the actions of the audit rows a commit wrote (``record``,
one each), after that commit and never after a rollback: the metrics count exports from
them (``ledgerbridge.metrics.count_audited``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Self

from sqlalchemy.orm import Session, sessionmaker

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


class UnitOfWork:
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

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        on_audit: Callable[[Sequence[str]], object] | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._session: Session | None = None
        self._after_commit: list[Callable[[], object]] = []
        self._on_audit = on_audit
        self._audited: list[str] = []

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("unit of work used outside its 'with' block")
        return self._session

    def __enter__(self) -> Self:
        self._session = session = self._session_factory()
        self._after_commit, self._audited = [], []
        self.transactions = TransactionRepository(session)
        self.companies = CompanyRepository(session)
        self.dimensions = DimensionRepository(session)
        self.connections = ConnectionRepository(session)
        self.audit = AuditRepository(session, self._audited.append if self._on_audit else None)
        self.users = UserRepository(session)
        self.sessions = SessionRepository(session)
        self.members = MembershipRepository(session)
        self.invitations = InvitationRepository(session)
        self.api_keys = ApiKeyRepository(session)
        self.rules = RuleRepository(session)
        self.export_settings = ExportSettingsRepository(session)
        self.exports = ExportRepository(session)
        self.calls = CallCountRepository(session)
        self.periods = PeriodRepository(session)
        self.webhooks = WebhookRepository(session)
        self.job_queue = JobQueueRepository(session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        try:
            session.rollback()
        finally:
            session.close()
            self._session = None
            self._after_commit = []
            self._audited.clear()

    def commit(self) -> None:
        self.session.commit()
        callbacks, self._after_commit = self._after_commit, []
        audited = self._audited[:]
        self._audited.clear()
        for callback in callbacks:
            callback()
        if audited and self._on_audit is not None:
            self._on_audit(audited)

    def rollback(self) -> None:
        self.session.rollback()
        self._after_commit = []
        self._audited.clear()

    def after_commit(self, callback: Callable[[], object]) -> None:
        """Run ``callback`` right after the next successful ``commit()``; dropped on rollback."""
        self._after_commit.append(callback)

    def repositories(self) -> dict[str, object]:
        """Every repository this unit of work carries, by attribute name (the tenancy
        meta-test walks them, so a new one is covered the day it is added)."""
        return {
            name: value
            for name, value in vars(self).items()
            if not name.startswith("_") and type(value).__name__.endswith("Repository")
        }
