"""Connect-flow bugs found by trying it as a new user would (each failed before its fix)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from auth_headers import bearer
from fastapi.testclient import TestClient
from sqlalchemy import text

from exact_sandbox.seed import DEMO_DIVISION, DEMO_PASSWORD
from ledgerbridge.db.models.core import Company
from ledgerbridge.domain.dimensions import Dimension, DimensionKind, DimensionSource
from ledgerbridge.exact.errors import ExactAuthLost
from ledgerbridge.jobs.app import worker_app
from ledgerbridge.services.connection.health import connection_status, health_report
from ledgerbridge.services.dimensions import editing
from ledgerbridge.web.app import create_app

from .conftest import World

BASE = "/api/v1/integrations/exact"


@pytest.fixture
def browser(world: World) -> Iterator[TestClient]:
    headers = bearer(world.container.session_factory, "acme")
    with TestClient(create_app(world.container), headers=headers) as client:
        yield client


def _full_syncs(world: World) -> int:
    with world.container.engine.connect() as conn:
        query = "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'dimensions.full_sync'"
        return int(conn.execute(text(query)).scalar_one())


def _deny(world: World, authorize_url: str) -> tuple[str, str]:
    query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
    form = query | {"username": "demo", "password": DEMO_PASSWORD, "action": "deny"}
    answer = world.container.http.post(authorize_url, data=form)
    back = parse_qs(urlsplit(answer.headers["location"]).query)
    return back["error"][0], back["state"][0]


def run_jobs(world: World) -> None:
    worker = worker_app(world.container.jobs)
    worker.run_worker(wait=False, install_signal_handlers=False, listen_notify=False)


def test_reconnecting_after_a_disconnect_pulls_the_dimensions_again(world: World) -> None:
    world.connect()
    world.container.connections.choose_division(world.company_id, DEMO_DIVISION)
    run_jobs(world)  # the first pull is done; a waiting one would stand for a second
    world.container.connections.disconnect(world.company_id)
    before = _full_syncs(world)

    result = world.connect(session_id="browser-2")

    assert result.division == DEMO_DIVISION
    assert _full_syncs(world) == before + 1


def test_a_local_value_made_while_disconnected_is_replaced_on_reconnect(world: World) -> None:
    world.connect()
    c = world.container
    c.connections.choose_division(world.company_id, DEMO_DIVISION)
    run_jobs(world)  # the first pull
    c.connections.disconnect(world.company_id)
    local = Dimension(DimensionKind.COST_CENTER, "LOCAL-1", "Kept by hand", DimensionSource.LOCAL)
    editing.create_local(c.uow, world.company_id, local, actor="test")

    world.connect(session_id="browser-2")
    run_jobs(world)

    with c.uow() as uow:
        assert uow.dimensions.get(world.company_id, DimensionKind.COST_CENTER, "LOCAL-1") is None


def test_deny_on_exacts_consent_page_says_access_was_refused_and_changes_nothing(
    world: World, browser: TestClient
) -> None:
    started = browser.post(f"{BASE}/connect").json()["authorize_url"]
    error, state = _deny(world, started)

    back = browser.get("/integrations/exact/callback", params={"error": error, "state": state})

    assert back.status_code == 400
    assert "access was refused in Exact Online" in back.json()["detail"]
    assert "nothing changed" in back.json()["detail"]
    assert browser.get(BASE).json()["status"] == "pending"


def test_an_ended_exact_session_needs_reauth_after_one_refresh_that_did_not_help(
    world: World,
) -> None:
    world.connect()
    c = world.container
    c.connections.choose_division(world.company_id, DEMO_DIVISION)
    c.gateway.api(world.company_id).me()
    user = next(u for u in world.sandbox.users.values() if u.username == "demo")
    user.signed_out = True

    with pytest.raises(ExactAuthLost):
        c.gateway.api(world.company_id).me()
    assert connection_status(c.uow, world.company_id).status == "connected"
    world.clock.advance(600)  # the 570 s rule allows the one refresh
    with pytest.raises(ExactAuthLost):
        c.gateway.api(world.company_id).me()

    status = connection_status(c.uow, world.company_id)
    assert status.status == "needs_reauth"
    assert status.reason is not None and "session has ended" in status.reason


def test_after_a_disconnect_status_and_health_show_no_tokens(world: World) -> None:
    world.connect()
    c = world.container
    c.connections.choose_division(world.company_id, DEMO_DIVISION)
    c.connections.disconnect(world.company_id)

    report = health_report(c.uow, c.gateway, c.now, world.company_id)

    assert report.status.status == "disconnected"
    assert report.access_token_age_seconds is None
    assert report.access_token_expires_at is None
    assert report.refresh_token_age_seconds is None
    assert report.chain_expires_at is None


def test_renewing_says_nothing_about_local_dimensions(world: World, browser: TestClient) -> None:
    code, state = world.consent(browser.post(f"{BASE}/connect").json()["authorize_url"])
    browser.get("/integrations/exact/callback", params={"code": code, "state": state})

    renewed = browser.post(f"{BASE}/renew")

    assert renewed.status_code == 200
    assert "replaces" not in renewed.json()
    assert "local dimensions" not in renewed.text.lower()


def test_a_second_company_with_the_same_exact_user_is_warned_and_the_first_told(
    world: World, browser: TestClient
) -> None:
    world.connect()
    c = world.container
    c.connections.choose_division(world.company_id, DEMO_DIVISION)
    with c.session_factory.begin() as session:
        other = Company(slug="beta", name="Beta B.V.", base_currency="EUR")
        session.add(other)
        session.flush()
        other_id = other.id

    # A bookkeeper who serves both companies is told which one.
    both = c.connections.start_connect(other_id, "session-of-both", {world.company_id, other_id})
    assert both.warnings == [
        "The Exact user Demo User already serves Acme B.V.; signing in as that user ends "
        "that connection (Exact keeps one connection per user and app)."
    ]
    warned = browser.post(f"{BASE}/connect", headers=bearer(c.session_factory, "beta")).json()
    # Beta's key may not see Acme: the warning names the Exact user, not the other company.
    assert warned["warnings"] == [
        "The Exact user Demo User already serves another company here; signing in as that "
        "user ends that connection (Exact keeps one connection per user and app)."
    ]
    code, state = world.consent(warned["authorize_url"])
    browser.get("/integrations/exact/callback", params={"code": code, "state": state})

    first = connection_status(c.uow, world.company_id)
    assert first.status == "needs_reauth"
    assert first.reason is not None and "Beta B.V." in first.reason
    assert connection_status(c.uow, other_id).status == "connected"


def test_deny_seen_in_a_browser_lands_on_the_integrations_page_with_the_message(
    world: World, browser: TestClient
) -> None:
    started = browser.post(f"{BASE}/connect").json()["authorize_url"]
    error, state = _deny(world, started)

    back = browser.get(
        "/integrations/exact/callback",
        params={"error": error, "state": state},
        headers={"Accept": "text/html"},
        follow_redirects=False,
    )

    assert back.status_code == 303
    assert back.headers["location"] == "/integrations?done=denied"
    assert browser.get(BASE).json()["status"] == "pending"
