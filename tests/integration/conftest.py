"""Fixtures shared by integration tests that meet Exact through the in-process sandbox."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from exact_sandbox.app import create_sandbox_app
from exact_sandbox.clock import FakeClock
from exact_sandbox.core import Sandbox
from exact_sandbox.seed import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REDIRECT_URIS
from exact_sandbox.transport import SandboxTransport
from ledgerbridge.bootstrap import Container
from ledgerbridge.config import Settings
from ledgerbridge.db.models.core import Company


@dataclass
class Sandboxed:
    """Our container wired to a fresh sandbox on one FakeClock, with one company ("acme")."""

    container: Container
    sandbox: Sandbox
    clock: FakeClock
    company_id: uuid.UUID


@pytest.fixture
def exact_settings_overrides() -> dict[str, Any]:
    """Settings a test folder wants different (override this fixture in its conftest)."""
    return {}


@pytest.fixture
def sandboxed(
    session_factory: sessionmaker[Session],
    engine: Engine,
    database_url: URL,
    tmp_path: Path,
    exact_settings_overrides: dict[str, Any],
) -> Iterator[Sandboxed]:
    clock = FakeClock()
    sandbox = Sandbox(clock)
    http = httpx.Client(transport=SandboxTransport(create_sandbox_app(sandbox)), timeout=30)
    settings = Settings(
        data_dir=tmp_path,
        secret_key=Fernet.generate_key().decode(),
        exact_region="custom",
        exact_base_url="http://sandbox.test",
        exact_client_id=DEMO_CLIENT_ID,
        exact_client_secret=DEMO_CLIENT_SECRET,
        exact_redirect_url=DEMO_REDIRECT_URIS[0],
        **exact_settings_overrides,
    )
    container = Container(
        settings=settings,
        database_url=database_url,
        engine=engine,
        session_factory=session_factory,
        http=http,
        now=clock.now,
        sleep=clock.sleep,
    )
    with session_factory.begin() as session:
        company = Company(slug="acme", name="Acme B.V.", base_currency="EUR")
        session.add(company)
        session.flush()
        company_id = company.id
    yield Sandboxed(container, sandbox, clock, company_id)
    if "jobs" in container.__dict__:
        container.jobs.close()
    http.close()
