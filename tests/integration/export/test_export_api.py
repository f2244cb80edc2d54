"""The export through the JSON API against the sandbox: start a run (by ids or by filter),
follow it, the history with entry numbers and match status (and its CSV), the export queue
(retry, reopen, booked manually), roles and tenancy."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from auth_headers import bearer
from export_world import Exporting
from fastapi.testclient import TestClient

from exact_sandbox.seed import DEMO_DIVISION
from ledgerbridge.db.models.core import Company
from ledgerbridge.jobs.app import worker_app
from ledgerbridge.services.export.start import Started
from ledgerbridge.web.app import create_app

ENTRIES = "purchaseentry/PurchaseEntries"


@pytest.fixture
def api(exporting: Exporting) -> Iterator[TestClient]:
    headers = bearer(exporting.c.session_factory, "acme", "bookkeeper")
    with TestClient(create_app(exporting.c), headers=headers) as client:
        yield client


def run(exporting: Exporting, started: dict[str, object]) -> None:
    """The run's job, as the worker calls it."""
    result = exporting.run(Started(uuid.UUID(str(started["run_id"])), int(str(started["queued"]))))
    assert result.state == "finished", result.note


def entry_numbers(exporting: Exporting) -> dict[str, int]:
    return {e["ExternalLinkReference"]: e["EntryNumber"] for e in exporting.rows(ENTRIES)}


def status_of(api: TestClient, txn: uuid.UUID) -> str:
    return str(api.get(f"/api/v1/transactions/{txn}").json()["status"])


def test_an_export_started_by_ids_runs_shows_its_progress_and_lands_in_the_history(
    exporting: Exporting, api: TestClient
) -> None:
    ids = [
        exporting.add("T-1", [("4200", "121.00", "2")], receipts=[("bon.pdf", b"%PDF-1 bon")]),
        exporting.add("T-2", [("4330", "12.10", "2")], merchant="Q-Park"),
    ]
    answer = api.post("/api/v1/exports", json={"ids": [str(i) for i in ids]})
    assert answer.status_code == 202, answer.text
    started = answer.json()
    assert started["queued"] == 2
    before = api.get(f"/api/v1/exports/{started['run_id']}").json()
    assert (before["state"], before["total"], before["done"], before["waiting"]) == (
        "running", 2, 0, 2,
    )  # fmt: skip
    assert before["eta"]["done_at"] and before["eta"]["waits_for_reset"] is False
    assert [status_of(api, i) for i in ids] == ["queued", "queued"]

    run(exporting, started)

    after = api.get(f"/api/v1/exports/{started['run_id']}").json()
    assert (after["state"], after["done"], after["failed"], after["waiting"]) == (
        "finished", 2, 0, 0,
    )  # fmt: skip
    assert after["eta"] is None and after["finished_at"]
    runs = api.get("/api/v1/exports").json()["items"]
    assert [r["run_id"] for r in runs] == [started["run_id"]]
    numbers = entry_numbers(exporting)
    history = api.get("/api/v1/export-history").json()
    shown = {
        i["external_id"]: (i["entry_number"], i["match_status"], i["receipts_pushed"])
        for i in history["items"]
    }
    assert shown == {
        "T-1": (numbers["T-1"], "matched", 1),
        "T-2": (numbers["T-2"], "matched", 0),
    }
    assert history["next_cursor"] is None
    one = api.get("/api/v1/export-history", params={"q": "Q-Park"}).json()["items"]
    assert [i["external_id"] for i in one] == ["T-2"]
    today = exporting.c.now().date()
    for params, expected in (
        ({"match_status": "not_matched_yet"}, 0),
        ({"match_status": "matched", "exported_from": str(today)}, 2),
        ({"exported_to": str(today - timedelta(days=1))}, 0),
    ):
        found = api.get("/api/v1/export-history", params=params).json()["items"]
        assert len(found) == expected, params
    first = api.get("/api/v1/export-history", params={"limit": 1}).json()
    rest = api.get(
        "/api/v1/export-history", params={"limit": 1, "cursor": first["next_cursor"]}
    ).json()
    paged = [i["external_id"] for i in first["items"] + rest["items"]]
    assert sorted(paged) == ["T-1", "T-2"] and rest["next_cursor"] is None
    assert api.get("/api/v1/export-history", params={"cursor": "nonsense"}).status_code == 400


