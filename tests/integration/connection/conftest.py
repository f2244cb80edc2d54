"""An Exact connection world: our services + the sandbox in-process on one FakeClock."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from exact_sandbox.clock import FakeClock
from exact_sandbox.core import Sandbox
from exact_sandbox.seed import (
    DEMO_CLIENT_ID,
    DEMO_PASSWORD,
)
from ledgerbridge.bootstrap import Container
from ledgerbridge.services.connection import lifecycle as connection


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
        url = self.container.connections.start_connect(self.company_id, session_id).authorize_url
        code, state = self.consent(url)
        return self.container.connections.complete_connect(session_id, code, state)

    def token_calls(self) -> int:
        """Token-endpoint calls the sandbox counted today for the demo user and app."""
        user = next(u for u in self.sandbox.users.values() if u.username == "demo")
        return self.sandbox.auth.token_calls(DEMO_CLIENT_ID, user.user_id)


@pytest.fixture
def exact_settings_overrides() -> dict[str, Any]:
    # Pacing tests measure against the 2-call margin the benchmarks use.
    return {"exact_minute_safety_margin": 2}


@pytest.fixture
def world(sandboxed: Any) -> World:  # tests/integration/conftest.py: Sandboxed
    s = sandboxed
    return World(s.container, s.sandbox, s.clock, s.company_id)
