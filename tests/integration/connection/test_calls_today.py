"""Today's Exact calls by purpose, and what is left, as Integrations › Manage shows them."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from auth_headers import bearer
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from exact_sandbox.seed import DEMO_CLIENT_ID, DEMO_DIVISION
from ledgerbridge.db.models.upkeep import ExactCallCountRow
from ledgerbridge.exact.errors import ExactBudgetExhausted, ExactRateLimited
from ledgerbridge.exact.pacing import RateHeaders, next_midnight
from ledgerbridge.exact.purpose import Purpose, calls_for
from ledgerbridge.gateway.factory import rate_key
from ledgerbridge.gateway.stores import PostgresErrorBudget, PostgresRateBudgetStore
from ledgerbridge.services.access import setup, signin
from ledgerbridge.services.connection.budget import CallsToday, calls_today
from ledgerbridge.web.app import create_app
from ledgerbridge.web.deps import SESSION_COOKIE

from .conftest import World

PASSWORD = "correct horse battery"
KEY = rate_key(DEMO_CLIENT_ID, DEMO_DIVISION)


@pytest.fixture
def connected(world: World) -> World:
    world.connect()
    world.container.connections.choose_division(world.company_id, DEMO_DIVISION)
    return world


def today(world: World) -> CallsToday:
    return calls_today(world.container.uow, world.company_id, world.clock.now())


def sent_in_division(world: World) -> int:
    return len([c for c in world.sandbox.call_log if c.division == DEMO_DIVISION])


def test_calls_under_dimension_upkeep_count_there_and_the_others_under_other(
    connected: World,
) -> None:
    api = connected.container.gateway.api(connected.company_id)
    before, sent_before = today(connected), sent_in_division(connected)

    with calls_for(Purpose.DIMENSION_UPKEEP):
        list(api.journals())
        list(api.vat_codes())
    upkeep = sent_in_division(connected) - sent_before
    api.divisions()
    api.divisions()
    after = today(connected)

    assert upkeep >= 2
    assert after.by_purpose[Purpose.DIMENSION_UPKEEP] == upkeep
    assert after.by_purpose[Purpose.OTHER] == before.by_purpose[Purpose.OTHER] + 2
    assert list(after.by_purpose) == list(Purpose)  # every purpose, zeros included
    assert after.by_purpose[Purpose.EXPORTS] == after.by_purpose[Purpose.RECEIPTS] == 0
    assert after.total == sum(after.by_purpose.values())
    assert after.day_limit == 5000
    # Exact's own count, as its headers said, less nothing in flight.
    assert after.day_remaining == 5000 - sent_in_division(connected)
    assert after.resets_at == next_midnight(connected.clock.now())


def test_a_token_refresh_counts_under_token_and_the_first_exchange_under_division_0(
    connected: World,
) -> None:
    api = connected.container.gateway.api(connected.company_id)
    api.divisions()
    before, token_calls = today(connected), connected.token_calls()
    connected.clock.advance(590)  # the access token is in its last 30 s

    api.divisions()

    after = today(connected)
    assert connected.token_calls() == token_calls + 1
    assert after.by_purpose[Purpose.TOKEN] == before.by_purpose[Purpose.TOKEN] + 1
    assert after.by_purpose[Purpose.OTHER] == before.by_purpose[Purpose.OTHER] + 1
    with connected.container.session_factory() as session:
        exchange = session.execute(
            select(ExactCallCountRow.calls).where(
                ExactCallCountRow.key == rate_key(DEMO_CLIENT_ID, 0),
                ExactCallCountRow.purpose == "token",
            )
        ).scalar_one()
    assert exchange == 1  # the code exchange, before a division was chosen


def test_the_day_rolls_over_at_midnight_utc(world: World) -> None:
    world.clock.set(datetime(2026, 12, 3, 23, 58, tzinfo=UTC))
    world.connect()
    world.container.connections.choose_division(world.company_id, DEMO_DIVISION)
    api = world.container.gateway.api(world.company_id)
    api.divisions()
    late = today(world)
    assert late.day == datetime(2026, 12, 3).date() and late.by_purpose[Purpose.OTHER] > 0
    assert late.day_remaining < 5000

    world.clock.set(datetime(2026, 12, 4, 0, 0, 5, tzinfo=UTC))
    fresh = today(world)
    assert fresh.total == 0 and fresh.day == datetime(2026, 12, 4).date()
    assert fresh.day_remaining == fresh.day_limit == 5000
    assert fresh.resets_at == datetime(2026, 12, 5, tzinfo=UTC)

    api.divisions()
    assert today(world).by_purpose[Purpose.OTHER] == 1


def _counted(session_factory: sessionmaker[Session]) -> list[tuple[str, date, str, int]]:
    with session_factory() as session:
        rows = session.execute(select(ExactCallCountRow)).scalars()
        return sorted((r.key, r.day, r.purpose, r.calls) for r in rows)


def test_eighty_racing_calls_count_exactly_the_slots_they_took(
    session_factory: sessionmaker[Session],
) -> None:
    store = PostgresRateBudgetStore(session_factory, minute_margin=3, day_margin=10)
    # 00:30 in Amsterdam is still the previous day in UTC, Exact's day.
    now = datetime(2026, 12, 4, 0, 30, 5, tzinfo=timezone(timedelta(hours=1)))
    with ThreadPoolExecutor(max_workers=20) as pool:
        waits = list(pool.map(lambda _: store.acquire("app:1", now, Purpose.EXPORTS), range(80)))

    assert len([w for w in waits if w == 0.0]) == 57
    assert _counted(session_factory) == [("app:1", date(2026, 12, 3), "exports", 57)]


def test_calls_refused_before_sending_are_not_counted(connected: World) -> None:
    c = connected.container
    http, division = c.gateway.http(connected.company_id)
    http.get(f"{division}/financial/GLAccounts", {"$select": "ID"})
    before, sent = today(connected), len(connected.sandbox.call_log)
    now = connected.clock.now()
    errors = PostgresErrorBudget(c.session_factory, connected.company_id)
    for _ in range(8):
        errors.record(f"{division}/vat/VATCodes", 404, now)

    with calls_for(Purpose.EXPORTS):
        with pytest.raises(ExactBudgetExhausted):
            http.get(f"{division}/vat/VATCodes")
        spent = RateHeaders(day_limit=5000, day_remaining=10, day_reset=next_midnight(now))
        c.rate_store.observe(KEY, spent, now)
        with pytest.raises(ExactRateLimited):
            http.get(f"{division}/financial/GLAccounts", {"$select": "ID"})

    assert len(connected.sandbox.call_log) == sent
    after = today(connected)
    assert after.by_purpose == before.by_purpose
    assert after.day_remaining == 10


def test_a_read_sent_again_after_a_503_is_counted_twice(connected: World) -> None:
    http, division = connected.container.gateway.http(connected.company_id)
    http.get(f"{division}/financial/GLAccounts", {"$select": "ID"})
    before, sent = today(connected), sent_in_division(connected)
    connected.sandbox.faults.fail(503, count=1)

    with calls_for(Purpose.RECEIPTS):
        http.get(f"{division}/financial/GLAccounts", {"$select": "ID"})

    assert sent_in_division(connected) == sent + 2
    assert today(connected).by_purpose[Purpose.RECEIPTS] == before.by_purpose[Purpose.RECEIPTS] + 2


@pytest.fixture
def two_companies(connected: World) -> Iterator[tuple[World, TestClient, TestClient]]:
    c = connected.container
    setup.add_user(c.uow, "acme", "anna@acme.example", "viewer", PASSWORD)
    setup.create_company(c.uow, "beta", "Beta B.V.")
    setup.add_user(c.uow, "beta", "bob@beta.example", "admin", PASSWORD)
    app = create_app(c)
    with TestClient(app) as anna, TestClient(app) as bob:
        for client, email in ((anna, "anna@acme.example"), (bob, "bob@beta.example")):
            # Signed in on the sandbox's clock (a login form's cookie would carry an
            # expiry in that clock's past).
            client.cookies.set(SESSION_COOKIE, signin.sign_in(c.uow, c.now, email, PASSWORD).token)
        yield connected, anna, bob


def test_the_manage_page_shows_todays_calls_and_what_is_left_to_its_own_company_only(
    two_companies: tuple[World, TestClient, TestClient],
) -> None:
    world, anna, bob = two_companies
    api = world.container.gateway.api(world.company_id)
    with calls_for(Purpose.DIMENSION_UPKEEP):
        for _ in range(3):
            api.divisions()
    figures = today(world)

    page = anna.get("/integrations", headers={"Accept-Language": "en"}).text
    theirs = bob.get("/integrations", headers={"Accept-Language": "en"}).text

    assert "Exact Online calls today" in page
    for label in ("Exports", "Receipts", "Dimension upkeep", "Token", "Other"):
        assert f'<th scope="row">{label}</th>' in page
    assert '<th scope="row">Dimension upkeep</th><td class="num">3</td>' in page
    assert f'<th scope="row">Total</th><td class="num">{figures.total}</td>' in page
    left = f"{figures.day_remaining:,}"
    assert f"Left today: {left} of 5,000" in page
    assert "resets" in page and "UTC" in page
    assert "Exact Online calls today" not in theirs
    assert f"Left today: {left}" not in theirs


def test_the_health_api_answers_calls_today_for_the_callers_company_only(
    connected: World,
) -> None:
    c = connected.container
    setup.create_company(c.uow, "beta", "Beta B.V.")
    api = c.gateway.api(connected.company_id)
    with calls_for(Purpose.DIMENSION_UPKEEP):
        api.divisions()
    app = create_app(c)
    with TestClient(app, headers=bearer(c.session_factory, "acme", "viewer")) as acme:
        ours = acme.get("/api/v1/integrations/exact/health").json()["calls_today"]
    with TestClient(app, headers=bearer(c.session_factory, "beta", "viewer")) as beta:
        theirs = beta.get("/api/v1/integrations/exact/health").json()["calls_today"]

    assert ours["division"] == DEMO_DIVISION
    assert ours["by_purpose"]["dimension_upkeep"] == 1
    assert set(ours["by_purpose"]) == {p.value for p in Purpose}
    assert ours["total"] == sum(ours["by_purpose"].values())
    assert ours["day_limit"] == 5000 and ours["day_remaining"] < 5000
    assert ours["resets_at"].startswith("2026-11-03T00:00:00")
    assert theirs["division"] is None
    assert theirs["total"] == 0 and set(theirs["by_purpose"].values()) == {0}
    assert theirs["day_remaining"] == 5000
