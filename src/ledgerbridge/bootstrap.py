"""Wires settings, database and adapters into one container that entry points use.

Entry points (web, CLI, jobs) call ``bootstrap()`` once and hand the container
to services; nothing else constructs engines or clients.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from ledgerbridge.config import Settings, get_settings
from ledgerbridge.db import migrate
from ledgerbridge.db.engine import make_engine, make_session_factory
from ledgerbridge.db.server import resolve_database_url
from ledgerbridge.db.uow import UnitOfWork


@dataclass
class Container:
    """Everything a use case needs from the outside world, built once per process."""

    settings: Settings
    database_url: URL
    engine: Engine
    session_factory: sessionmaker[Session]
    extras: dict[str, object] = field(default_factory=dict)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory)


def bootstrap(
    settings: Settings | None = None,
    *,
    database_url: URL | None = None,
    upgrade: bool = True,
) -> Container:
    """Build the container; with ``upgrade`` the schema is migrated to head first."""
    settings = settings or get_settings()
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
