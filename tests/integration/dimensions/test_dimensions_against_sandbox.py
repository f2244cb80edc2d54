"""Dimension sync end to end: our services, the real client, the Exact sandbox in-process.

The company connects through the OAuth flow, chooses the demo division, and
syncs; a bookkeeper then changes things in the sandbox as they would in Exact.
"""

from __future__ import annotations

import math
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from auth_headers import bearer
from dimension_fakes import Line, add_transaction
from fastapi.testclient import TestClient
from procrastinate.testing import InMemoryConnector
from sandbox_world import World
from sqlalchemy import text
from typer.testing import CliRunner

from exact_sandbox.app import create_sandbox_app
from exact_sandbox.seed import (
    DEMO_CLIENT_ID,
    DEMO_DIVISION,
    DEMO_PASSWORD,
)
from exact_sandbox.transport import SandboxTransport
from ledgerbridge.bootstrap import Container
from ledgerbridge.cli import app
from ledgerbridge.db.engine import make_engine, make_session_factory
from ledgerbridge.db.repositories.dimensions import DimensionRepository
from ledgerbridge.domain.dimension_facts import GLAccountFacts, VatCodeFacts, VatRate
from ledgerbridge.domain.dimensions import DimensionKind
from ledgerbridge.jobs.app import JobApp, task_registrars, worker_app
from ledgerbridge.jobs.connection import KEEP_ALIVE
from ledgerbridge.jobs.dimensions import EVERY_MINUTE, NIGHTLY
from ledgerbridge.jobs.webhooks import SWEEP
from ledgerbridge.services.dimensions.requests import request_sync
from ledgerbridge.services.dimensions.sync import sync_company
from ledgerbridge.web.app import create_app

K = DimensionKind


def test_connecting_pulls_every_dimension_kind_locked_within_the_call_budget(
    world: World,
) -> None:
    before = len(world.sandbox.call_log)
    outcome = world.sync()
    held = world.held()
    assert (outcome.mode, outcome.status) == ("full", "ok")
    assert {kind for kind, _ in held} == {
        K.GL_ACCOUNT, K.VAT_CODE, K.COST_CENTER, K.COST_UNIT, K.PROJECT, K.JOURNAL,
        K.SUPPLIER, K.DOCUMENT_TYPE,
    }  # fmt: skip
    assert all(d.locked for d in held.values())
    assert held[(K.GL_ACCOUNT, "4990")].blocked
    low = held[(K.VAT_CODE, "4")].facts
    assert isinstance(low, VatCodeFacts)
    assert low.percentages == (
        VatRate(Decimal("0.06"), None, date(2018, 12, 31)),
        VatRate(Decimal("0.09"), date(2019, 1, 1), None),
    )
    suppliers = sum(1 for kind, _ in held if kind is K.SUPPLIER)
    accounts = world.sandbox.store.rows(DEMO_DIVISION, "crm/Accounts")
    assert suppliers == sum(1 for a in accounts if a.get("IsSupplier")) >= 200
    # A constant per resource plus a page per 1000 sync rows (60 for regular endpoints).
    calls = len(world.sandbox.call_log) - before
    assert calls == outcome.api_calls
    assert calls <= 11 + math.ceil(suppliers / 1000) + 3  # 8 kinds, Deleted, division, periods


def test_the_demo_chart_is_pulled_across_pages_following_next(world: World) -> None:
    """Sync and bulk endpoints page at 1000 rows; served at Exact's regular 60, the demo
    division's 197 GL accounts take 4 pages, each one read once."""
    world.sandbox.settings.bulk_page_size = 60
    before = len(world.sandbox.call_log)
    outcome = world.sync()
    assert (outcome.mode, outcome.status) == ("full", "ok")
    pages = [
        call
        for call in world.sandbox.call_log[before:]
        if call.method == "GET" and call.endpoint == "sync/Financial/GLAccounts"
    ]
    assert len(pages) == 4 >= 3
    assert sum(1 for kind, _ in world.held() if kind is K.GL_ACCOUNT) == 197
    assert "197 GL accounts added" in outcome.lines


