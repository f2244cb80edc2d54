"""Adaptive dimension upkeep against the sandbox: only what is due is polled, intervals
back off while Exact is quiet, prep and "Sync now" speed it up, and an export run
always starts from fresh master data."""

from __future__ import annotations

import itertools
from datetime import timedelta

from dimension_fakes import Line, add_transaction
from sandbox_world import World

from exact_sandbox.seed import DEMO_DIVISION
from ledgerbridge.domain.dimensions import DimensionKind
from ledgerbridge.domain.upkeep import DIVISION, PERIODS, UpkeepPolicy
from ledgerbridge.services.dimensions.sync import sync_company
from ledgerbridge.services.dimensions.upkeep import (
    POLLED,
    note_prep_activity,
    queue_due_syncs,
    refresh_before_export,
    upkeep_sync,
)

M = timedelta(minutes=1)
POLICY = UpkeepPolicy.from_minutes()
RARE = ["vat_codes", "journals", "cost_centers", "cost_units", "document_types"]


def poll(world: World) -> tuple[list[str], list[str]]:
    """One upkeep run: (resources polled, Exact endpoints called)."""
    before = len(world.sandbox.call_log)
    c = world.container
    outcome = upkeep_sync(c.uow, c.gateway, c.now, world.company_id, POLICY)
    polled = [] if outcome is None else outcome.polled
    return polled, [r.endpoint for r in world.sandbox.call_log[before:]]


def minutes_polled(world: World, resource: str, minutes: int) -> list[int]:
    """Tick every minute for ``minutes``: the minutes at which ``resource`` was polled."""
    found = []
    for minute in range(1, minutes + 1):
        world.clock.advance(M)
        if resource in poll(world)[0]:
            found.append(minute)
    return found


def connected(world: World) -> World:
    c = world.container
    sync_company(c.uow, c.gateway, c.now, world.company_id, mode="full", reset_intervals=True)
    return world


def test_right_after_a_full_pull_nothing_is_due_and_no_call_is_made(world: World) -> None:
    connected(world)
    world.clock.advance(M)
    assert poll(world) == ([], [])


def test_only_the_due_resources_are_polled_sharing_one_deleted_call(world: World) -> None:
    before_pull = len(world.sandbox.call_log)
    connected(world)
    world.clock.advance(5 * M)
    polled, endpoints = poll(world)
    assert polled == ["gl_accounts", "suppliers", "projects"]
    assert len(endpoints) == 4  # three resources and sync/Deleted once
    assert sum("sync/Deleted" in e for e in endpoints) == 1
    world.clock.advance(10 * M)  # 15 minutes after the pull: the rare kinds too
    polled, endpoints = poll(world)
    assert polled == ["gl_accounts", "suppliers", "projects", *RARE]
    assert len(endpoints) == 9
    with world.container.uow() as uow:  # what Integrations › Manage shows for today
        today = uow.calls.of_day(world.company_id, world.clock.now().date())
    assert today is not None
    assert today.by_purpose["dimension_upkeep"] == len(world.sandbox.call_log) - before_pull


def test_a_quiet_exact_is_polled_less_and_less_often(world: World) -> None:
    connected(world)
    moments = minutes_polled(world, "suppliers", 24 * 60)
    gaps = [b - a for a, b in zip([0, *moments], moments, strict=False)]
    assert gaps[:6] == [5, 10, 20, 40, 80, 160]
    assert set(gaps[6:]) == {180}  # the ceiling: about 8 polls a day from then on


def test_a_change_brings_only_that_resources_interval_back_down(world: World) -> None:
    connected(world)
    minutes_polled(world, "gl_accounts", 35)  # polled at 5, 15, 35: the interval is now 40
    world.sandbox.block_gl_account(DEMO_DIVISION, "4200")
    assert minutes_polled(world, "gl_accounts", 40) == [40]
    assert world.held()[(DimensionKind.GL_ACCOUNT, "4200")].blocked
    assert minutes_polled(world, "gl_accounts", 5) == [5]  # back at 5 minutes
    assert minutes_polled(world, "suppliers", 30) == []  # nothing new there: still 80


