"""An Exact connection world: our services + the sandbox in-process on one FakeClock."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from ledgerbridge.bootstrap import Container
from ledgerbridge.config import Settings
from ledgerbridge.db.models.core import Company
from ledgerbridge.sandbox.app import create_sandbox_app
from ledgerbridge.sandbox.clock import FakeClock
from ledgerbridge.sandbox.core import Sandbox
from ledgerbridge.sandbox.seed import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_PASSWORD,
    DEMO_REDIRECT_URIS,
)
from ledgerbridge.sandbox.transport import SandboxTransport
from ledgerbridge.services import connection

SANDBOX_URL = "http://sandbox.test"


@dataclass
class World:
    container: Container
    sandbox: Sandbox
    clock: FakeClock
    company_id: uuid.UUID

    def consent(self, authorize_url: str, username: str = "demo") -> tuple[str, str]:
        """Play the browser at the sandbox's consent page; returns (code, state) as sent back."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
        form = query | {"username": username, "password": DEMO_PASSWORD, "action": "allow"}
        answer = self.container.http.post(authorize_url, data=form)
        assert answer.status_code in (302, 303), answer.text
        back = parse_qs(urlsplit(answer.headers["location"]).query)
        return back["code"][0], back["state"][0]

    def connect(self, session_id: str = "browser-1") -> connection.ConnectResult:
        """The whole OAuth dance through our services (the demo user has two divisions)."""
        url = connection.start_connect(self.container, self.company_id, session_id)
        code, state = self.consent(url)
        return connection.complete_connect(self.container, session_id, code, state)

    def token_calls(self) -> int:
        """Token-endpoint calls the sandbox counted today for the demo user and app."""
        user = next(u for u in self.sandbox.users.values() if u.username == "demo")
        return self.sandbox.auth.token_calls(DEMO_CLIENT_ID, user.user_id)


def make_settings(data_dir: Path) -> Settings:
    return Settings(
        data_dir=data_dir,
        secret_key=Fernet.generate_key().decode(),
        exact_region="custom",
        exact_base_url=SANDBOX_URL,
        exact_client_id=DEMO_CLIENT_ID,
        exact_client_secret=DEMO_CLIENT_SECRET,
        exact_redirect_url=DEMO_REDIRECT_URIS[0],
        exact_minute_safety_margin=2,
    )


def add_company(session_factory: sessionmaker[Session], slug: str = "acme") -> uuid.UUID:
    with session_factory.begin() as session:
        company = Company(slug=slug, name=f"{slug.title()} B.V.", base_currency="EUR")
        session.add(company)
        session.flush()
        return company.id


@pytest.fixture
def world(
    session_factory: sessionmaker[Session], engine: Engine, database_url: URL, tmp_path: Path
) -> Iterator[World]:
    clock = FakeClock()
    sandbox = Sandbox(clock)
    http = httpx.Client(transport=SandboxTransport(create_sandbox_app(sandbox)), timeout=30)
    container = Container(
        settings=make_settings(tmp_path),
        database_url=database_url,
        engine=engine,
        session_factory=session_factory,
        http=http,
        now=clock.now,
        sleep=clock.sleep,
    )
    yield World(container, sandbox, clock, add_company(session_factory))
    if "jobs" in container.__dict__:
        container.jobs.close()
    http.close()