def test_changes_made_in_exact_show_up_in_the_next_sync_and_move_affected_transactions(
    world: World,
) -> None:
    world.sync()
    company = world.company_id
    factory = world.container.session_factory
    on_4300 = add_transaction(factory, company, "t1", Line("4300", "2", cost_center="200"),
                              status="ready")  # fmt: skip
    on_4200 = add_transaction(factory, company, "t2", Line("4200", "2"), status="ready")
    on_4100 = add_transaction(factory, company, "t3", Line("4100", "2"), status="ready")
    world.clock.advance(timedelta(minutes=15))
    world.sandbox.block_gl_account(DEMO_DIVISION, "4200")
    world.sandbox.end_cost_center(DEMO_DIVISION, "200", date(2026, 10, 31))
    supplier = world.sandbox.store.rows(DEMO_DIVISION, "crm/Accounts")[0]
    world.sandbox.store.delete(DEMO_DIVISION, "crm/Accounts", supplier["ID"])
    world.sandbox.store.insert(DEMO_DIVISION, "project/Projects", {
        "Code": "P-104", "Description": "New office", "Type": 3,
        "StartDate": None, "EndDate": None,
    })  # fmt: skip
    world.clock.advance(timedelta(minutes=1))

    outcome = world.sync()

    supplier_code = supplier["Code"].strip()
    assert (outcome.mode, outcome.status) == ("incremental", "ok")
    assert outcome.lines[:4] == [
        "1 project added",
        "GL account 4200 blocked",
        "cost centre 200 ended (end date 2026-10-31)",
        f"supplier {supplier['Name']} ({supplier_code}) deleted",
    ]
    assert [f.external_id for f in outcome.flagged] == ["t1", "t2"]
    assert world.status_of(on_4300) == ("to_prepare", "cost centre 200 ended on 2026-10-31")
    assert world.status_of(on_4200) == (
        "to_prepare", "GL account 4200 is blocked in Exact Online"
    )  # fmt: skip
    assert world.status_of(on_4100) == ("ready", None)
    held = world.held()
    assert (K.PROJECT, "P-104") in held and (K.SUPPLIER, supplier_code) not in held


def test_an_account_that_stops_being_a_supplier_goes_at_the_next_incremental_sync(
    world: World,
) -> None:
    world.sync()
    supplier = next(
        row for row in world.sandbox.store.rows(DEMO_DIVISION, "crm/Accounts") if row["IsSupplier"]
    )
    world.clock.advance(timedelta(minutes=15))
    world.sandbox.store.update(DEMO_DIVISION, "crm/Accounts", supplier["ID"], IsSupplier=False)

    outcome = world.sync()

    assert outcome.mode == "incremental"
    assert (K.SUPPLIER, supplier["Code"].strip()) not in world.held()


def test_a_sync_interrupted_by_a_fault_applies_nothing_and_the_next_run_completes(
    world: World,
) -> None:
    world.sync()
    world.clock.advance(timedelta(minutes=15))
    world.sandbox.block_gl_account(DEMO_DIVISION, "4200")
    world.sandbox.block_vat_code(DEMO_DIVISION, "2")
    world.sandbox.faults.fail(503, endpoint="hrm/Costunits")

    failed = world.sync()

    assert failed.status == "failed"
    held = world.held()
    assert not held[(K.GL_ACCOUNT, "4200")].blocked and not held[(K.VAT_CODE, "2")].blocked
    world.sandbox.faults.clear()
    done = world.sync()
    assert done.status == "ok"
    assert done.lines[:2] == ["GL account 4200 blocked", "VAT code 2 blocked"]


def test_untidy_records_in_exact_are_read_where_safe_and_skipped_by_name_otherwise(
    world: World,
) -> None:
    store = world.sandbox.store
    store.insert(DEMO_DIVISION, "financial/GLAccounts", {
        "Code": "  4990X ", "Description": "Padded", "Type": "121", "BalanceType": "W",
        "IsBlocked": "false", "UseCostcenter": None, "Extra": "ignored",
    })  # fmt: skip
    nameless = store.insert(DEMO_DIVISION, "financial/GLAccounts", {"Description": "No code"})
    first = dict(store.rows(DEMO_DIVISION, "hrm/Costcenters")[0])
    world.clock.advance(timedelta(minutes=1))
    store.insert(DEMO_DIVISION, "hrm/Costcenters", {"Code": first["Code"], "Description": "Twin"})

    outcome = world.sync()

    assert outcome.status == "ok"
    held = world.held()
    padded = held[(K.GL_ACCOUNT, "4990X")]
    assert isinstance(padded.facts, GLAccountFacts)
    assert (padded.facts.type, padded.blocked) == (121, False)
    assert any(nameless["ID"] in line and "Code is missing" in line for line in outcome.lines)
    code = first["Code"].strip()
    assert (
        f"cost centre {code} ({first['Description']}) skipped: its code is used twice in "
        "Exact; the most recently changed one (Twin) is kept"
    ) in outcome.lines
    assert held[(K.COST_CENTER, code)].name == "Twin"


def test_an_unchanged_administration_costs_one_call_per_resource_and_changes_nothing(
    world: World,
) -> None:
    world.sync()
    world.clock.advance(timedelta(minutes=15))
    before = len(world.sandbox.call_log)
    outcome = world.sync()
    assert outcome.lines == ["no changes"]
    # 8 kinds, sync/Deleted, the division check and the period table.
    assert len(world.sandbox.call_log) - before == outcome.api_calls <= 11


