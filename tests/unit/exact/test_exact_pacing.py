"""Pacing: the budget is spent fully without earning a 429; no real sleeping."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from exact_harness import Harness

from exact_sandbox.clock import FakeClock
from ledgerbridge.exact.errors import ExactRateLimited
from ledgerbridge.exact.pacing import (
    InMemoryRateBudgetStore,
    Pacer,
    RateHeaders,
    sleeping_at_most,
)

NOON = datetime(2026, 11, 2, 12, 0, 0, tzinfo=UTC)


class MinuteLimitedServer:
    """Enforces 60 calls per whole clock minute like Exact; each call takes 0.25 s."""

    def __init__(self, clock: FakeClock, send_headers: bool = True) -> None:
        self.clock, self.send_headers = clock, send_headers
        self.per_minute: Counter[datetime] = Counter()
        self.rejected = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        now = self.clock.now()
        minute = now.replace(second=0, microsecond=0)
        self.clock.advance(0.25)
        if self.per_minute[minute] >= 60:
            self.rejected += 1
            return httpx.Response(429, headers=self._headers(minute, 0))
        self.per_minute[minute] += 1
        headers = self._headers(minute, 60 - self.per_minute[minute])
        return httpx.Response(200, json={"d": {"results": []}}, headers=headers)

    def _headers(self, minute: datetime, remaining: int) -> dict[str, str]:
        if not self.send_headers:
            return {}
        reset = int((minute + timedelta(minutes=1)).timestamp() * 1000)
        return {
            "X-RateLimit-Minutely-Limit": "60",
            "X-RateLimit-Minutely-Remaining": str(remaining),
            "X-RateLimit-Minutely-Reset": str(reset),
        }


@pytest.mark.parametrize("send_headers", [True, False])
def test_600_calls_through_one_division_earn_no_429_and_use_95_percent_of_the_budget(
    harness: Harness, send_headers: bool
):
    harness.clock.set(NOON + timedelta(seconds=20))  # start mid-minute, as real work does
    server = MinuteLimitedServer(harness.clock, send_headers)
    http = harness.http(server)
    for _ in range(600):
        http.get("123/financial/GLAccounts", {"$select": "ID"})
    assert server.rejected == 0
    full_minutes = sorted(server.per_minute)[1:-1]  # the first and last are partial
    assert len(full_minutes) >= 8
    assert all(server.per_minute[m] >= 57 for m in full_minutes)


def test_a_pacer_waits_for_the_next_minute_when_the_minute_budget_is_spent():
    clock = FakeClock(NOON)
    store = InMemoryRateBudgetStore(minute_margin=2)
    pacer = Pacer(store, "app:1", clock.sleep, clock.now)
    for _ in range(58):
        pacer.wait()
    assert clock.now() == NOON
    pacer.wait()
    assert clock.now() == NOON + timedelta(minutes=1)


def test_inside_sleeping_at_most_a_spent_minute_raises_with_the_reset_instead_of_sleeping():
    clock = FakeClock(NOON + timedelta(seconds=30))
    store = InMemoryRateBudgetStore(minute_margin=2)
    pacer = Pacer(store, "app:1", clock.sleep, clock.now)
    with sleeping_at_most(5):
        for _ in range(58):
            pacer.wait()
        with pytest.raises(ExactRateLimited) as raised:
            pacer.wait()
    assert (raised.value.window, raised.value.retry_at) == ("minute", NOON + timedelta(minutes=1))
    assert clock.now() == NOON + timedelta(seconds=30)  # the worker was not held
    clock.set(NOON + timedelta(seconds=58))
    with sleeping_at_most(5):
        pacer.wait()  # 2 s to the reset: short enough to sleep
    assert clock.now() == NOON + timedelta(minutes=1)
    clock.set(NOON + timedelta(minutes=1, seconds=1))
    for _ in range(57):
        pacer.wait()
    pacer.wait()  # outside the block it sleeps again, as before
    assert clock.now() == NOON + timedelta(minutes=2)


def test_what_exact_reports_lowers_the_budget_other_workers_see():
    store = InMemoryRateBudgetStore(minute_margin=2)
    reset = NOON + timedelta(minutes=1)
    store.observe("app:1", RateHeaders(minute_limit=60, minute_remaining=2, minute_reset=reset),
                  NOON)  # fmt: skip
    assert store.acquire("app:1", NOON) == 60.0
    assert store.acquire("app:2", NOON) == 0.0  # another division has its own budget


def test_a_higher_limit_exact_reports_within_the_window_is_ours_to_use_at_once():
    store = InMemoryRateBudgetStore(minute_margin=3)
    for _ in range(10):
        assert store.acquire("app:1", NOON) == 0.0
    reset = NOON + timedelta(minutes=1)
    said = RateHeaders(minute_limit=1000, minute_remaining=995, minute_reset=reset)
    store.observe("app:1", said, NOON)  # five of our ten are not in Exact's count yet
    assert store.remaining("app:1", NOON)[0] == 990
    assert sum(store.acquire("app:1", NOON) == 0.0 for _ in range(1000)) == 987


def test_a_late_answer_from_an_ended_minute_does_not_shrink_the_new_minute():
    store = InMemoryRateBudgetStore()
    later = NOON + timedelta(seconds=70)
    stale = RateHeaders(minute_remaining=0, minute_reset=NOON + timedelta(minutes=1))
    store.observe("app:1", stale, later)
    assert store.acquire("app:1", later) == 0.0


def test_a_spent_day_budget_raises_instead_of_blocking_a_worker_for_hours():
    clock = FakeClock(NOON)
    store = InMemoryRateBudgetStore(day_margin=50)
    midnight = datetime(2026, 11, 3, tzinfo=UTC)
    store.observe("app:1", RateHeaders(day_remaining=50, day_reset=midnight), NOON)
    with pytest.raises(ExactRateLimited) as raised:
        Pacer(store, "app:1", clock.sleep, clock.now).wait()
    assert (raised.value.window, raised.value.retry_at) == ("day", midnight)
    assert clock.now() == NOON


def test_rate_headers_are_read_case_insensitively_from_epoch_milliseconds():
    parsed = RateHeaders.parse({
        "x-ratelimit-limit": "5000", "X-RATELIMIT-REMAINING": "4990",
        "X-RateLimit-Reset": "1638489600000", "X-RateLimit-Minutely-Remaining": "oops",
    })  # fmt: skip
    assert parsed.day_limit == 5000 and parsed.day_remaining == 4990
    assert parsed.day_reset == datetime(2021, 12, 3, tzinfo=UTC)
    assert parsed.minute_remaining is None


def test_threads_sharing_a_store_never_take_more_slots_than_the_minute_allows():
    store = InMemoryRateBudgetStore(minute_margin=2)
    granted: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(10):
            wait = store.acquire("app:1", NOON)
            with lock:
                granted.append(wait)

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert granted.count(0.0) == 58
