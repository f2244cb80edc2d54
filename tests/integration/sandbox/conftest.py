"""Fixtures shared by the sandbox tests: a demo sandbox on a FakeClock and an httpx client
talking to its ASGI app in-process. A test module overrides one by defining its own."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from exact_sandbox.app import create_sandbox_app
from exact_sandbox.clock import FakeClock
from exact_sandbox.core import Sandbox
from exact_sandbox.transport import SandboxTransport


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def sandbox(clock: FakeClock) -> Sandbox:
    return Sandbox(clock)


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[httpx.Client]:
    transport = SandboxTransport(create_sandbox_app(sandbox))
    with httpx.Client(transport=transport, base_url="http://sandbox") as client:
        yield client