def test_sync_positions_survive_a_restart_so_the_next_sync_asks_only_for_what_changed(
    world: World,
) -> None:
    world.sync()
    world.clock.advance(timedelta(minutes=15))
    world.sandbox.block_gl_account(DEMO_DIVISION, "4200")
    # A new process: its own engine, HTTP client and container; only the database remembers.
    asked: list[httpx.URL] = []
    http = httpx.Client(
        transport=SandboxTransport(create_sandbox_app(world.sandbox)),
        event_hooks={"request": [lambda request: asked.append(request.url)]},
    )
    engine = make_engine(world.container.database_url)
    old = world.container
    restarted = Container(old.settings, old.database_url, engine, make_session_factory(engine),
                          http=http, now=world.clock.now, sleep=world.clock.sleep)  # fmt: skip
    try:
        outcome = sync_company(restarted.uow, restarted.gateway, restarted.now, world.company_id)
    finally:
        http.close()
        engine.dispose()

    assert (outcome.mode, outcome.lines) == ("incremental", ["GL account 4200 blocked"])
    filters = {url.path.split("/", 4)[-1]: url.params.get("$filter") for url in asked}
    stamps = {p: int(f.rsplit(" ", 1)[1]) for p, f in filters.items() if p.startswith("sync/")}
    assert set(stamps) == {"sync/Financial/GLAccounts", "sync/CRM/Accounts",
                           "sync/Project/Projects", "sync/Deleted"}  # fmt: skip
    # Row versions as the first sync left them (nothing was deleted yet: sync/Deleted is at 0).
    assert stamps["sync/Financial/GLAccounts"] > 1 and stamps["sync/CRM/Accounts"] > 1
    assert (filters["vat/VATCodes"] or "").startswith("Modified ge datetime'")


def test_choosing_a_division_queues_a_full_sync_that_a_worker_runs_under_the_division_lock(
    world: World,
) -> None:
    with world.container.uow() as uow:
        jobs = uow.session.execute(
            text("SELECT task_name, lock, status FROM procrastinate_jobs ORDER BY id")
        ).all()
    assert [(j.task_name, j.status) for j in jobs] == [("dimensions.full_sync", "todo")]
    assert jobs[0].lock == f"exact-division:{DEMO_CLIENT_ID}:{DEMO_DIVISION}"

    run_queued_jobs(world.container)

    assert (K.GL_ACCOUNT, "4100") in world.held()
    first = runs_of(world.container, world.company_id)[0]
    assert first[:2] == ("full", "ok")
    assert first[2] == [  # the demo division's chart of a Dutch SME (seed_data.py)
        "197 GL accounts added",
        "23 VAT codes added",
        "10 cost centres added",
        "3 cost units added",
        "3 projects added",
        "6 journals added",
        "201 suppliers added",
        "5 document types added",
    ]
    with world.container.uow() as uow:
        ran = uow.session.execute(text("SELECT task_name, status FROM procrastinate_jobs")).all()
    # Whatever cron fell due ran too, on the worker's own app, and nothing failed.
    assert {status for _, status in ran} == {"succeeded"}
    assert (
        request_sync(world.container.uow, world.container.queue, world.company_id).job_id
        is not None
    )
    assert (
        request_sync(world.container.uow, world.container.queue, world.company_id).job_id is None
    )  # one waiting is enough


def run_queued_jobs(container: Container) -> None:
    """A real worker, cron schedules included, that runs what is queued and then stops.

    Whether a cron falls due depends on the wall clock (a ``sync_all`` may add an
    incremental run that finds nothing): tests look for the run they expect.
    """
    worker = worker_app(container.jobs)
    worker.run_worker(wait=False, install_signal_handlers=False, listen_notify=False)


def runs_of(container: Container, company_id: uuid.UUID) -> list[tuple[str, str, list[str]]]:
    """(mode, status, lines) of each sync run, oldest first."""
    with container.uow() as uow:
        found = DimensionRepository(uow.session).runs(company_id)
        return [(r.mode, r.status, r.summary["lines"]) for r in reversed(found)]


