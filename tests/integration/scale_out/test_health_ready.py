"""``/health`` (the process answers) and ``/ready`` (this node can serve: database,
migrations, receipt store), both without signing in, as a load balancer asks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from object_store import ObjectStore
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import sessionmaker

from ledgerbridge import __version__
from ledgerbridge.bootstrap import Container
from ledgerbridge.config import Settings
from ledgerbridge.db import migrate
from ledgerbridge.db.engine import make_engine, make_session_factory
from ledgerbridge.db.testing import scratch_database
from ledgerbridge.web.app import create_app

NOWHERE = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2"


def client_on(engine: Engine, url: URL, **settings: Any) -> TestClient:
    container = Container(
        Settings(demo=False, sandbox_enabled=False, run_worker=False, **settings),
        url,
        engine,
        make_session_factory(engine),
    )
    return TestClient(create_app(container))


@pytest.fixture
def nowhere() -> Iterator[Engine]:
    engine = create_engine(NOWHERE)
    yield engine
    engine.dispose()


def test_health_answers_without_the_database(nowhere: Engine, tmp_path: Path) -> None:
    with client_on(nowhere, nowhere.url, data_dir=tmp_path) as client:
        answer = client.get("/health")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "version": __version__}
    assert answer.headers["cache-control"] == "no-store"


def test_ready_when_database_migrations_and_receipt_store_answer(
    engine: Engine, database_url: URL, tmp_path: Path
) -> None:
    with client_on(engine, database_url, data_dir=tmp_path) as client:
        answer = client.get("/ready")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "receipts": "ok"},
    }


def test_not_ready_when_the_database_does_not_answer(nowhere: Engine, tmp_path: Path) -> None:
    with client_on(nowhere, nowhere.url, data_dir=tmp_path) as client:
        answer = client.get("/ready")
    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "not ready"
    assert body["checks"]["database"] == "unreachable"
    assert body["checks"]["receipts"] == "ok"
    assert "127.0.0.1" not in answer.text and "nobody" not in answer.text


def test_not_ready_while_migrations_are_behind(tmp_path: Path) -> None:
    with scratch_database("lb_ready") as url:
        previous = "0021"
        migrate.downgrade(url, previous)
        engine = make_engine(url)
        try:
            with client_on(engine, url, data_dir=tmp_path) as client:
                behind = client.get("/ready")
                migrate.upgrade(url)
                caught_up = client.get("/ready")
        finally:
            engine.dispose()
    head = migrate.head_revision()
    assert behind.status_code == 503
    assert behind.json()["checks"] == {
        "database": "ok",
        "migrations": f"behind: {previous} < {head}",
        "receipts": "ok",
    }
    assert caught_up.status_code == 200


def test_not_ready_when_the_receipt_directory_is_not_writable(
    engine: Engine, database_url: URL, tmp_path: Path
) -> None:
    (tmp_path / "a-file").write_text("not a directory")
    store = str(tmp_path / "a-file" / "receipts")
    with client_on(engine, database_url, data_dir=tmp_path, receipt_store=store) as client:
        answer = client.get("/ready")
    assert answer.status_code == 503
    assert answer.json()["checks"]["receipts"].startswith(f"directory {store} is not writable")
    assert answer.json()["checks"]["database"] == "ok"


def test_ready_follows_the_bucket(
    engine: Engine, database_url: URL, tmp_path: Path, object_store: ObjectStore
) -> None:
    def ready(location: str) -> Any:
        with client_on(
            engine,
            database_url,
            data_dir=tmp_path,
            receipt_store=location,
            s3_endpoint_url=object_store.endpoint_url,
        ) as client:
            return client.get("/ready")

    assert ready(object_store.location()).status_code == 200
    missing = ready("s3://no-such-bucket/receipts")
    assert missing.status_code == 503
    assert missing.json()["checks"]["receipts"] == "bucket no-such-bucket: not found"


def test_both_are_in_the_openapi_document_with_the_503(nowhere: Engine) -> None:
    container = Container(
        Settings(demo=False, sandbox_enabled=False, run_worker=False),
        nowhere.url,
        nowhere,
        sessionmaker(nowhere),
    )
    paths = create_app(container).openapi()["paths"]
    assert "200" in paths["/health"]["get"]["responses"]
    assert {"200", "503"} <= set(paths["/ready"]["get"]["responses"])
    assert "security" not in paths["/ready"]["get"]