def test_all_ready_ones_matching_a_filter_are_exported_and_the_worker_runs_the_job(
    exporting: Exporting, api: TestClient
) -> None:
    ready = exporting.add("T-1", [("4200", "121.00", "2")], merchant="Coolblue")
    exporting.add("T-2", [("4200", "50.00", "2")], merchant="Coolblue", status="to_prepare")
    exporting.add("T-3", [("4330", "12.10", "2")], merchant="Q-Park")

    answer = api.post("/api/v1/exports", json={"filter": {"merchant": "coolblue"}})

    assert answer.status_code == 202, answer.text
    assert answer.json()["queued"] == 1  # only the ready one matching
    worker_app(exporting.c.jobs).run_worker(
        wait=False, install_signal_handlers=False, listen_notify=False
    )
    assert status_of(api, ready) == "exported"
    assert list(entry_numbers(exporting)) == ["T-1"]
    view = api.get(f"/api/v1/exports/{answer.json()['run_id']}").json()
    assert (view["state"], view["done"]) == ("finished", 1)
    nothing = api.post("/api/v1/exports", json={"filter": {"merchant": "nobody"}})
    assert nothing.status_code == 400 and "no transaction matches" in nothing.json()["detail"]


def test_a_selection_with_one_not_ready_is_refused_whole_with_its_reason(
    exporting: Exporting, api: TestClient
) -> None:
    ready = exporting.add("T-1", [("4200", "121.00", "2")])
    draft = exporting.add("T-2", [("4200", "50.00", "2")], status="to_prepare")

    answer = api.post("/api/v1/exports", json={"ids": [str(ready), str(draft)]})

    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"] == [
        {"id": str(draft), "message": "T-2 is to_prepare, not ready: only ready transactions "
                                      "are exported"}
    ]  # fmt: skip
    assert status_of(api, ready) == "ready"
    assert api.get("/api/v1/exports").json()["items"] == []


def test_without_a_connection_nothing_is_queued_and_it_says_what_to_do(
    exporting: Exporting, api: TestClient
) -> None:
    ready = exporting.add("T-1", [("4200", "121.00", "2")])
    exporting.c.connections.disconnect(exporting.world.company_id)

    answer = api.post("/api/v1/exports", json={"ids": [str(ready)]})

    assert answer.status_code == 409
    assert "connect Exact Online" in answer.json()["detail"]
    assert status_of(api, ready) == "ready"


def test_a_closed_period_sends_it_to_the_queue_and_after_reopening_it_a_retry_exports_it(
    exporting: Exporting, api: TestClient
) -> None:
    closed = exporting.add("T-1", [("4200", "121.00", "2")])
    exporting.world.sandbox.close_period(DEMO_DIVISION, 2026, 11)
    run(exporting, api.post("/api/v1/exports", json={"ids": [str(closed)]}).json())

    queue = api.get("/api/v1/export-queue").json()["items"]
    assert [(i["transaction_id"], i["external_id"]) for i in queue] == [(str(closed), "T-1")]
    assert queue[0]["reason"] and queue[0]["action_words"] and queue[0]["exact_message"]
    assert status_of(api, closed) == "failed"

    exporting.world.sandbox.close_period(DEMO_DIVISION, 2026, 11, closed=False)
    retried = api.post("/api/v1/export-queue/retry", json={"all": True})
    assert retried.status_code == 202, retried.text
    assert retried.json()["queued"] == 1
    run(exporting, retried.json())

    assert status_of(api, closed) == "exported"
    assert api.get("/api/v1/export-queue").json()["items"] == []
    assert list(entry_numbers(exporting)) == ["T-1"]
    empty = api.post("/api/v1/export-queue/retry", json={"all": True})
    assert empty.status_code == 400 and "queue is empty" in empty.json()["detail"]


