"""Pacing through the PostgreSQL budget store: the minute budget is used, 429s are not earned."""

from __future__ import annotations

from collections import Counter

from exact_sandbox.seed import DEMO_DIVISION

from .conftest import World


def test_six_hundred_calls_through_one_division_use_the_minute_budget_without_a_429(
    world: World,
) -> None:
    world.connect()
    world.container.connections.choose_division(world.company_id, DEMO_DIVISION)
    api = world.container.gateway.api(world.company_id)

    for _ in range(600):
        api.divisions()

    calls = [c for c in world.sandbox.call_log if c.division == DEMO_DIVISION]
    assert len(calls) >= 600
    assert [c for c in calls if c.status == 429] == []
    per_minute = Counter(c.instant.replace(second=0, microsecond=0) for c in calls)
    full_minutes = sorted(per_minute)[:-1]  # the last minute is cut short by the test's end
    used = sum(per_minute[m] for m in full_minutes) / (60 * len(full_minutes))
    assert used >= 0.95
    # ~10 minutes on the sandbox clock: the access token was refreshed along the way.
    assert world.token_calls() >= 2
