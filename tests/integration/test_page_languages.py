"""The pages speak the reader's language: the browser's (Accept-Language) unless the
user chose one on the account page; the choice is stored per user and sticks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from access_world import ANNA, PASSWORD, World, build_world
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

DUTCH = {"Accept-Language": "nl-NL,nl;q=0.9,en;q=0.5"}
ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}


@pytest.fixture
def world(
    tmp_path: Path, database_url: URL, engine: Engine, session_factory: sessionmaker[Session]
) -> Iterator[World]:
    yield build_world(tmp_path, database_url, session_factory, engine)


def signed_in(world: World) -> TestClient:
    client = world.client()
    answer = client.post(
        "/login", data={"email": ANNA, "password": PASSWORD}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    return client


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def choose(client: TestClient, language: str) -> None:
    page = client.get("/account").text
    answer = client.post(
        "/account/language",
        data={"csrf_token": csrf_of(page), "language": language},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text


def test_the_integrations_page_follows_the_browsers_language(world: World) -> None:
    with signed_in(world) as client:
        dutch = client.get("/integrations", headers=DUTCH)
        english = client.get("/integrations", headers=ENGLISH)

    assert dutch.status_code == 200
    assert '<html lang="nl">' in dutch.text
    assert "<h1>Koppelingen</h1>" in dutch.text
    assert "niet verbonden met Exact Online" in dutch.text  # a service's text, translated
    assert "Verbinden" in dutch.text and ">Connect<" not in dutch.text
    assert "<h1>Integrations</h1>" in english.text
    assert "not connected to Exact Online" in english.text


def test_the_users_stored_choice_wins_over_the_browser_and_sticks(world: World) -> None:
    with signed_in(world) as client:
        choose(client, "en")
        first = client.get("/integrations", headers=DUTCH)
        again = client.get("/dimensions", headers=DUTCH)
        assert client.get("/api/v1/me").json()["language"] == "en"

        choose(client, "nl")
        dutch = client.get("/integrations", headers=ENGLISH)
        account = client.get("/account", headers=ENGLISH)

        choose(client, "")  # browser default again
        followed = client.get("/integrations", headers=ENGLISH)
        assert client.get("/api/v1/me").json()["language"] is None

    assert "<h1>Integrations</h1>" in first.text and "Koppelingen" not in first.text
    assert "<h1>Dimensions</h1>" in again.text
    assert "<h1>Koppelingen</h1>" in dutch.text
    assert "Uw taal is opgeslagen." not in account.text  # only right after saving
    assert '<option value="nl" lang="nl" selected>' in account.text
    assert "<h1>Integrations</h1>" in followed.text


def test_the_api_reads_and_changes_the_language_of_the_signed_in_user(world: World) -> None:
    with signed_in(world) as client:
        token = {"X-CSRF-Token": client.get("/api/v1/me").json()["csrf_token"]}
        changed = client.patch("/api/v1/me", json={"language": "nl"}, headers=token)
        refused = client.patch("/api/v1/me", json={"language": "de"}, headers=token)
        page = client.get("/integrations", headers=ENGLISH)

    assert changed.status_code == 200 and changed.json()["language"] == "nl"
    assert refused.status_code == 400
    assert "<h1>Koppelingen</h1>" in page.text


def test_a_wrong_password_is_said_in_dutch_to_a_dutch_browser(world: World) -> None:
    with world.client() as client:
        answer = client.post(
            "/login", data={"email": ANNA, "password": "wrong-password"}, headers=DUTCH
        )
    assert answer.status_code == 401
    assert "Verkeerd e-mailadres of wachtwoord." in answer.text


def test_the_dimensions_and_the_connect_confirmation_pages_in_dutch(world: World) -> None:
    with signed_in(world) as client:
        table = client.get("/dimensions?kind=cost_center", headers=DUTCH)
        empty = client.get("/dimensions?kind=gl_account&q=zzz", headers=DUTCH)
        page = client.get("/integrations", headers=DUTCH).text
        confirm = client.post(
            "/integrations/connect", data={"csrf_token": csrf_of(page)}, headers=DUTCH
        )

    assert "Zoek kostenplaatsen op code of naam" in table.text
    assert "Only A knows" in table.text and ">lokaal<" in table.text
    assert "Nog niet gesynchroniseerd" in table.text
    assert "Geen grootboekrekeningen die passen bij “zzz”." in empty.text
    assert confirm.status_code == 200, confirm.text
    assert "1 lokale dimensie wordt vervangen door de dimensies uit Exact Online." in confirm.text
    assert "0 transacties die ermee gecodeerd zijn" in confirm.text
    assert "<td>Kostenplaats</td>" in confirm.text