def test_while_someone_works_in_prep_every_resource_is_polled_within_15_minutes(
    world: World,
) -> None:
    connected(world)
    minutes_polled(world, "suppliers", 6 * 60)  # idle: long intervals by now
    c = world.container
    for resource in [r for r in POLLED if r not in (DIVISION, PERIODS)]:  # hourly and slower
        note_prep_activity(c.uow, world.company_id, c.now)
        polls = []
        for minute in range(1, 46):
            world.clock.advance(M)
            note_prep_activity(c.uow, world.company_id, c.now)  # the user keeps working
            if resource in poll(world)[0]:
                polls.append(minute)
        gaps = [b - a for a, b in itertools.pairwise(polls)]
        assert polls and polls[0] <= 15 and all(g <= 15 for g in gaps), (resource, polls)
    world.clock.advance(21 * M)  # the user left: back to the long intervals
    assert minutes_polled(world, "suppliers", 30) == []


def test_sync_now_reads_everything_and_brings_every_interval_down(world: World) -> None:
    connected(world)
    minutes_polled(world, "suppliers", 6 * 60)
    c = world.container
    outcome = sync_company(c.uow, c.gateway, c.now, world.company_id, reset_intervals=True)
    assert outcome.polled == list(POLLED)
    assert minutes_polled(world, "suppliers", 5) == [5]


def test_the_minute_tick_queues_only_companies_with_something_due(world: World) -> None:
    connected(world)
    c = world.container
    assert queue_due_syncs(c.uow, c.queue, POLICY, c.now) == 0
    world.clock.advance(5 * M)
    assert queue_due_syncs(c.uow, c.queue, POLICY, c.now) == 1
    assert queue_due_syncs(c.uow, c.queue, POLICY, c.now) == 0  # already waiting


def test_an_export_run_starts_from_fresh_master_data(world: World) -> None:
    connected(world)
    c = world.container
    blocked = add_transaction(c.session_factory, world.company_id, "t1", Line("4200", "2"),
                              status="ready")  # fmt: skip
    fine = add_transaction(c.session_factory, world.company_id, "t2", Line("4000", "2"),
                           status="ready")  # fmt: skip
    world.clock.advance(30 * M)
    world.sandbox.block_gl_account(DEMO_DIVISION, "4200")  # no sync in between

    before = len(world.sandbox.call_log)
    outcome = refresh_before_export(c.uow, c.gateway, c.now, world.company_id, POLICY)

    assert outcome is not None and outcome.status == "ok"
    assert len(world.sandbox.call_log) - before == 11  # 8 resources, Deleted, division, periods
    status, reason = world.status_of(blocked)
    assert status == "to_prepare" and reason is not None and "4200" in reason
    assert world.status_of(fine) == ("ready", None)
    # Read seconds ago: the next run does not read it again.
    world.clock.advance(timedelta(seconds=30))
    assert refresh_before_export(c.uow, c.gateway, c.now, world.company_id, POLICY) is None


def test_a_resource_a_webhook_covers_is_polled_only_as_a_safety_net(world: World) -> None:
    connected(world)
    with world.container.uow() as uow:
        uow.webhooks.save_subscription(world.company_id, topic="Accounts", division=DEMO_DIVISION,
                                       subscription_id="s-1", callback_url="https://lb.example/x",
                                       at=world.clock.now())  # fmt: skip
        uow.commit()
    c = world.container
    polls = []
    for minute in range(1, 6 * 60 + 1):
        world.clock.advance(M)
        note_prep_activity(c.uow, world.company_id, c.now)  # even with a user in prep
        if "suppliers" in poll(world)[0]:
            polls.append(minute)
    assert polls == [360]  # the safety net; GL accounts and the rest keep their intervals
