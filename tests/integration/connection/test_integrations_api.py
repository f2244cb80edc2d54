"""The Integrations › Exact Online JSON API, driven like the browser does it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from auth_headers import bearer
from fastapi.testclient import TestClient

from exact_sandbox.seed import DEMO_DIVISION
from ledgerbridge.web.api.integrations import SESSION_COOKIE
from ledgerbridge.web.app import create_app

from .conftest import World

BASE = "/api/v1/integrations/exact"


@pytest.fixture
def browser(world: World) -> Iterator[TestClient]:
    headers = bearer(world.container.session_factory, "acme")
    with TestClient(create_app(world.container), headers=headers) as client:
        yield client


def test_a_user_connects_chooses_a_division_checks_health_and_disconnects(
    world: World, browser: TestClient
) -> None:
    started = browser.post(f"{BASE}/connect")
    assert started.status_code == 200
    assert SESSION_COOKIE in browser.cookies
    code, state = world.consent(started.json()["authorize_url"])

    back = browser.get("/integrations/exact/callback", params={"code": code, "state": state})
    assert back.status_code == 200, back.text
    assert back.json()["next"] == "choose a division"
    assert len(back.json()["divisions"]) == 2

    chosen = browser.put(f"{BASE}/division", json={"division": DEMO_DIVISION})
    assert chosen.json() == {"division": DEMO_DIVISION, "division_name": "Demo B.V."}
    status = browser.get(BASE).json()
    assert (status["usable"], status["division"]) == (True, DEMO_DIVISION)
    health = browser.get(f"{BASE}/health").json()
    assert health["chain_expires_at"] and health["problems"] == []

    assert browser.delete(BASE).json() == {"status": "disconnected"}
    assert browser.get(BASE).json()["status"] == "disconnected"


def test_a_callback_in_another_browser_is_refused(world: World, browser: TestClient) -> None:
    code, state = world.consent(browser.post(f"{BASE}/connect").json()["authorize_url"])
    browser.cookies.clear()
    browser.cookies.set(SESSION_COOKIE, "another-browser")

    refused = browser.post(f"{BASE}/callback", json={"code": code, "state": state})

    assert refused.status_code == 400
    assert "does not match" in refused.json()["detail"]
    assert browser.get(BASE).json()["status"] == "pending"


def test_choosing_a_division_before_connecting_explains_what_is_missing(
    browser: TestClient,
) -> None:
    answer = browser.put(f"{BASE}/division", json={"division": DEMO_DIVISION})
    assert answer.status_code == 409
    assert browser.get(BASE).json()["status"] == "not_connected"


def test_a_callback_with_text_that_is_not_valid_unicode_is_a_422_naming_the_field(
    browser: TestClient,
) -> None:
    refused = browser.post(
        f"{BASE}/callback",
        content='{"code": "\\ud800"}',
        headers={"content-type": "application/json"},
    )
    assert refused.status_code == 422
    [error] = refused.json()["detail"]
    assert error["loc"] == ["body", "code"]
    assert "unpaired surrogate" in error["msg"]
