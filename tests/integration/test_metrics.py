"""``GET /metrics``: the token setting, the rate budget per division and the job queue,
read from the database so every node reports the same."""

from __future__ import annotations

import dataclasses
import socket
from datetime import timedelta
from typing import Any

import httpx
from fastapi.testclient import TestClient
from scrape import counted, scrape, value

from ledgerbridge.exact.pacing import RateHeaders, next_minute
from ledgerbridge.jobs.app import defer
from ledgerbridge.metrics import Metrics, serve
from ledgerbridge.web.app import create_app

BUDGET = "ledgerbridge_exact_budget_remaining"


def test_with_a_metrics_token_a_scrape_without_it_is_refused(sandboxed: Any) -> None:
    settings = sandboxed.container.settings.model_copy(update={"metrics_token": "scr4pe-t0ken"})
    container = dataclasses.replace(sandboxed.container, settings=settings)
    client = TestClient(create_app(container))

    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer not-it"})
    assert (wrong.status_code, wrong.headers["www-authenticate"]) == (401, 'Bearer realm="metrics"')
    assert "ledgerbridge_" not in wrong.text
    samples = scrape(client, Authorization="Bearer scr4pe-t0ken")
    assert value(samples, "ledgerbridge_oldest_waiting_job_seconds") == 0.0


def test_without_a_token_anyone_may_scrape(sandboxed: Any) -> None:
    samples = scrape(TestClient(create_app(sandboxed.container)))
    assert value(samples, "ledgerbridge_exports_total", outcome="exported") is not None


def test_the_budget_left_is_reported_per_division_and_window(sandboxed: Any) -> None:
    c, clock = sandboxed.container, sandboxed.clock
    now = clock.now()
    c.rate_store.acquire("app:0", now)  # before a division is chosen: not a division's
    c.rate_store.acquire("app:101", now)
    c.rate_store.acquire("app:101", now)
    c.rate_store.acquire("app:202", now)
    c.rate_store.observe(
        "app:202",
        RateHeaders(
            day_limit=5000,
            day_remaining=1234,
            day_reset=now + timedelta(hours=3),
            minute_limit=60,
            minute_remaining=7,
            minute_reset=next_minute(now),
        ),
        now,
    )

    samples = scrape(TestClient(create_app(c)))
    budgets = {k: v for k, v in samples.items() if k[0] == BUDGET}
    assert budgets == {
        (BUDGET, frozenset({("division", "101"), ("window", "minute")})): 58.0,
        (BUDGET, frozenset({("division", "101"), ("window", "day")})): 4998.0,
        (BUDGET, frozenset({("division", "202"), ("window", "minute")})): 7.0,
        (BUDGET, frozenset({("division", "202"), ("window", "day")})): 1234.0,
    }

    clock.advance(timedelta(minutes=1))  # the minute window reset: its full limit again
    later = scrape(TestClient(create_app(c)))
    assert value(later, BUDGET, division="202", window="minute") == 60.0
    assert value(later, BUDGET, division="202", window="day") == 1234.0


def test_the_queue_depth_counts_a_deferred_job_until_it_runs(sandboxed: Any) -> None:
    c = sandboxed.container
    before = scrape(TestClient(create_app(c)))
    assert value(before, "ledgerbridge_job_queue_depth", queue="default", status="todo") == 0.0
    assert value(before, "ledgerbridge_job_queue_depth", queue="default", status="doing") == 0.0

    defer(c, "dimensions.full_sync", company_id=str(sandboxed.company_id))
    now = sandboxed.clock.now()
    for due in (now - timedelta(seconds=90), now + timedelta(hours=1)):  # a retry; a later one
        c.jobs.configure_task("dimensions.full_sync", schedule_at=due).defer(company_id="x")

    after = scrape(TestClient(create_app(c)))
    assert value(after, "ledgerbridge_job_queue_depth", queue="default", status="todo") == 3.0
    # The retry, due 90 s ago, waits longest; the later one is not due yet.
    assert value(after, "ledgerbridge_oldest_waiting_job_seconds") == 90.0


def test_the_shared_gauges_are_cached_for_a_few_seconds(sandboxed: Any) -> None:
    client = TestClient(create_app(sandboxed.container))
    scrape(client)
    defer(sandboxed.container, "dimensions.full_sync", company_id=str(sandboxed.company_id))
    cached = scrape(client)  # the same node within its cache time
    assert value(cached, "ledgerbridge_job_queue_depth", queue="default", status="todo") == 0.0


def test_exports_are_counted_from_committed_audit_rows_only(sandboxed: Any) -> None:
    c, company = sandboxed.container, sandboxed.company_id
    exported = counted("ledgerbridge_exports_total", outcome="exported")
    auth = counted("ledgerbridge_exports_total", outcome="failed_auth")
    with c.uow() as uow:
        uow.audit.record(company, action="export.exported", actor="test")
        uow.rollback()  # never landed: not counted
        uow.audit.record(company, action="export.exported", actor="test")
        uow.audit.record(company, action="export.failed.auth", actor="test")
        uow.audit.record(company, action="export.purchase_entry.created", actor="test")
        assert counted("ledgerbridge_exports_total", outcome="exported") == exported
        uow.commit()
    with c.uow() as uow:
        uow.audit.record(company, action="export.exported", actor="test")  # left uncommitted
    assert counted("ledgerbridge_exports_total", outcome="exported") == exported + 1
    assert counted("ledgerbridge_exports_total", outcome="failed_auth") == auth + 1


def test_a_worker_serves_its_metrics_on_its_own_port_behind_the_same_token(
    sandboxed: Any,
) -> None:
    c = sandboxed.container
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    stop = serve(Metrics(c.uow, c.now, token="w0rker-t0ken"), "127.0.0.1", port)
    try:
        url = f"http://127.0.0.1:{port}/metrics"
        assert httpx.get(url).status_code == 401
        answer = httpx.get(url, headers={"Authorization": "Bearer w0rker-t0ken"})
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/plain; version=")
        assert "ledgerbridge_job_queue_depth" in answer.text
        assert "ledgerbridge_exports_total" in answer.text
        assert httpx.get(f"http://127.0.0.1:{port}/other").status_code == 404
    finally:
        stop()
