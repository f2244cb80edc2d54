"""Stalled jobs: a worker killed mid-job, and its job (and its division) carry on elsewhere."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from ledgerbridge.bootstrap import Container
from ledgerbridge.config import Settings
from ledgerbridge.db.models.core import Company
from ledgerbridge.jobs.app import worker_app
from ledgerbridge.jobs.stalled import RETRY_STALLED, check_period_seconds
from ledgerbridge.services.connection.lifecycle import division_lock
from ledgerbridge.services.dimensions.requests import FULL_SYNC, INCREMENTAL_SYNC

T = TypeVar("T")
STALL_SECONDS = 3.0
# A ``ledgerbridge worker`` process: interpreter, imports, migration check, first poll.
STARTUP_SECONDS = 20.0


def wait_for(what: str, probe: Callable[[], T | None], timeout: float) -> T:
    """``probe()`` until it answers something truthy, for at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:.1f}s: {what}")
        time.sleep(0.1)


@pytest.fixture
def container(
    session_factory: sessionmaker[Session], engine: Engine, database_url: URL, tmp_path: Path
) -> Iterator[Container]:
    settings = Settings(
        data_dir=tmp_path,
        secret_key=Fernet.generate_key().decode(),
        job_stall_seconds=STALL_SECONDS,
    )
    c = Container(
        settings=settings, database_url=database_url, engine=engine, session_factory=session_factory
    )
    yield c
    if "jobs" in c.__dict__:
        c.jobs.close()


def company(session_factory: sessionmaker[Session], slug: str) -> uuid.UUID:
    """A company without an Exact connection: its syncs end at once, 'not connected'."""
    with session_factory.begin() as session:
        found = Company(slug=slug, name=slug.title(), base_currency="EUR")
        session.add(found)
        session.flush()
        return found.id


def queue_sync(container: Container, task: str, company_id: uuid.UUID, lock: str) -> int:
    """Queue a sync as ``services.dimensions.requests`` does (division lock, queueing lock)."""
    deferrer = container.jobs.configure_task(
        task, lock=lock, queueing_lock=f"{task}:{company_id}", allow_unknown=True
    )
    job_id: int = deferrer.defer(company_id=str(company_id))
    return job_id


def job_rows(engine: Engine, *ids: int) -> dict[int, Any]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT id, status, attempts, worker_id FROM procrastinate_jobs "
                "WHERE id = ANY(:ids)"
            ),
            {"ids": list(ids)},
        ).all()
    return {row.id: row for row in rows}


