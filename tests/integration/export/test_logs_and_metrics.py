"""Logs and metrics of real work against the sandbox: an export counted by outcome, Exact's
calls by endpoint and status, a request's id in its JSON log lines and its answer, a job's
lines naming its company and division, and never a token."""

from __future__ import annotations

import json
import logging
from datetime import date, timedelta

from auth_headers import bearer
from export_world import Exporting
from fastapi.testclient import TestClient
from scrape import counted, json_logs, scrape, value
from sqlalchemy import select

from exact_sandbox.seed import DEMO_DIVISION
from ledgerbridge.db.models.exact import ExactConnection
from ledgerbridge.jobs.app import worker_app
from ledgerbridge.web.app import create_app

ENTRIES = "purchaseentry/PurchaseEntries"
FAMILIES = (
    "ledgerbridge_exports",
    "ledgerbridge_exact_calls",
    "ledgerbridge_exact_budget_remaining",
    "ledgerbridge_job_queue_depth",
    "ledgerbridge_oldest_waiting_job_seconds",
)


def client(exporting: Exporting) -> TestClient:
    return TestClient(create_app(exporting.c), headers=bearer(exporting.c.session_factory, "acme"))


def test_an_export_is_counted_with_its_failures_by_class_and_its_exact_calls_by_endpoint(
    exporting: Exporting,
) -> None:
    exported, person = (
        counted("ledgerbridge_exports_total", outcome="exported"),
        counted("ledgerbridge_exports_total", outcome="failed_person"),
    )
    posted = counted("ledgerbridge_exact_calls_total", endpoint=ENTRIES, status="201")
    refused = counted("ledgerbridge_exact_calls_total", endpoint=ENTRIES, status="500")
    ok = exporting.add("T-1", [("4200", "121.00", "2")], receipts=[("bon.pdf", b"%PDF-1 bon")])
    late = exporting.add("T-2", [("4200", "12.10", "2")])
    also_ok = exporting.add("T-3", [("4330", "12.10", "2")], booked=date(2026, 12, 1))
    exporting.world.sandbox.close_period(DEMO_DIVISION, 2026, 11)  # T-1, T-2: refused

    exporting.run(exporting.start([ok, late, also_ok]))

    samples = scrape(client(exporting))
    families = {name for name, _ in samples}
    for family in FAMILIES:
        assert any(name.startswith(family) for name in families), family
    assert value(samples, "ledgerbridge_exports_total", outcome="exported") == exported + 1
    assert value(samples, "ledgerbridge_exports_total", outcome="failed_person") == person + 2
    assert value(samples, "ledgerbridge_exports_total", outcome="failed_auth") is not None
    assert (
        value(samples, "ledgerbridge_exact_calls_total", endpoint=ENTRIES, status="201")
        == posted + 1
    )
    assert (
        value(samples, "ledgerbridge_exact_calls_total", endpoint=ENTRIES, status="500")
        == refused + 2  # Exact refuses a closed period with a 500
    )
    endpoints = {dict(labels)["endpoint"] for name, labels in samples
                 if name == "ledgerbridge_exact_calls_total"}  # fmt: skip
    assert "oauth2/token" in endpoints and "current/Me" in endpoints
    assert not any(str(DEMO_DIVISION) in e or "(" in e or "?" in e for e in endpoints)
    assert value(
        samples, "ledgerbridge_exact_budget_remaining", division=str(DEMO_DIVISION), window="day"
    )


def test_a_requests_json_log_lines_carry_its_id_and_company_and_the_answer_carries_the_id(
    exporting: Exporting,
) -> None:
    browser = client(exporting)
    with json_logs() as lines:
        answer = browser.get(
            "/api/v1/integrations/exact/divisions", headers={"X-Request-ID": "req-0042"}
        )
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-request-id"] == "req-0042"
    exact = [line for line in lines if line["logger"] == "httpx" and "sandbox.test" in
             line["message"]]  # fmt: skip
    assert exact, lines
    for line in exact:
        assert line["request_id"] == "req-0042"
        assert line["company"] == str(exporting.world.company_id)
    # current/Me is asked before any division; the divisions under the current one.
    assert "division" not in exact[0] and "/current/Me" in exact[0]["message"]
    assert exact[-1]["division"] == DEMO_DIVISION


def test_an_insane_request_id_is_replaced_by_a_new_one(exporting: Exporting) -> None:
    browser = client(exporting)
    sent = "refresh_token=x; rm -rf"
    first = browser.get("/api/v1/me", headers={"X-Request-ID": sent})
    second = browser.get("/api/v1/me")
    ids = {first.headers["x-request-id"], second.headers["x-request-id"]}
    assert len(ids) == 2 and sent not in ids
    assert all(len(i) == 32 for i in ids)


def test_a_jobs_log_lines_name_its_company_and_division_and_its_run_time_is_observed(
    exporting: Exporting,
) -> None:
    task = "dimensions.full_sync"  # queued by choosing the division (the fixture did)
    runs = counted("ledgerbridge_job_duration_seconds_count", task=task)
    with json_logs() as lines:
        worker_app(exporting.c.jobs).run_worker(
            wait=False, install_signal_handlers=False, listen_notify=False
        )
    synced = [line for line in lines if line["message"].startswith("dimension sync full")]
    assert synced, [line["message"] for line in lines]
    for line in synced:
        assert line["company"] == str(exporting.world.company_id)
        assert line["division"] == DEMO_DIVISION
        assert "request_id" not in line
    samples = scrape(client(exporting))
    assert value(samples, "ledgerbridge_job_duration_seconds_count", task=task) == runs + 1


def _tokens(exporting: Exporting) -> set[str]:
    """The plain access and refresh token the connection holds now."""
    with exporting.c.session_factory() as session:
        row = session.scalars(
            select(ExactConnection).where(ExactConnection.company_id == exporting.world.company_id)
        ).one()
        sealed = [row.access_token_encrypted, row.refresh_token_encrypted]
    return {exporting.c.cipher.decrypt(t) for t in sealed if t}


def test_a_token_refresh_and_a_line_naming_a_refresh_token_never_put_a_token_in_the_json_log(
    exporting: Exporting,
) -> None:
    before = _tokens(exporting)
    exporting.world.clock.advance(timedelta(hours=1))  # the access token has expired
    with json_logs() as lines:
        exporting.world.sync()  # refreshes the token chain first (a token call), then reads
        [stored] = [t for t in _tokens(exporting) if t not in before][-1:]
        logging.getLogger("ledgerbridge.test").warning("refreshed with refresh_token=%s", stored)
    after = _tokens(exporting)
    assert after != before and len(after) == 2  # a new pair was issued and logged about
    text = json.dumps(lines, ensure_ascii=False)
    assert any("oauth2/token" in line["message"] for line in lines)
    assert "refresh_token=…redacted" in text
    for token in before | after:
        assert token not in text
