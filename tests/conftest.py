"""Shared fixtures. Integration tests get a real PostgreSQL database.

Set LEDGERBRIDGE_TEST_DATABASE_URL (CI: postgresql://postgres@127.0.0.1:5432/postgres)
to use a server; otherwise an embedded PostgreSQL is started.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from ledgerbridge.db.engine import make_engine, make_session_factory
from ledgerbridge.db.testing import scratch_database, truncate_all


@pytest.fixture(scope="session")
def database_url() -> Iterator[URL]:
    with scratch_database() as url:
        yield url


@pytest.fixture(scope="session")
def engine(database_url: URL) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """A session factory on a database emptied after the test."""
    yield make_session_factory(engine)
    truncate_all(engine)
