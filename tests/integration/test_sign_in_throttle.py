"""Failed sign-ins for an email without an account are throttled exactly like a
known one's (an attacker cannot tell which emails exist), and so are many failures
from one client address; the state is in PostgreSQL, shared by every app node."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from access_world import ANNA, PASSWORD, World, build_world
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from ledgerbridge.services.access.signin import (
    LOCK_OUT,
    MAX_FAILED_PER_ADDRESS,
    MAX_FAILED_SIGN_INS,
)


@pytest.fixture
def world(
    tmp_path: Path, database_url: URL, engine: Engine, session_factory: sessionmaker[Session]
) -> Iterator[World]:
    yield build_world(tmp_path, database_url, session_factory, engine)


def sign_in(client: TestClient, email: str, password: str = "guess") -> Any:
    return client.post("/api/v1/auth/login", json={"email": email, "password": password})


def shape(answer: Any) -> tuple[int, str, bool]:
    detail = answer.json()["detail"]
    return answer.status_code, detail[:25], "retry-after" in answer.headers


def test_an_unknown_email_is_locked_out_like_a_known_one(world: World) -> None:
    with world.client() as client:
        known = [shape(sign_in(client, ANNA)) for _ in range(MAX_FAILED_SIGN_INS + 1)]
        unknown = [
            shape(sign_in(client, "nobody@a.example")) for _ in range(MAX_FAILED_SIGN_INS + 1)
        ]
        assert unknown == known
        assert [s for s, _, _ in unknown] == [401] * (MAX_FAILED_SIGN_INS - 1) + [429, 429]
        assert sign_in(client, "Nobody@A.example ").status_code == 429  # the same email
        world.clock.advance(LOCK_OUT + timedelta(seconds=1))
        assert sign_in(client, "nobody@a.example").status_code == 401


def test_an_unknown_emails_lock_out_holds_on_another_app_node(world: World) -> None:
    with world.client() as node_1, world.client() as node_2:
        for _ in range(MAX_FAILED_SIGN_INS):
            sign_in(node_1, "ghost@a.example")
        assert sign_in(node_2, "ghost@a.example").status_code == 429


def test_the_sign_in_page_throttles_an_unknown_email_too(world: World) -> None:
    with world.client() as client:
        for _ in range(MAX_FAILED_SIGN_INS):
            client.post("/login", data={"email": "ghost@a.example", "password": "x"})
        page = client.post("/login", data={"email": "ghost@a.example", "password": "x"})
        assert page.status_code == 429
        assert "too many failed sign-ins" in page.text.lower()


def test_many_failures_from_one_address_are_throttled_whatever_the_email(world: World) -> None:
    with world.client() as client:
        answers = [
            sign_in(client, f"spray-{n}@a.example").status_code
            for n in range(MAX_FAILED_PER_ADDRESS)
        ]
        assert answers == [401] * (MAX_FAILED_PER_ADDRESS - 1) + [429]
        assert sign_in(client, ANNA, PASSWORD).status_code == 429  # even the right password
    with world.client(client=("203.0.113.9", 5000)) as elsewhere:
        assert sign_in(elsewhere, ANNA, PASSWORD).status_code == 200