def test_from_the_queue_one_is_reopened_and_another_marked_booked_manually(
    exporting: Exporting, api: TestClient
) -> None:
    one = exporting.add("T-1", [("4200", "121.00", "2")])
    two = exporting.add("T-2", [("4200", "50.00", "2")], merchant="=SUM(1)")
    exporting.world.sandbox.close_period(DEMO_DIVISION, 2026, 11)
    run(exporting, api.post("/api/v1/exports", json={"ids": [str(one), str(two)]}).json())
    assert len(api.get("/api/v1/export-queue").json()["items"]) == 2

    reopened = api.post("/api/v1/export-queue/reopen", json={"ids": [str(one)]})
    booked = api.post(f"/api/v1/transactions/{two}/booked-manually", json={"entry_number": 4711})

    assert reopened.json() == {"reopened": 1}
    assert booked.json() == {"id": str(two), "status": "exported", "entry_number": 4711}
    assert (status_of(api, one), status_of(api, two)) == ("to_prepare", "exported")
    assert api.get("/api/v1/export-queue").json()["items"] == []
    assert exporting.rows(ENTRIES) == []  # nothing was sent
    [item] = api.get("/api/v1/export-history").json()["items"]
    assert (item["external_id"], item["entry_number"], item["booked_manually"]) == (
        "T-2", 4711, True,
    )  # fmt: skip
    again = api.post(f"/api/v1/transactions/{one}/booked-manually", json={"entry_number": 1})
    assert again.status_code == 400 and "to_prepare" in again.json()["detail"]
    assert api.post("/api/v1/export-queue/reopen", json={"ids": [str(two)]}).status_code == 422

    download = api.get("/api/v1/export-history.csv")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert download.headers["content-disposition"].startswith("attachment; filename=")
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert [(r["transaction"], r["merchant"], r["entry_number"]) for r in rows] == [
        ("T-2", "'=SUM(1)", "4711")
    ]


def test_a_viewer_reads_but_changes_nothing_and_another_company_sees_none_of_it(
    exporting: Exporting,
) -> None:
    ready = exporting.add("T-1", [("4200", "121.00", "2")])
    factory = exporting.c.session_factory
    with factory.begin() as session:
        session.add(Company(slug="other", name="Other B.V.", base_currency="EUR"))
    app = create_app(exporting.c)
    owner = TestClient(app, headers=bearer(factory, "acme", "bookkeeper"))
    started = owner.post("/api/v1/exports", json={"ids": [str(ready)]}).json()
    run_url = f"/api/v1/exports/{started['run_id']}"
    viewer = TestClient(app, headers=bearer(factory, "acme", "viewer"))
    other = TestClient(app, headers=bearer(factory, "other", "admin"))

    assert viewer.get(run_url).status_code == 200
    assert viewer.get("/api/v1/export-queue").status_code == 200
    for path, body in (
        ("/api/v1/exports", {"ids": [str(ready)]}),
        ("/api/v1/export-queue/retry", {"all": True}),
        ("/api/v1/export-queue/reopen", {"ids": [str(ready)]}),
        (f"/api/v1/transactions/{ready}/booked-manually", {"entry_number": 1}),
    ):
        assert viewer.post(path, json=body).status_code == 403, path

    assert other.get(run_url).status_code == 404
    assert other.get("/api/v1/exports").json()["items"] == []
    assert other.get("/api/v1/export-history").json()["items"] == []
    refused = other.post(f"/api/v1/transactions/{ready}/booked-manually", json={"entry_number": 1})
    assert refused.status_code == 404
    assert other.post("/api/v1/exports", json={"ids": [str(ready)]}).status_code == 422
    assert status_of(owner, ready) == "queued"
