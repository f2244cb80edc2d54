"""``ledgerbridge export`` against the sandbox: it starts a run and follows it while a job
worker does the work (here a real procrastinate worker, run whenever the command waits)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import Result
from export_world import Exporting
from typer.testing import CliRunner

from exact_sandbox.seed import DEMO_DIVISION
from ledgerbridge.cli import app
from ledgerbridge.jobs.app import worker_app

ENTRIES = "purchaseentry/PurchaseEntries"


@pytest.fixture
def cli(exporting: Exporting, monkeypatch: pytest.MonkeyPatch) -> Exporting:
    """The command on the test's container; each wait of the command is a worker's turn."""
    c = exporting.c
    assert c.gateway is not None  # built on the fake clock's own sleep before the swap

    def a_worker_turn(seconds: float) -> None:
        exporting.world.clock.sleep(seconds)
        worker_app(c.jobs).run_worker(
            wait=False, install_signal_handlers=False, listen_notify=False
        )

    monkeypatch.setattr(c, "sleep", a_worker_turn)
    monkeypatch.setattr("ledgerbridge.bootstrap.bootstrap", lambda: c)
    return exporting


def export(*args: str) -> Result:
    return CliRunner().invoke(app, ["export", *args], terminal_width=200)


def status(exporting: Exporting, txn: object) -> str:
    return exporting.world.status_of(txn)[0]  # type: ignore[arg-type]


def test_export_ready_starts_a_run_of_every_ready_one_and_follows_it_to_the_end(
    cli: Exporting,
) -> None:
    ids = [cli.add("T-1", [("4200", "121.00", "2")]), cli.add("T-2", [("4330", "12.10", "2")])]
    draft = cli.add("T-3", [("4200", "9.00", "2")], status="to_prepare")

    result = export("--ready", "--company", "acme")

    assert result.exit_code == 0, result.output
    assert "2 transaction(s) queued" in result.output
    assert "`ledgerbridge worker`" in result.output
    assert "Export run finished: 2 of 2 exported, 0 failed." in result.output
    assert [status(cli, t) for t in ids] == ["exported", "exported"]
    assert status(cli, draft) == "to_prepare"
    assert sorted(e["ExternalLinkReference"] for e in cli.rows(ENTRIES)) == ["T-1", "T-2"]
    again = export("--ready")
    assert again.exit_code == 0 and "No transaction is ready to export" in again.output


def test_without_waiting_it_queues_and_says_who_does_the_work(cli: Exporting) -> None:
    ready = cli.add("T-1", [("4200", "121.00", "2")])

    result = export("--ready", "--no-wait")

    assert result.exit_code == 0, result.output
    assert "1 transaction(s) queued" in result.output and "GET /api/v1/exports/" in result.output
    assert "the app's (ledgerbridge run) or `ledgerbridge worker`" in result.output
    assert status(cli, ready) == "queued"


def test_failures_are_shown_and_retry_failed_exports_them_once_the_period_is_open(
    cli: Exporting,
) -> None:
    failing = cli.add("T-1", [("4200", "121.00", "2")])
    cli.world.sandbox.close_period(DEMO_DIVISION, 2026, 11)

    first = export("--ready")

    assert first.exit_code == 0, first.output
    assert "0 of 1 exported, 1 failed" in first.output
    assert "ledgerbridge export --retry-failed" in first.output
    assert status(cli, failing) == "failed"
    cli.world.sandbox.close_period(DEMO_DIVISION, 2026, 11, closed=False)

    retried = export("--retry-failed")

    assert retried.exit_code == 0, retried.output
    assert "Export run finished: 1 of 1 exported, 0 failed." in retried.output
    assert status(cli, failing) == "exported"
    assert [e["ExternalLinkReference"] for e in cli.rows(ENTRIES)] == ["T-1"]
    empty = export("--retry-failed")
    assert empty.exit_code == 0 and "The export queue is empty" in empty.output


def test_a_run_paused_by_a_lost_sign_in_says_so_and_exits_0(cli: Exporting) -> None:
    ready = cli.add("T-1", [("4200", "121.00", "2")])
    cli.world.sandbox.auth.revoke()
    cli.world.clock.advance(timedelta(hours=1))  # the access token must be refreshed

    result = export("--ready")

    assert result.exit_code == 0, result.output
    assert "Export run paused" in result.output
    assert "ledgerbridge exact renew" in result.output
    assert status(cli, ready) == "queued"  # kept for after the renewal


def test_refusals_exit_1_and_bad_usage_2(cli: Exporting) -> None:
    cli.add("T-1", [("4200", "121.00", "2")])
    cli.c.connections.disconnect(cli.world.company_id)

    refused = export("--ready")
    assert refused.exit_code == 1, refused.output
    assert "connect Exact Online" in refused.output and "nothing was queued" in refused.output
    assert export().exit_code == 2
    assert export("--ready", "--retry-failed").exit_code == 2
    unknown = export("--ready", "--company", "nobody")
    assert unknown.exit_code == 2, unknown.output
