"""The sandbox's own tables, in PostgreSQL schema ``exact_sandbox``, and how they come to be.

The sandbox owns this schema: it is created and migrated by ``ensure_schema``
when a persisted sandbox starts, never by a host application's migrations.
``exact_sandbox.schema_version`` lists the steps of ``MIGRATIONS`` applied so
far; a later change to the tables is a new step appended there.

``SandboxRecord`` is one sandbox entity (a GL account, a purchase entry line, a
sync/Deleted record …): its fields as tagged JSON, keyed by division, store
table and key.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Connection,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    func,
)
from sqlalchemy import text as sql
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

SCHEMA = "exact_sandbox"
# pg_advisory_xact_lock key: one process at a time creates or migrates the schema.
SCHEMA_LOCK = 0x5A_4E_DB_01


class Base(DeclarativeBase):
    metadata = MetaData(schema=SCHEMA, naming_convention={"pk": "pk_%(table_name)s"})


class SandboxRecord(Base):
    __tablename__ = "records"

    division: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource: Mapped[str] = mapped_column(String(100), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    timestamp: Mapped[int] = mapped_column(BigInteger, nullable=False)


class SchemaVersion(Base):
    __tablename__ = "schema_version"

    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    applied_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


def table(model: type[Base]) -> Table:
    """The model's ``Table`` (typed as such, for Core statements)."""
    return cast(Table, model.__table__)


def _create_records(conn: Connection) -> None:
    # Spelled out, not ``create_all``: a step must keep meaning what it meant when the
    # models change later.
    conn.execute(
        sql(
            f"CREATE TABLE IF NOT EXISTS {SCHEMA}.records ("
            " division integer NOT NULL,"
            " resource varchar(100) NOT NULL,"
            " key varchar(100) NOT NULL,"
            " data jsonb NOT NULL,"
            ' "timestamp" bigint NOT NULL,'
            " CONSTRAINT pk_records PRIMARY KEY (division, resource, key))"
        )
    )


# (version, step) in order; append, never edit an applied step.
MIGRATIONS: list[tuple[int, Callable[[Connection], None]]] = [(1, _create_records)]
HEAD = MIGRATIONS[-1][0]


def ensure_schema(engine: Engine) -> int:
    """Create schema ``exact_sandbox`` and bring its tables to ``HEAD``; returns the version.

    Idempotent, and safe when several processes start at once: all of it runs in
    one transaction holding an advisory lock, so a second caller waits and then
    finds the work done.
    """
    with engine.begin() as conn:
        conn.execute(sql("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})
        conn.execute(sql(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"))
        versions = table(SchemaVersion)
        versions.create(conn, checkfirst=True)
        current = conn.execute(sql(f"SELECT max(version) FROM {SCHEMA}.schema_version"))
        applied = current.scalar_one() or 0
        for version, step in MIGRATIONS:
            if version > applied:
                step(conn)
                conn.execute(versions.insert().values(version=version))
                applied = version
        return applied


def sqlalchemy_url(url: str) -> URL:
    """A libpq-style (``postgresql://…``) or SQLAlchemy URL, as a SQLAlchemy URL on psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed
