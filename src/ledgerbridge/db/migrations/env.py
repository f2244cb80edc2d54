"""Alembic environment: runs migrations on the URL given by ledgerbridge.db.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

import ledgerbridge.db.models  # noqa: F401  (registers every table)
from ledgerbridge.db.base import Base

target_metadata = Base.metadata
# Autogenerate compares only the schemas our models use: others in the same database
# (the demo sandbox keeps its own, ``exact_sandbox``) are not this chain's business.
OUR_SCHEMAS = {None, *(table.schema for table in target_metadata.tables.values())}


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    return type_ != "schema" or name in OUR_SCHEMAS


def run_migrations_online() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            include_schemas=True,
            include_name=include_name,
            version_table="alembic_version",
        )
        with context.begin_transaction():
            # One migrator at a time when several processes start together.
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7242001)")
            context.run_migrations()
    engine.dispose()


run_migrations_online()
