"""The dimensions API as a client sees it: locked Exact values, local values, sync runs."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from auth_headers import bearer
from dimension_fakes import add_company, demo_exact
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from ledgerbridge.bootstrap import Container
from ledgerbridge.config import Settings
from ledgerbridge.db.uow import UnitOfWork
from ledgerbridge.services.dimensions.sync import sync_dimensions
from ledgerbridge.web.app import create_app

LOCAL = {"kind": "cost_center", "code": "CC9", "name": "Events"}


@pytest.fixture
def company(session_factory: sessionmaker[Session]) -> uuid.UUID:
    return add_company(session_factory)


@pytest.fixture
def client(
    tmp_path: Path,
    database_url: URL,
    engine: Engine,
    session_factory: sessionmaker[Session],
    company: uuid.UUID,
) -> Iterator[TestClient]:
    container = Container(Settings(data_dir=tmp_path, demo=False), database_url, engine,
                          session_factory)  # fmt: skip
    with TestClient(create_app(container), headers=bearer(session_factory, "acme")) as test_client:
        yield test_client


def synced(session_factory: sessionmaker[Session], company: uuid.UUID) -> int:
    exact = demo_exact()
    outcome = sync_dimensions(
        lambda: UnitOfWork(session_factory), company, exact, now=lambda: exact.now
    )
    return outcome.run_id


def test_the_list_shows_each_value_with_its_source_lock_and_last_sync(
    client: TestClient, session_factory: sessionmaker[Session], company: uuid.UUID
) -> None:
    synced(session_factory, company)
    answer = client.get("/api/v1/dimensions", params={"kind": "gl_account"})
    assert answer.status_code == 200
    body = answer.json()
    assert [d["code"] for d in body["items"]] == ["1100", "4000", "4100"]
    first = body["items"][0]
    assert (first["source"], first["locked"]) == ("exact", True)
    assert first["synced_at"] is not None
    assert "3 GL accounts added" in body["last_sync"]["lines"]


@pytest.mark.parametrize(
    ("method", "path", "json"),
    [
        ("POST", "/api/v1/dimensions", {"kind": "gl_account", "code": "4000", "name": "Mine"}),
        ("PUT", "/api/v1/dimensions/gl_account/4000",
         {"kind": "gl_account", "code": "4000", "name": "Mine"}),
        ("DELETE", "/api/v1/dimensions/gl_account/4000", None),
    ],
)  # fmt: skip
def test_an_exact_value_cannot_be_created_changed_or_deleted_here(
    client: TestClient,
    session_factory: sessionmaker[Session],
    company: uuid.UUID,
    method: str,
    path: str,
    json: dict[str, str] | None,
) -> None:
    synced(session_factory, company)
    answer = client.request(method, path, json=json)
    assert answer.status_code == 409
    assert "managed in Exact Online" in answer.json()["detail"]
    gl = client.get("/api/v1/dimensions", params={"kind": "gl_account"}).json()["items"]
    assert next(d for d in gl if d["code"] == "4000")["name"] == "GL 4000"


def test_local_values_can_be_kept_by_hand_before_connecting(client: TestClient) -> None:
    created = client.post("/api/v1/dimensions", json=LOCAL)
    assert created.status_code == 201
    assert (created.json()["source"], created.json()["locked"]) == ("local", False)
    assert client.post("/api/v1/dimensions", json=LOCAL).status_code == 409
    renamed = client.put("/api/v1/dimensions/cost_center/CC9", json=LOCAL | {"name": "Fairs"})
    assert renamed.json()["name"] == "Fairs"
    assert client.delete("/api/v1/dimensions/cost_center/CC9").status_code == 204
    assert client.get("/api/v1/dimensions").json()["items"] == []
    assert client.delete("/api/v1/dimensions/cost_center/CC9").status_code == 404


def test_sync_runs_are_listed_with_their_summary_and_readable_one_by_one(
    client: TestClient, session_factory: sessionmaker[Session], company: uuid.UUID
) -> None:
    run_id = synced(session_factory, company)
    runs = client.get("/api/v1/dimensions/sync-runs").json()
    assert [(r["id"], r["mode"], r["status"]) for r in runs] == [(run_id, "full", "ok")]
    one = client.get(f"/api/v1/dimensions/sync-runs/{run_id}").json()
    assert one["summary"]["changes"]["added"] > 0
    assert one["flagged_transactions"] == []
    assert client.get("/api/v1/dimensions/sync-runs/999999").status_code == 404


def test_sync_now_says_so_when_the_company_is_not_connected(client: TestClient) -> None:
    answer = client.post("/api/v1/dimensions/sync", json={"full": True})
    assert answer.status_code == 409
    assert "not connected" in answer.json()["detail"]


def test_the_replacement_preview_lists_local_values_before_connecting(client: TestClient) -> None:
    client.post("/api/v1/dimensions", json=LOCAL)
    preview = client.get("/api/v1/dimensions/replacement-preview").json()
    assert [d["code"] for d in preview["local_dimensions"]] == ["CC9"]
    assert preview["message"].startswith("1 local dimension will be replaced")


def test_a_large_list_comes_in_pages_that_together_hold_every_value_once(
    client: TestClient, session_factory: sessionmaker[Session], company: uuid.UUID
) -> None:
    synced(session_factory, company)
    everything = client.get("/api/v1/dimensions", params={"limit": 1000}).json()
    assert everything["next_after"] is None
    seen: list[tuple[str, str]] = []
    params: dict[str, str | int] = {"limit": 3}
    pages = 0
    while True:
        page = client.get("/api/v1/dimensions", params=params).json()
        assert len(page["items"]) <= 3
        seen += [(d["kind"], d["code"]) for d in page["items"]]
        pages += 1
        if page["next_after"] is None:
            break
        params["after"] = page["next_after"]
    assert seen == [(d["kind"], d["code"]) for d in everything["items"]]
    assert len(seen) == len(set(seen)) > 3 and pages == -(-len(seen) // 3)


def test_the_list_filters_by_kind_blocked_and_a_part_of_code_or_name(
    client: TestClient, session_factory: sessionmaker[Session], company: uuid.UUID
) -> None:
    exact = demo_exact()
    exact.change("gl_accounts", "4100", blocked=True)
    sync_dimensions(lambda: UnitOfWork(session_factory), company, exact, now=lambda: exact.now)

    def codes(**params: str) -> list[str]:
        return [d["code"] for d in client.get("/api/v1/dimensions", params=params).json()["items"]]

    assert codes(kind="gl_account", blocked="true") == ["4100"]
    assert codes(kind="gl_account", blocked="false") == ["1100", "4000"]
    assert codes(kind="supplier", q="sHeL") == ["1068"]
    assert codes(kind="cost_center", q="KP2") == ["KP2"]
    assert codes(q="100%") == []  # % is a character here, not a wildcard


def test_a_page_cursor_that_is_not_one_is_refused(client: TestClient) -> None:
    assert client.get("/api/v1/dimensions", params={"after": "planet:4000"}).status_code == 422
    assert client.get("/api/v1/dimensions", params={"limit": 5000}).status_code == 422


@pytest.mark.parametrize(
    ("method", "path", "params", "body", "where"),
    [
        ("GET", "/api/v1/dimensions", {"q": "a\x00"}, None, ["query", "q"]),
        ("GET", "/api/v1/dimensions", {"after": "gl_account:\x00"}, None, ["query", "after"]),
        ("POST", "/api/v1/dimensions", None, LOCAL | {"name": "Ev\x00nts"}, ["body", "name"]),
        ("POST", "/api/v1/dimensions", None, LOCAL | {"code": "\x00"}, ["body", "code"]),
        ("DELETE", "/api/v1/dimensions/cost_center/CC%009", None, None, ["path", "code"]),
    ],
)
def test_a_nul_character_in_a_search_code_or_name_is_a_422_naming_where(
    client: TestClient,
    method: str,
    path: str,
    params: dict[str, str] | None,
    body: dict[str, str] | None,
    where: list[str],
) -> None:
    answer = client.request(method, path, params=params, json=body)
    assert answer.status_code == 422
    [error] = answer.json()["detail"]
    assert error["loc"] == where
    assert "NUL character" in error["msg"]


@pytest.mark.parametrize(
    ("attributes", "where", "message"),
    [
        ('{"note\\u0000": 1}', ["body", "attributes"], "NUL character"),
        ('{"note": "a\\u0000"}', ["body", "attributes"], "attributes.note contains a NUL"),
        ('{"rate": 1e400}', ["body", "attributes", "rate"], "not a finite number"),
        ('{"rate": NaN}', ["body", "attributes", "rate"], "not a finite number"),
        ('{"note": ["\\ud800"]}', ["body", "attributes", "note", 0], "unpaired surrogate"),
    ],
)
def test_attributes_that_cannot_be_stored_are_refused_saying_where(
    client: TestClient, attributes: str, where: list[str | int], message: str
) -> None:
    body = '{"kind": "cost_center", "code": "CC9", "name": "Events", "attributes": %s}'
    answer = client.post(
        "/api/v1/dimensions",
        content=body % attributes,
        headers={"content-type": "application/json"},
    )
    assert answer.status_code == 422
    [error] = answer.json()["detail"]
    assert error["loc"] == where
    assert message in error["msg"]
    assert client.get("/api/v1/dimensions").json()["items"] == []


def test_a_local_value_with_attributes_is_refused_because_only_exact_has_facts(
    client: TestClient,
) -> None:
    body = {"kind": "gl_account", "code": "4000", "name": "Cars", "attributes": {"type": 12}}
    answer = client.post("/api/v1/dimensions", json=body)
    assert answer.status_code == 422
    [error] = answer.json()["detail"]
    assert error["loc"] == ["body", "attributes"]
    assert "a local value carries no Exact facts" in error["msg"]
    assert client.get("/api/v1/dimensions").json()["items"] == []


def test_a_code_or_name_of_only_spaces_is_refused(client: TestClient) -> None:
    for blank in ({"code": "   "}, {"name": " "}):
        answer = client.post("/api/v1/dimensions", json=LOCAL | blank)
        assert answer.status_code == 422
        assert answer.json()["detail"][0]["loc"] == ["body", *blank]
    assert client.get("/api/v1/dimensions").json()["items"] == []


def test_a_validity_that_ends_before_it_starts_is_refused(client: TestClient) -> None:
    dates = {"valid_from": "2026-02-01", "valid_until": "2026-01-31"}
    answer = client.post("/api/v1/dimensions", json=LOCAL | dates)
    assert answer.status_code == 422
    assert "valid_until 2026-01-31 is before valid_from 2026-02-01" in answer.text


def test_a_sync_run_id_beyond_any_stored_id_is_a_422_not_a_crash(client: TestClient) -> None:
    answer = client.get(f"/api/v1/dimensions/sync-runs/{2**63}")
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["path", "run_id"]
