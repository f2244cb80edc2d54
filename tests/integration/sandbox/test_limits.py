"""Exact's rate limits and error budget in the sandbox (EXACT_API.md §2.6, §3)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from exact_sandbox.clock import FakeClock
from exact_sandbox.core import Sandbox, SandboxApp
from exact_sandbox.seed import DEMO_DIVISION, SECOND_DIVISION

START = datetime(2026, 11, 2, 9, 0, 10, tzinfo=UTC)
ACCOUNTS = "financial/GLAccounts?$select=ID,Code&$top=1"
MISSING = "financial/GLAccounts(guid'00000000-0000-0000-0000-0000000000ab')?$select=ID"
MINUTELY = {"x-ratelimit-minutely-limit", "x-ratelimit-minutely-remaining"}
DAILY = {"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"}
CallFn = Callable[..., httpx.Response]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def call(client: httpx.Client, sandbox: Sandbox, clock: FakeClock) -> CallFn:
    """GET as the demo user; consents again when the access token would have expired."""
    token: dict[str, Any] = {"value": "", "issued": START - timedelta(days=1)}

    def call(path: str = ACCOUNTS, division: int = DEMO_DIVISION) -> httpx.Response:
        if clock.now() - token["issued"] >= timedelta(seconds=590):
            token.update(value=sandbox.auth.connect("demo")["access_token"], issued=clock.now())
        headers = {"Authorization": f"Bearer {token['value']}", "Accept": "application/json"}
        return client.get(f"/api/v1/{division}/{path}", headers=headers)

    return call


def epoch_ms(instant: datetime) -> str:
    return str(int(instant.timestamp() * 1000))


def test_successful_calls_report_both_windows_in_epoch_milliseconds(call: CallFn) -> None:
    answer = call()
    assert answer.status_code == 200
    assert answer.headers["x-ratelimit-limit"] == "5000"
    assert answer.headers["x-ratelimit-remaining"] == "4999"
    assert answer.headers["x-ratelimit-reset"] == epoch_ms(datetime(2026, 11, 3, tzinfo=UTC))
    assert answer.headers["x-ratelimit-minutely-limit"] == "60"
    assert answer.headers["x-ratelimit-minutely-remaining"] == "59"
    next_minute = datetime(2026, 11, 2, 9, 1, tzinfo=UTC)
    assert answer.headers["x-ratelimit-minutely-reset"] == epoch_ms(next_minute)


def test_the_61st_call_in_a_minute_is_429_until_the_next_whole_minute(
    call: CallFn, clock: FakeClock
) -> None:
    for _ in range(60):
        assert call().status_code == 200
    refused = call()
    assert refused.status_code == 429
    assert refused.content == b""
    assert set(refused.headers) >= MINUTELY
    assert not DAILY & set(refused.headers)
    assert refused.headers["x-ratelimit-minutely-remaining"] == "0"
    next_minute = datetime(2026, 11, 2, 9, 1, tzinfo=UTC)
    assert refused.headers["x-ratelimit-minutely-reset"] == epoch_ms(next_minute)
    clock.set(next_minute - timedelta(milliseconds=1))
    assert call().status_code == 429
    clock.set(next_minute)
    allowed = call()
    assert allowed.status_code == 200
    assert allowed.headers["x-ratelimit-minutely-remaining"] == "59"
    assert allowed.headers["x-ratelimit-remaining"] == "4939"


def test_the_daily_limit_gives_429_with_only_the_daily_headers(
    call: CallFn, sandbox: Sandbox, clock: FakeClock
) -> None:
    sandbox.settings.day_limit = 5
    for _ in range(5):
        assert call().status_code == 200
    refused = call()
    assert refused.status_code == 429
    assert refused.content == b""
    assert set(refused.headers) >= DAILY
    assert not MINUTELY & set(refused.headers)
    clock.advance(timedelta(minutes=30))
    assert call().status_code == 429
    clock.set(datetime(2026, 11, 3, 0, 0, tzinfo=UTC))
    assert call().status_code == 200


def test_limits_count_per_division(call: CallFn, sandbox: Sandbox) -> None:
    sandbox.settings.minute_limit = 3
    for _ in range(3):
        call()
    assert call().status_code == 429
    assert call(division=SECOND_DIVISION).status_code == 200


def test_limits_count_per_app(call: CallFn, client: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.settings.minute_limit = 3
    other = SandboxApp("other-app", "other-secret", ["https://other.example/cb"], "Other app")
    sandbox.apps[other.client_id] = other
    for _ in range(3):
        call()
    assert call().status_code == 429
    access = sandbox.auth.connect("demo", "other-app")["access_token"]
    headers = {"Authorization": f"Bearer {access}", "Accept": "application/json"}
    assert client.get(f"/api/v1/{DEMO_DIVISION}/{ACCOUNTS}", headers=headers).status_code == 200


def test_the_11th_404_in_an_hour_blocks_that_endpoint_for_an_hour(
    call: CallFn, clock: FakeClock
) -> None:
    for _ in range(11):
        assert call(MISSING).status_code == 404
    blocked = call()
    assert blocked.status_code == 403
    assert blocked.headers["reason"] == "TooManyErrors"
    assert call("financial/Journals?$select=Code").status_code == 200
    clock.advance(timedelta(minutes=59))
    assert call().status_code == 403
    clock.advance(timedelta(minutes=1))
    assert call().status_code == 200


def test_ten_errors_in_an_hour_do_not_block(call: CallFn, clock: FakeClock) -> None:
    for _ in range(10):
        assert call(MISSING).status_code == 404
    clock.advance(timedelta(minutes=61))
    for _ in range(10):
        assert call(MISSING).status_code == 404
    assert call().status_code == 200


def test_a_429_does_not_use_up_the_window(call: CallFn, sandbox: Sandbox, clock: FakeClock) -> None:
    sandbox.settings.minute_limit = 2
    for _ in range(5):
        call()
    clock.advance(60)
    assert call().headers["x-ratelimit-remaining"] == str(5000 - 3)
