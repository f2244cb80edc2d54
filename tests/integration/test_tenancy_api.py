"""Tenant isolation through the API, route by route (walked from the OpenAPI schema, so
a route added tomorrow is walked too):

- company B's admin key, sent with company A's ids, gets 404 or 403 and never A's data;
- a viewer gets 403 on every state change;
- no credentials get 401 everywhere but the sign-in and invitation routes.

A is checked untouched after each walk.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from access_world import World, a_is_untouched, build_world, paths_with_ids
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

# Reachable without credentials: they are how credentials are obtained.
PUBLIC = {("post", "/api/v1/auth/login"), ("post", "/api/v1/invitations/accept")}
UNSAFE = {"post", "put", "patch", "delete"}
RULE = {
    "name": "B's rule",
    "conditions": [{"field": "merchant", "match": "contains", "value": "albert"}],
    "assignment": {"cost_center": "CCA"},
}
BODIES: dict[tuple[str, str], Any] = {
    ("put", "/api/v1/dimensions/{kind}/{code}"): {
        "kind": "cost_center",
        "code": "CCA",
        "name": "Renamed by B",
    },
    ("put", "/api/v1/admin/members/{user_id}"): {"role": "viewer"},
    ("put", "/api/v1/me/company"): {"company": "a"},
    ("patch", "/api/v1/me"): {"language": "nl"},
    ("put", "/api/v1/transactions/{transaction_id}/coding"): {
        "lines": [{"gl_account": "4000", "amount": "-42.50"}]
    },
    ("put", "/api/v1/transactions/{transaction_id}/period-choice"): {
        "post_in_first_open_period": True
    },
    ("post", "/api/v1/transactions/mark-ready"): {"ids": ["{transaction_id}"]},
    ("post", "/api/v1/transactions/reopen"): {"ids": ["{transaction_id}"]},
    ("post", "/api/v1/transactions/assign"): {
        "ids": ["{transaction_id}"],
        "values": {"gl_account": "4000"},
    },
    ("post", "/api/v1/rules"): RULE,
    ("put", "/api/v1/rules/{rule_id}"): RULE,
    ("post", "/api/v1/rules/{rule_id}/move"): {"direction": "down"},
    ("post", "/api/v1/rules/apply"): {"rule_ids": ["{rule_id}"]},
    ("post", "/api/v1/exports"): {"ids": ["{transaction_id}"]},
    ("post", "/api/v1/export-queue/retry"): {"ids": ["{transaction_id}"]},
    ("post", "/api/v1/export-queue/reopen"): {"ids": ["{transaction_id}"]},
    ("post", "/api/v1/transactions/{transaction_id}/booked-manually"): {"entry_number": 4711},
    ("post", "/api/v1/auth/password"): {"current_password": "x" * 12, "new_password": "y" * 12},
}


@pytest.fixture
def world(
    tmp_path: Path, database_url: URL, engine: Engine, session_factory: sessionmaker[Session]
) -> Iterator[World]:
    yield build_world(tmp_path, database_url, session_factory, engine)


def routes(world: World) -> list[tuple[str, str]]:
    with world.client() as client:
        schema = client.get("/openapi.json").json()
    return [
        (method, path)
        for path, operations in schema["paths"].items()
        if path.startswith("/api/v1/")
        for method in operations
        if (method, path) not in PUBLIC
    ]


def call(client: TestClient, world: World, method: str, path: str, **kwargs: Any) -> Any:
    ids = paths_with_ids(world)
    url = re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], path)
    body = BODIES.get((method, path), {}) if method in UNSAFE else None
    if body is not None:  # A's ids in a body too: {"ids": ["{transaction_id}"]}
        body = json.loads(re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], json.dumps(body)))
    return client.request(method.upper(), url, json=body, **kwargs)


def test_company_bs_key_with_company_as_ids_gets_404_or_403_and_never_as_data(
    world: World,
) -> None:
    walked = routes(world)
    assert len(walked) > 30
    with world.client(headers=world.key_of(world.b, "admin")) as client:
        for method, path in walked:
            answer = call(client, world, method, path)
            where = f"{method.upper()} {path}: {answer.status_code} {answer.text[:200]}"
            assert answer.status_code < 500, where
            if "{" in path:
                assert answer.status_code in (403, 404, 422), where
                assert not (answer.status_code == 422 and method == "get"), where
            # An id B sent may be echoed ("no member …"); nothing else of A's may appear.
            sent = str(answer.request.url) + answer.request.content.decode()
            for secret in world.secrets_of_a():
                if secret not in sent:
                    assert secret not in answer.text, where
    a_is_untouched(world)


def test_a_viewer_gets_403_on_every_state_change(world: World) -> None:
    unsafe = [(m, p) for m, p in routes(world) if m in UNSAFE]
    assert len(unsafe) > 15
    with world.client(headers=world.key_of(world.a, "viewer")) as client:
        for method, path in unsafe:
            answer = call(client, world, method, path)
            assert answer.status_code == 403, f"{method.upper()} {path}: {answer.text[:200]}"
            assert answer.json()["detail"]
        assert client.get(f"/api/v1/transactions/{world.txn}").status_code == 200
    a_is_untouched(world)


def test_a_request_without_credentials_gets_401_on_every_api_route(world: World) -> None:
    with world.client() as client:
        for method, path in routes(world):
            answer = call(client, world, method, path)
            assert answer.status_code == 401, f"{method.upper()} {path}: {answer.text[:200]}"
            assert answer.headers["www-authenticate"] == "Bearer"
    a_is_untouched(world)


def test_a_bookkeeper_may_prepare_but_not_administer(world: World) -> None:
    admin_only = [
        (m, p)
        for m, p in routes(world)
        if p.startswith("/api/v1/admin/") or (m in UNSAFE and p.startswith("/api/v1/integrations/"))
    ]
    with world.client(headers=world.key_of(world.a, "bookkeeper")) as client:
        for method, path in admin_only:
            answer = call(client, world, method, path)
            assert answer.status_code == 403, f"{method.upper()} {path}: {answer.text[:200]}"
        local = {"kind": "cost_center", "code": "CCB", "name": "Booked by a bookkeeper"}
        assert client.post("/api/v1/dimensions", json=local).status_code == 201
    a_is_untouched(world)
