"""The API fuzzed from its own OpenAPI schema: no 5xx, and every documented answer fits it.

Bounded (a few examples per operation) so the whole run stays well under two minutes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from auth_headers import bearer
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance
from schemathesis.generation.case import Case
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from ledgerbridge.bootstrap import Container
from ledgerbridge.config import Settings
from ledgerbridge.db.repositories import CompanyRepository
from ledgerbridge.db.uow import UnitOfWork
from ledgerbridge.web.app import create_app


@pytest.fixture
def app(
    tmp_path: Path, database_url: URL, engine: Engine, session_factory: sessionmaker[Session]
) -> FastAPI:
    with UnitOfWork(session_factory) as uow:
        CompanyRepository(uow.session).add("acme", "Acme B.V.")
        uow.commit()
    settings_ = Settings(data_dir=tmp_path, demo=False, sandbox_enabled=False, run_worker=False)
    app = create_app(Container(settings_, database_url, engine, session_factory))
    app.state.test_headers = bearer(session_factory, "acme")
    return app


def _schema_only_app() -> FastAPI:
    """An app good for reading its schema (it never opens a database connection)."""
    no_database = create_engine("postgresql+psycopg://schema-only.invalid/none")
    settings_ = Settings(demo=False, sandbox_enabled=False, run_worker=False)
    container = Container(settings_, no_database.url, no_database, sessionmaker(no_database))
    return create_app(container)


# The schema is read once at import; each generated request goes to the test's own app.
schema = schemathesis.openapi.from_asgi("/openapi.json", _schema_only_app())


@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_the_api_answers_every_generated_request_within_its_schema(
    case: Case, app: FastAPI
) -> None:
    # Undocumented 4xx (404 for an unknown id, 409, 413, …) are answers, not failures here.
    case.call_and_validate(
        app=app,
        headers=app.state.test_headers,
        checks=[not_a_server_error, response_schema_conformance],
    )
