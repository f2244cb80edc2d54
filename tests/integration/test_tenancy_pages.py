"""Tenant isolation through the HTML pages, route by route (walked from ``app.routes``,
so a page added tomorrow is walked too; one whose path parameters this test cannot
fill fails with a request to add a case to ``paths_with_ids``):

- without a session a page redirects to /login (a form post too: changing nothing);
- company B's admin, with company A's ids in the path, gets 404 or 403 and never A's data;
- a viewer gets 403 on every form post but the ones about the user's own account.

A is checked untouched after each walk.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from access_world import PASSWORD, World, a_is_untouched, build_world, paths_with_ids
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from ledgerbridge.services.access import setup
from ledgerbridge.web.app import create_app

# Not pages: the JSON API and its documents, the probes of load balancers, Prometheus'
# scrape (guarded by its own LEDGERBRIDGE_METRICS_TOKEN, tests/integration/test_metrics.py)
# and Exact's webhook receiver (JSON, signed by Exact's HashCode instead of a session:
# tests/integration/dimensions/test_webhooks.py).
NOT_PAGES = {"/docs", "/openapi.json", "/health", "/ready", "/metrics", "/webhooks/exact"}
# Public by design: signing in, and the browser's landing after Exact's consent page.
PUBLIC = {
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/integrations/exact/callback"),
    # An invitation's link: the token is the credential (unknown or used → 404/410).
    ("GET", "/invitations/accept"),
    ("POST", "/invitations/accept"),
}
# A user's own account, which every role may change.
OWN_ACCOUNT = {
    ("POST", "/logout"),
    ("POST", "/password"),
    ("POST", "/company"),
    ("POST", "/account/language"),  # a reader's own language
}
FORMS: dict[tuple[str, str], dict[str, str]] = {
    ("POST", "/company"): {"company": "a"},
    ("POST", "/password"): {"current_password": "x" * 12, "new_password": "y" * 12},
    ("POST", "/integrations/division"): {"division": "3101010"},
    ("POST", "/integrations/connect"): {"replace_local_dimensions": "yes"},
    ("POST", "/team/members/{user_id}/role"): {"role": "viewer"},
    ("POST", "/team/invitations"): {"email": "mallory@b.example", "role": "viewer"},
    ("POST", "/team/api-keys"): {"name": "b key", "role": "viewer"},
    ("POST", "/rules/{rule_id}/edit"): {"name": "B's", "merchant_value": "a", "cost_center": "CCA"},
    ("POST", "/rules/{rule_id}/move"): {"direction": "down"},
    ("POST", "/transactions/{transaction_id}/period-choice"): {"choice": "1"},
    ("POST", "/exports/queue/{transaction_id}/booked-manually"): {"entry_number": "12"},
    ("POST", "/exports/queue/retry"): {"scope": "all"},
}


@pytest.fixture
def world(
    tmp_path: Path, database_url: URL, engine: Engine, session_factory: sessionmaker[Session]
) -> Iterator[World]:
    yield build_world(tmp_path, database_url, session_factory, engine)


def every_route(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    """Each APIRoute with its full path, into included routers (FastAPI ≥ 0.165 keeps
    them as routers rather than copying their routes; mounts are other apps)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        elif hasattr(route, "original_router"):
            inner = prefix + (getattr(route.include_context, "prefix", "") or "")
            yield from every_route(route.original_router.routes, inner)


def page_routes(world: World) -> list[tuple[str, str]]:
    app = create_app(world.container)
    found = [
        (method, path)
        for path, route in every_route(app.routes)
        if not path.startswith("/api/") and path not in NOT_PAGES and not path.startswith("/docs")
        for method in sorted(route.methods)
        if method != "HEAD" and (method, path) not in PUBLIC
    ]
    # Signing out last: it ends the walker's session.
    return sorted(found, key=lambda mp: mp == ("POST", "/logout"))


def url_of(world: World, method: str, path: str) -> str:
    ids = paths_with_ids(world)
    missing = [name for name in re.findall(r"\{(\w+)(?::\w+)?\}", path) if name not in ids]
    assert not missing, (
        f"{method} {path}: this test cannot fill {missing}; add a case for it to "
        "paths_with_ids() in tests/integration/access_world.py (an id of company A's)"
    )
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: ids[m.group(1)], path)


def page_sign_in(client: TestClient, email: str, password: str = PASSWORD) -> str:
    answer = client.post("/login", data={"email": email, "password": password})
    assert answer.status_code == 200, answer.text
    found = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/password").text)
    assert found is not None
    return found.group(1)


def call(client: TestClient, world: World, method: str, path: str, csrf: str = "") -> Any:
    url = url_of(world, method, path)
    if method == "GET":
        return client.get(url, follow_redirects=False)
    data = {**FORMS.get((method, path), {}), "csrf_token": csrf}
    return client.request(method, url, data=data, follow_redirects=False)


def test_the_walk_finds_the_pages(world: World) -> None:
    walked = page_routes(world)
    assert ("GET", "/integrations") in walked and ("POST", "/integrations/disconnect") in walked
    assert len(walked) >= 10
    assert ("GET", "/exports/{export_run_id}") in walked and ("GET", "/exports/history") in walked


def test_without_a_session_every_page_sends_to_sign_in_and_changes_nothing(
    world: World,
) -> None:
    with world.client() as client:
        for method, path in page_routes(world):
            answer = call(client, world, method, path)
            where = f"{method} {path}: {answer.status_code} {answer.text[:200]}"
            if method == "GET" or answer.status_code == 303:
                assert answer.status_code == 303, where
                assert answer.headers["location"] == "/login", where
            else:
                assert answer.status_code in (401, 403), where
    a_is_untouched(world)


def test_company_bs_admin_with_company_as_ids_gets_404_or_403_and_never_as_data(
    world: World,
) -> None:
    with world.client() as client:
        csrf = page_sign_in(client, "bob@b.example")
        for method, path in page_routes(world):
            answer = call(client, world, method, path, csrf)
            where = f"{method} {path}: {answer.status_code} {answer.text[:300]}"
            assert answer.status_code < 500, where
            if "{" in path:
                assert answer.status_code in (403, 404), where
            if answer.status_code >= 400:
                assert answer.headers["content-type"].startswith("text/html"), where
            for secret in world.secrets_of_a():
                if secret not in str(answer.request.url) and secret != "a":
                    assert secret not in answer.text, where
    a_is_untouched(world)


def test_a_viewer_gets_403_on_every_form_post_and_nothing_changes(world: World) -> None:
    setup.add_user(world.uow, "a", "vera@a.example", "viewer", PASSWORD)
    posts = [(m, p) for m, p in page_routes(world) if m != "GET" and (m, p) not in OWN_ACCOUNT]
    assert ("POST", "/integrations/sync") in posts
    assert ("POST", "/exports/start") in posts and ("POST", "/exports/queue/retry") in posts
    with world.client() as client:
        csrf = page_sign_in(client, "vera@a.example")
        for method, path in posts:
            answer = call(client, world, method, path, csrf)
            where = f"{method} {path}: {answer.status_code} {answer.text[:300]}"
            assert answer.status_code == 403, where
            assert answer.headers["content-type"].startswith("text/html"), where
    a_is_untouched(world)
