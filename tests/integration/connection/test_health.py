"""The health report shows what stops calls: Exact's 403 Reasons and the rate budget."""

from __future__ import annotations

import pytest

from exact_sandbox.seed import DEMO_CLIENT_ID, DEMO_DIVISION, SECOND_DIVISION
from ledgerbridge.exact.errors import ExactForbidden
from ledgerbridge.gateway.factory import rate_key
from ledgerbridge.services.connection.health import connection_status, health_report

from .conftest import World


@pytest.fixture
def connected(world: World) -> World:
    world.connect()
    world.container.connections.choose_division(world.company_id, DEMO_DIVISION)
    return world


def test_a_blocked_exact_user_shows_as_an_error_with_advice_until_a_call_gets_through(
    connected: World,
) -> None:
    user = connected.sandbox.user_by_name("demo")
    api = connected.container.gateway.api(connected.company_id)
    user.blocked = True
    with pytest.raises(ExactForbidden):
        api.divisions()

    status = connection_status(connected.container.uow, connected.company_id)
    assert (status.status, status.usable) == ("error", False)
    assert status.reason and "BlockedUser" in status.reason and "unblock" in status.reason
    report = health_report(
        connected.container.uow,
        connected.container.gateway,
        connected.container.now,
        connected.company_id,
    )
    assert any("BlockedUser" in problem for problem in report.problems)

    user.blocked = False
    api.divisions()
    status = connection_status(connected.container.uow, connected.company_id)
    assert (status.status, status.usable, status.access_problem) == ("connected", True, None)
    assert (
        health_report(
            connected.container.uow,
            connected.container.gateway,
            connected.container.now,
            connected.company_id,
        ).problems
        == []
    )


def test_losing_access_to_the_administration_names_the_division_and_the_endpoint(
    connected: World,
) -> None:
    connected.sandbox.user_by_name("demo").divisions.remove(DEMO_DIVISION)
    with pytest.raises(ExactForbidden):
        list(connected.container.gateway.api(connected.company_id).journals())

    report = health_report(
        connected.container.uow,
        connected.container.gateway,
        connected.container.now,
        connected.company_id,
    )
    assert report.status.status == "error"
    assert report.status.access_problem == f"NoDivisionAccess: {DEMO_DIVISION}/financial/Journals"
    assert report.errors_this_hour == {f"{DEMO_DIVISION}/financial/Journals": 1}


def test_calls_without_a_division_leave_the_divisions_rate_budget_alone(world: World) -> None:
    # current/Me answers with the rate headers of another window; they must not shrink ours.
    world.sandbox.user_by_name("demo").current_division = SECOND_DIVISION
    world.connect()
    for _ in range(5):
        world.container.connections.list_divisions(world.company_id)  # current/Me each time
    world.container.connections.choose_division(world.company_id, DEMO_DIVISION)
    world.container.gateway.api(world.company_id).me()

    in_division = [c for c in world.sandbox.call_log if c.division == DEMO_DIVISION]
    remaining = world.container.rate_store.remaining(
        rate_key(DEMO_CLIENT_ID, DEMO_DIVISION), world.clock.now()
    )
    assert remaining is not None
    assert remaining[0] == 60 - len(in_division) - 1  # our slot for the last current/Me


def test_a_new_consent_clears_an_access_refusal(connected: World) -> None:
    connected.sandbox.user_by_name("demo").blocked = True
    with pytest.raises(ExactForbidden):
        connected.container.gateway.api(connected.company_id).divisions()
    user = connected.sandbox.user_by_name("demo")
    user.blocked, user.current_division = False, SECOND_DIVISION  # renew calls go elsewhere

    connected.connect("browser-2")  # renew
    assert connection_status(connected.container.uow, connected.company_id).status == "connected"