def test_connecting_through_the_api_says_what_it_replaces_first_then_replaces_it(
    unconnected: World,
) -> None:
    world = unconnected
    browser = TestClient(
        create_app(world.container), headers=bearer(world.container.session_factory, "acme")
    )
    for local in ({"kind": "gl_account", "code": "9999", "name": "Local misc"},
                  {"kind": "gl_account", "code": "4100", "name": "Local car costs"}):  # fmt: skip
        assert browser.post("/api/v1/dimensions", json=local).status_code == 201
    factory = world.container.session_factory
    coded = add_transaction(factory, world.company_id, "t1", Line("9999"), status="ready")

    preview = browser.get("/api/v1/dimensions/replacement-preview").json()
    assert preview["confirmation_required"] is True
    assert preview["message"] == (
        "2 local dimensions will be replaced by Exact Online's dimensions; "
        "1 transaction coded with them will go back to to prepare."
    )
    assert preview["transactions"] == [str(coded)]
    unconfirmed = browser.post("/api/v1/integrations/exact/connect")
    assert (unconfirmed.status_code, preview["message"] in unconfirmed.text) == (409, True)
    started = browser.post(
        "/api/v1/integrations/exact/connect", json={"replace_local_dimensions": True}
    ).json()
    assert started["replaces"] == preview["message"]
    query = {k: v[0] for k, v in parse_qs(urlsplit(started["authorize_url"]).query).items()}
    form = query | {"username": "demo", "password": DEMO_PASSWORD, "action": "allow"}
    back = parse_qs(urlsplit(world.container.http.post(started["authorize_url"], data=form)
                             .headers["location"]).query)  # fmt: skip
    browser.post("/api/v1/integrations/exact/callback",
                 json={"code": back["code"][0], "state": back["state"][0]})  # fmt: skip
    chosen = browser.put("/api/v1/integrations/exact/division", json={"division": DEMO_DIVISION})
    assert chosen.status_code == 200
    refused = browser.post("/api/v1/dimensions", json={"kind": "gl_account", "code": "1",
                                                       "name": "Too late"})  # fmt: skip
    assert (refused.status_code, "managed in Exact Online" in refused.text) == (409, True)

    run_queued_jobs(world.container)

    held = world.held()
    assert (K.GL_ACCOUNT, "9999") not in held and held[(K.GL_ACCOUNT, "4100")].locked
    status, reason = world.status_of(coded)
    assert status == "to_prepare"
    assert reason == (
        "GL account 9999 was a local value; Exact Online's dimensions replaced it, check the coding"
    )
    runs = browser.get("/api/v1/dimensions/sync-runs").json()
    pull = next(r for r in runs if r["mode"] == "full")
    assert "2 local GL accounts replaced by Exact Online's" in pull["lines"]
    assert pull["flagged_count"] == 1
    assert browser.get("/api/v1/dimensions/replacement-preview").json()["local_dimensions"] == []


def test_sync_now_from_the_command_line_prints_what_changed(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ledgerbridge.bootstrap.bootstrap", lambda: world.container)
    first = CliRunner().invoke(app, ["sync", "dimensions", "--full"], terminal_width=200)
    assert first.exit_code == 0, first.output
    assert "full sync ok" in first.output and "197 GL accounts added" in first.output
    assert "23 VAT codes added" in first.output and "10 cost centres added" in first.output
    world.clock.advance(timedelta(minutes=15))
    world.sandbox.block_gl_account(DEMO_DIVISION, "4200")
    second = CliRunner().invoke(app, ["sync", "dimensions"], terminal_width=200)
    assert second.exit_code == 0, second.output
    assert "incremental sync ok" in second.output
    assert "GL account 4200 blocked" in second.output


def test_sync_now_through_the_api_queues_one_sync_under_the_division_lock(world: World) -> None:
    browser = TestClient(
        create_app(world.container), headers=bearer(world.container.session_factory, "acme")
    )
    run_queued_jobs(world.container)  # the full pull queued on connect
    first = browser.post("/api/v1/dimensions/sync", json={"full": False})
    assert (first.status_code, first.json()["queued"]) == (202, True)
    assert browser.post("/api/v1/dimensions/sync").json()["queued"] is False
    world.clock.advance(timedelta(minutes=15))
    world.sandbox.block_gl_account(DEMO_DIVISION, "4200")

    run_queued_jobs(world.container)

    runs = runs_of(world.container, world.company_id)
    assert ("incremental", "ok", ["GL account 4200 blocked"]) in runs


def test_the_upkeep_tick_runs_every_minute_and_the_full_pull_nightly(sandboxed: Any) -> None:
    app = JobApp(connector=InMemoryConnector(), container=sandboxed.container)  # type: ignore[arg-type]
    for register in task_registrars():
        register(app)
    schedules = {p.task.name: p.cron for p in app.periodic_registry.periodic_tasks.values()}
    assert schedules == {
        "dimensions.upkeep": EVERY_MINUTE,
        "export.sweep": EVERY_MINUTE,
        "dimensions.nightly_full": NIGHTLY,
        "connection.keep_alive": KEEP_ALIVE,
        "jobs.retry_stalled": "* * * * *",  # every minute with the default 60 s threshold
        "webhooks.sweep": SWEEP,
    }
