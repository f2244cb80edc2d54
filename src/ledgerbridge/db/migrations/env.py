"""Alembic environment: runs migrations on the URL given by ledgerbridge.db.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

import ledgerbridge.db.models  # noqa: F401  (registers every table)
from ledgerbridge.db.base import Base

target_metadata = Base.metadata


def run_migrations_online() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            include_schemas=True,
            version_table="alembic_version",
        )
        with context.begin_transaction():
            # One migrator at a time when several processes start together.
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7242001)")
            context.run_migrations()
    engine.dispose()


run_migrations_online()
