"""Connecting, choosing the division, renewing and disconnecting, as a finance user does it."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from exact_sandbox.seed import DEMO_DIVISION, SECOND_DIVISION
from ledgerbridge.db.models.exact import ExactConnection
from ledgerbridge.exact.errors import ExactAuthLost
from ledgerbridge.services.connection import lifecycle as connection
from ledgerbridge.services.connection.health import connection_status, health_report
from ledgerbridge.services.errors import ConnectRefused

from .conftest import World


def _queued_jobs(world: World) -> list[tuple[str, dict[str, object]]]:
    with world.container.engine.connect() as conn:
        rows = conn.execute(text("SELECT task_name, args FROM procrastinate_jobs ORDER BY id"))
        return [(name, args) for name, args in rows]


def test_connecting_lists_the_users_divisions_and_waits_for_a_choice(world: World) -> None:
    result = world.connect()

    assert result.exact_user_name == "Demo User"
    assert {d.code for d in result.divisions} == {DEMO_DIVISION, SECOND_DIVISION}
    assert result.division is None
    status = connection_status(world.container.uow, world.company_id)
    assert status.needs_division and not status.usable


def test_choosing_a_division_stores_it_and_queues_the_full_dimension_sync(world: World) -> None:
    world.connect()
    world.container.connections.choose_division(world.company_id, SECOND_DIVISION)

    status = connection_status(world.container.uow, world.company_id)
    assert status.usable
    assert (status.division, status.division_name) == (SECOND_DIVISION, "Demo Holding B.V.")
    assert _queued_jobs(world) == [("dimensions.full_sync", {"company_id": str(world.company_id)})]
    # Every URL carries the chosen division, never the user's current one in Exact.
    world.container.gateway.api(world.company_id).divisions()
    assert world.sandbox.call_log[-1].division == SECOND_DIVISION


def test_a_division_the_user_cannot_access_is_refused(world: World) -> None:
    world.connect()
    with pytest.raises(connection.ConnectionNotReady, match="no access to division 999"):
        world.container.connections.choose_division(world.company_id, 999)


def test_a_callback_from_another_browser_session_is_refused(world: World) -> None:
    url = world.container.connections.start_connect(world.company_id, "browser-1").authorize_url
    code, state = world.consent(url)

    with pytest.raises(ConnectRefused):
        world.container.connections.complete_connect("someone-elses-browser", code, state)
    with pytest.raises(ConnectRefused):
        world.container.connections.complete_connect("browser-1", code, "forged-state")
    assert connection_status(world.container.uow, world.company_id).status == "pending"


def test_a_callback_after_fifteen_minutes_is_refused(world: World) -> None:
    url = world.container.connections.start_connect(world.company_id, "browser-1").authorize_url
    code, state = world.consent(url)
    world.clock.advance(16 * 60)
    with pytest.raises(ConnectRefused, match="too long"):
        world.container.connections.complete_connect("browser-1", code, state)


def test_tokens_are_not_readable_in_the_database(world: World) -> None:
    world.connect()
    access = world.container.gateway.tokens(world.company_id).access_token()
    with world.container.engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM exact_connections")).mappings().one()
    stored = " ".join(str(value) for value in row.values())
    assert access not in stored
    assert row["refresh_token_encrypted"].startswith("gAAAA")  # Fernet ciphertext


def test_the_database_allows_one_exact_connection_per_company(world: World) -> None:
    world.connect()
    with pytest.raises(IntegrityError), world.container.session_factory.begin() as session:
        session.add(
            ExactConnection(
                company_id=world.company_id,
                region="nl",
                base_url="https://start.exactonline.nl",
                client_id="other",
                status="pending",
                token_calls_count=0,
            )
        )


def test_renewing_after_a_lost_chain_keeps_the_division_and_queues_no_second_sync(
    world: World,
) -> None:
    world.connect()
    world.container.connections.choose_division(world.company_id, DEMO_DIVISION)
    world.sandbox.auth.revoke()
    world.clock.advance(600)
    with pytest.raises(ExactAuthLost):
        world.container.gateway.api(world.company_id).me()
    assert connection_status(world.container.uow, world.company_id).status == "needs_reauth"

    result = world.connect(session_id="browser-2")

    assert result.division == DEMO_DIVISION
    status = connection_status(world.container.uow, world.company_id)
    assert status.usable and status.reason is None
    assert len(_queued_jobs(world)) == 1


def test_disconnecting_forgets_the_tokens_and_keeps_the_history(world: World) -> None:
    world.connect()
    world.container.connections.choose_division(world.company_id, DEMO_DIVISION)
    world.container.connections.disconnect(world.company_id)

    with world.container.session_factory() as session:
        row = session.execute(select(ExactConnection)).scalar_one()
    assert row.status == "disconnected"
    assert row.access_token_encrypted is None and row.refresh_token_encrypted is None
    assert row.division == DEMO_DIVISION
    with pytest.raises(connection.ConnectionNotReady, match="disconnected"):
        world.container.gateway.api(world.company_id)


def test_the_health_report_shows_token_ages_chain_expiry_and_budget_left(world: World) -> None:
    world.connect()
    world.container.connections.choose_division(world.company_id, DEMO_DIVISION)
    api = world.container.gateway.api(world.company_id)
    for _ in range(5):
        api.divisions()
    world.clock.advance(120)

    report = health_report(
        world.container.uow, world.container.gateway, world.container.now, world.company_id
    )

    assert report.access_token_age_seconds == 120
    assert report.chain_expires_at is not None
    assert (report.chain_expires_at - world.clock.now()).days == 29
    assert report.minute_remaining == report.minute_limit == 60  # a new minute began
    assert report.day_remaining is not None and report.day_remaining < 5000
    assert report.status.last_success_at is not None
    assert report.problems == []


def test_tokens_stay_on_the_host_that_issued_them_when_the_settings_change(world: World) -> None:
    world.connect()
    world.container.connections.choose_division(world.company_id, DEMO_DIVISION)
    issuer = world.container.settings.exact_base_url
    world.container.settings.exact_base_url = "https://start.exactonline.de"

    api = world.container.gateway.api(world.company_id)
    assert api.http.base_url == issuer
    assert api.me().user_name == "demo"
    renew_url = world.container.connections.renew(world.company_id, "browser-1").authorize_url
    assert renew_url.startswith(f"{issuer}/api/oauth2/auth?")
