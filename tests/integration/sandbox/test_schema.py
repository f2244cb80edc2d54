"""The sandbox creates and migrates its own schema, ``exact_sandbox``, outside our chain."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine, text

from exact_sandbox.schema import HEAD, SCHEMA, Base, ensure_schema, sqlalchemy_url
from ledgerbridge.db.testing import scratch_database


@pytest.fixture
def empty_engine() -> Iterator[Engine]:
    """A database of its own, without the sandbox's schema yet."""
    with scratch_database("lb_sandbox_schema") as url:
        engine = create_engine(url)
        yield engine
        engine.dispose()


def versions(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        query = text(f"SELECT version FROM {SCHEMA}.schema_version ORDER BY version")
        return list(conn.execute(query).scalars())


def test_the_schema_is_created_once_and_recorded_at_its_version(empty_engine: Engine) -> None:
    assert ensure_schema(empty_engine) == HEAD
    assert ensure_schema(empty_engine) == HEAD
    assert versions(empty_engine) == list(range(1, HEAD + 1))
    with empty_engine.connect() as conn:
        count = conn.execute(text(f"SELECT count(*) FROM {SCHEMA}.records")).scalar_one()
    assert count == 0


def test_two_processes_starting_at_once_both_find_the_schema_ready(empty_engine: Engine) -> None:
    results: list[Any] = []
    start = threading.Barrier(2)

    def open_schema() -> None:
        start.wait()
        try:
            results.append(ensure_schema(empty_engine))
        except Exception as error:  # reported below, not lost in the thread
            results.append(error)

    threads = [threading.Thread(target=open_schema) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert results == [HEAD, HEAD]
    assert versions(empty_engine) == list(range(1, HEAD + 1))


def test_the_migrated_tables_are_exactly_what_the_models_describe(empty_engine: Engine) -> None:
    def ours(name: str | None, type_: str, parent_names: object) -> bool:
        return type_ != "schema" or name == SCHEMA

    ensure_schema(empty_engine)
    with empty_engine.connect() as conn:
        options = {"compare_type": True, "include_schemas": True, "include_name": ours}
        context = MigrationContext.configure(conn, opts=options)
        assert compare_metadata(context, Base.metadata) == []


def test_a_libpq_url_becomes_a_psycopg_url() -> None:
    url = sqlalchemy_url("postgresql://postgres:s3cret@db.example:5433/app")
    assert url.drivername == "postgresql+psycopg"
    assert (url.host, url.port, url.database, url.password) == ("db.example", 5433, "app", "s3cret")
    assert sqlalchemy_url("postgresql+psycopg://h/d").drivername == "postgresql+psycopg"
