"""A throwaway database per test session (used by tests and benchmarks).

On the server named by ``LEDGERBRIDGE_TEST_DATABASE_URL`` when set, else on the
embedded server in ``.ledgerbridge/test``: a fresh database is created,
migrated to head, and dropped at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL

from ledgerbridge.db import migrate
from ledgerbridge.db.server import embedded_url, sqlalchemy_url

KEEP = {"alembic_version"}


def server_url() -> URL:
    configured = os.environ.get("LEDGERBRIDGE_TEST_DATABASE_URL")
    if configured:
        return sqlalchemy_url(configured)
    return sqlalchemy_url(embedded_url(Path(".ledgerbridge") / "test"))


@contextmanager
def scratch_database(prefix: str = "lb_test") -> Iterator[URL]:
    """Create a migrated database, yield its URL, drop it afterwards."""
    admin_url = server_url()
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.set(database=name)
    try:
        migrate.upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def truncate_all(engine: Engine) -> None:
    """Empty every table of ours (schema public) so the next test starts clean.

    Other schemas in the database (the sandbox's) are left alone.
    """
    with engine.begin() as conn:
        rows = conn.execute(
            text(
                "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables "
                "WHERE schemaname = 'public'"
            )
        ).scalars()
        tables = [t for t in rows if t.split(".")[-1].strip('"') not in KEEP]
        if tables:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
