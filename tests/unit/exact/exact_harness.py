"""Helpers for the Exact client's unit tests: an in-memory token provider and an
``ExactHttp`` wired to ``httpx.MockTransport`` and a ``FakeClock`` (no real sleeping)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from exact_sandbox.clock import FakeClock
from ledgerbridge.exact.error_budget import InMemoryErrorBudget
from ledgerbridge.exact.http import ExactHttp, RetryPolicy
from ledgerbridge.exact.pacing import InMemoryRateBudgetStore, Pacer

BASE = "https://start.exactonline.nl"
Handler = Callable[[httpx.Request], httpx.Response]


@dataclass
class MemoryTokens:
    """A ``TokenProvider`` that always hands out one token and remembers rejections."""

    token: str = "access-1"
    rejected: list[str] = field(default_factory=list)

    def access_token(self) -> str:
        return self.token

    def token_rejected(self, reason: str) -> None:
        self.rejected.append(reason)


@dataclass
class Harness:
    clock: FakeClock
    tokens: MemoryTokens
    budget: InMemoryErrorBudget
    store: InMemoryRateBudgetStore
    sleeps: list[float]
    requests: list[httpx.Request]

    def http(self, handler: Handler, retry: RetryPolicy | None = None) -> ExactHttp:
        def record(request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            return handler(request)

        def sleep(seconds: float) -> None:
            self.sleeps.append(seconds)
            self.clock.sleep(seconds)

        client = httpx.Client(transport=httpx.MockTransport(record))
        pacer = Pacer(self.store, "client:123", sleep, self.clock.now)
        return ExactHttp(
            client, BASE, self.tokens, pacer, self.budget,
            now=self.clock.now, sleep=sleep,
            retry=retry or RetryPolicy(random=lambda: 0.5),
        )  # fmt: skip


def new_harness() -> Harness:
    return Harness(
        clock=FakeClock(),
        tokens=MemoryTokens(),
        budget=InMemoryErrorBudget(),
        store=InMemoryRateBudgetStore(),
        sleeps=[],
        requests=[],
    )
