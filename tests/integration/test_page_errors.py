"""A service error escaping a page handler is answered as an HTML page (the plain
message, a link back, the error's status); the API keeps answering JSON."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from access_world import ANNA, PASSWORD, World, a_is_untouched, build_world
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from ledgerbridge.services.access import setup


@pytest.fixture
def world(
    tmp_path: Path, database_url: URL, engine: Engine, session_factory: sessionmaker[Session]
) -> Iterator[World]:
    yield build_world(tmp_path, database_url, session_factory, engine)


def page_sign_in(client: TestClient, email: str = ANNA, password: str = PASSWORD) -> str:
    """Sign in through the form; the session's CSRF token (from the page's meta tag)."""
    answer = client.post("/login", data={"email": email, "password": password})
    assert answer.status_code == 200, answer.text  # followed to a page
    found = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/password").text)
    assert found is not None
    return found.group(1)


def assert_html_error(answer: object, status: int, words: str) -> None:
    assert answer.status_code == status, answer.text  # type: ignore[attr-defined]
    assert answer.headers["content-type"].startswith("text/html")  # type: ignore[attr-defined]
    text = answer.text  # type: ignore[attr-defined]
    assert words in text
    assert "<!doctype html>" in text.lower() and 'href="/integrations"' in text
    assert '{"detail"' not in text


def test_a_page_form_without_its_csrf_token_gets_an_html_403(world: World) -> None:
    with world.client() as client:
        page_sign_in(client)
        answer = client.post("/company", data={"company": "b"})
        assert_html_error(answer, 403, "security token is missing or out of date")
        stale = client.post("/company", data={"company": "b", "csrf_token": "stale"})
        assert_html_error(stale, 403, "security token")
        assert client.post("/logout", data={}).status_code == 403
        assert client.get("/password").status_code == 200  # still signed in
    a_is_untouched(world)


def test_an_unknown_object_on_a_page_gets_an_html_404(world: World) -> None:
    with world.client() as client:
        token = page_sign_in(client)
        answer = client.post("/company", data={"company": "b", "csrf_token": token})
        assert_html_error(answer, 404, "ou are no member of a company")


def test_a_role_that_may_not_gets_an_html_403_and_nothing_changes(world: World) -> None:
    setup.add_user(world.uow, "a", "vera@a.example", "viewer", PASSWORD)
    with world.client() as client:
        token = page_sign_in(client, "vera@a.example")
        for path in ("/integrations/sync", "/integrations/disconnect"):
            answer = client.post(path, data={"csrf_token": token})
            assert_html_error(answer, 403, "")
    a_is_untouched(world)


def test_the_api_still_answers_json(world: World) -> None:
    with world.client() as client:
        page_sign_in(client)
        no_csrf = client.put("/api/v1/me/company", json={"company": "b"})
        assert no_csrf.status_code == 403
        assert no_csrf.headers["content-type"] == "application/json"
        unknown = client.get("/api/v1/transactions/00000000-0000-0000-0000-000000000000")
        assert unknown.status_code == 404
        assert unknown.headers["content-type"] == "application/json"
        assert "detail" in unknown.json()