def test_retry_stalled_requeues_a_dead_workers_job_and_frees_its_division(
    container: Container, engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    lock = division_lock("client", 1)
    first = company(session_factory, "first")
    other = company(session_factory, "other")
    stalled = queue_sync(container, FULL_SYNC, first, lock)
    waiting = queue_sync(container, INCREMENTAL_SYNC, first, lock)
    # The other company's full sync: stalled while an identical one already waits.
    superseded = queue_sync(container, FULL_SYNC, other, division_lock("client", 2))
    with engine.begin() as conn:
        dead = conn.execute(
            text(
                "INSERT INTO procrastinate_workers (last_heartbeat) "
                "VALUES (now() - interval '1 hour') RETURNING id"
            )
        ).scalar_one()
        conn.execute(
            text(
                "UPDATE procrastinate_jobs SET status = 'doing', worker_id = :dead "
                "WHERE id = ANY(:ids)"
            ),
            {"dead": dead, "ids": [stalled, superseded]},
        )
    again = queue_sync(container, FULL_SYNC, other, division_lock("client", 2))
    retry = container.jobs.configure_task(RETRY_STALLED, allow_unknown=True).defer(timestamp=0)

    worker = worker_app(container.jobs)
    # A worker that stops when the queue is empty: first the retry, the stalled job and
    # the superseding one; the division's next job once the stalled one has finished.
    for _ in range(2):
        worker.run_worker(wait=False, install_signal_handlers=False, listen_notify=False)

    rows = job_rows(engine, stalled, waiting, superseded, again, retry)
    assert {i: r.status for i, r in rows.items()} == {
        stalled: "succeeded",
        waiting: "succeeded",
        superseded: "aborted",
        again: "succeeded",
        retry: "succeeded",
    }
    assert rows[stalled].attempts == 2  # the killed run and the retried one


def worker_env(container: Container) -> dict[str, str]:
    url = container.database_url.render_as_string(hide_password=False)
    return os.environ | {
        "LEDGERBRIDGE_DATABASE_URL": url.replace("postgresql+psycopg://", "postgresql://"),
        "LEDGERBRIDGE_DATA_DIR": str(container.settings.data_dir),
        "LEDGERBRIDGE_SECRET_KEY": container.settings.secret_key or "",
        "LEDGERBRIDGE_JOB_STALL_SECONDS": str(STALL_SECONDS),
        "LEDGERBRIDGE_DEMO": "false",
    }


def start_worker(container: Container, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "ledgerbridge", "worker", "--concurrency", "4"],
            env=worker_env(container),
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.mark.slow
def test_a_job_of_a_sigkilled_worker_and_its_divisions_next_job_complete_on_another_worker(
    container: Container, engine: Engine, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    lock = division_lock("client", 1)
    company_id = company(session_factory, "acme")
    period = check_period_seconds(STALL_SECONDS)
    workers: list[subprocess.Popen[bytes]] = []
    # Hold the job inside its handler: the sync's first read of its Exact connection
    # waits for this lock until the worker is dead.
    blocker = engine.connect()
    try:
        blocker.execute(text("LOCK TABLE exact_connections IN ACCESS EXCLUSIVE MODE"))
        stalled = queue_sync(container, FULL_SYNC, company_id, lock)
        workers.append(start_worker(container, tmp_path / "worker-1.log"))

        def held_in_the_handler() -> int | None:
            with engine.connect() as conn:
                waiting = conn.execute(
                    text(
                        "SELECT count(*) FROM pg_locks "
                        "WHERE relation = 'exact_connections'::regclass AND NOT granted"
                    )
                ).scalar_one()
            row = job_rows(engine, stalled)[stalled]
            return row.worker_id if row.status == "doing" and waiting else None

        killed_worker = wait_for("the sync runs in worker 1", held_in_the_handler, STARTUP_SECONDS)
        following = queue_sync(container, INCREMENTAL_SYNC, company_id, lock)
        workers[0].send_signal(signal.SIGKILL)
        assert workers[0].wait(timeout=10) == -signal.SIGKILL
    finally:
        blocker.rollback()
        blocker.close()

    try:
        rows = job_rows(engine, stalled, following)
        assert (rows[stalled].status, rows[following].status) == ("doing", "todo")
        workers.append(start_worker(container, tmp_path / "worker-2.log"))

        def worker_2_registered() -> bool:
            with engine.connect() as conn:
                return bool(
                    conn.execute(
                        text("SELECT count(*) FROM procrastinate_workers WHERE id > :killed"),
                        {"killed": killed_worker},
                    ).scalar_one()
                )

        wait_for("worker 2 starts", worker_2_registered, STARTUP_SECONDS)

        def both_done() -> dict[int, Any] | None:
            found = job_rows(engine, stalled, following)
            return found if all(r.status == "succeeded" for r in found.values()) else None

        # The killed worker's last heartbeat is older than worker 2: within the stall
        # threshold plus one check period (plus a second of polling) both have run.
        done = wait_for("both syncs succeed", both_done, STALL_SECONDS + period + 1.5)
        assert done[stalled].attempts == 2
        log = (tmp_path / "worker-2.log").read_text()
        assert f"stalled job {stalled} {FULL_SYNC} (lock {lock}" in log
        assert "retried" in log
    finally:
        for process in workers:
            stop(process)
