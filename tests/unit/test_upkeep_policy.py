"""Adaptive polling (domain.upkeep): intervals back off, come down, and respect prep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ledgerbridge.domain.upkeep import (
    OFTEN,
    RARELY,
    PollPolicy,
    PollState,
    UpkeepPolicy,
    after_poll,
    due_at,
    due_resources,
    is_active,
    next_due,
)

T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
M = timedelta(minutes=1)
POLICY = UpkeepPolicy.from_minutes()


def polled(resource: str, interval_minutes: int, ago_minutes: int) -> PollState:
    return PollState(resource, interval_minutes * M, T0 - ago_minutes * M)


@pytest.mark.parametrize(
    ("resource", "before", "changed", "reset", "after"),
    [
        ("suppliers", None, False, False, 5),  # first poll: base
        ("suppliers", 5, False, False, 10),  # nothing new: doubles
        ("suppliers", 160, False, False, 180),  # … up to the ceiling
        ("suppliers", 180, False, False, 180),
        ("suppliers", 180, True, False, 5),  # a change: back to base
        ("suppliers", 180, False, True, 5),  # "Sync now": back to base
        ("vat_codes", None, False, False, 15),
        ("vat_codes", 240, False, False, 360),
        ("vat_codes", 360, True, False, 15),
        ("division", 60, False, False, 120),
    ],
)
def test_an_interval_backs_off_without_changes_and_comes_down_with_one(
    resource: str, before: int | None, changed: bool, reset: bool, after: int
) -> None:
    state = None if before is None else polled(resource, before, 0)
    moved = after_poll(state, resource, POLICY, changed=changed, now=T0, reset=reset)
    assert moved.interval == after * M
    assert moved.last_polled_at == T0
    assert (moved.last_change_at == T0) is changed


def test_a_change_is_remembered_until_the_next_one() -> None:
    changed = after_poll(None, "suppliers", POLICY, changed=True, now=T0)
    quiet = after_poll(changed, "suppliers", POLICY, changed=False, now=T0 + 5 * M)
    assert quiet.last_change_at == T0


@pytest.mark.parametrize(
    ("state", "active", "covered", "due"),
    [
        (polled("suppliers", 180, 0), False, False, T0 + 180 * M),
        (polled("suppliers", 180, 0), True, False, T0 + 15 * M),  # prep caps the interval
        (polled("suppliers", 5, 0), True, False, T0 + 5 * M),  # … but never slows it down
        (polled("suppliers", 5, 0), False, True, T0 + 360 * M),  # a webhook: safety net only
        (polled("suppliers", 5, 0), True, True, T0 + 360 * M),
        (PollState("suppliers", 5 * M), False, False, None),  # never polled: due now
    ],
)
def test_when_a_resource_is_due(
    state: PollState, active: bool, covered: bool, due: datetime | None
) -> None:
    assert due_at(state, POLICY, active=active, covered=covered) == due


def test_resources_due_within_the_grace_minute_are_polled_together() -> None:
    states = {
        "gl_accounts": polled("gl_accounts", 10, 10),  # due now
        "suppliers": PollState("suppliers", 10 * M, T0 - 9 * M - 30 * timedelta(seconds=1)),
        "projects": polled("projects", 10, 5),  # due in 5 minutes
    }
    found = due_resources(
        states, POLICY, T0, active=False, resources=("gl_accounts", "suppliers", "projects")
    )
    assert found == ["gl_accounts", "suppliers"]
    assert next_due(states, POLICY, active=False, resources=["projects"]) == T0 + 5 * M


def test_a_resource_never_polled_is_due_and_makes_next_due_now() -> None:
    assert due_resources({}, POLICY, T0, active=False, resources=["journals"]) == ["journals"]
    assert next_due({}, POLICY, active=False, resources=["journals"]) is None


def test_prep_counts_as_active_for_the_active_window_only() -> None:
    assert is_active(T0 - 20 * M, T0, POLICY)
    assert not is_active(T0 - 21 * M, T0, POLICY)
    assert not is_active(None, T0, POLICY)


def test_the_settings_numbers_make_the_tiers() -> None:
    policy = UpkeepPolicy.from_minutes(often=2, often_ceiling=60, rarely=30, rarely_ceiling=600)
    assert {policy.of(r).base for r in OFTEN} == {2 * M}
    assert {policy.of(r).ceiling for r in RARELY} == {600 * M}
    assert policy.of("division").base == 60 * M


@pytest.mark.parametrize(
    "bad",
    [
        {"base": 0 * M, "ceiling": M, "active_ceiling": M},
        {"base": 2 * M, "ceiling": M, "active_ceiling": M},
        {"base": M, "ceiling": M, "active_ceiling": 0 * M},
    ],
)
def test_a_policy_that_cannot_work_is_refused(bad: dict[str, timedelta]) -> None:
    with pytest.raises(ValueError):
        PollPolicy(**bad)
