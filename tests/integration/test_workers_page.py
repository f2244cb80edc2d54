"""The Workers admin page (``/workers``) and its JSON twin (``GET /api/v1/admin/workers``):
workers seen by their heartbeats (rows as procrastinate writes them), jobs waiting and
running, the oldest waiting job, and the stalled jobs ``jobs.retry_stalled`` put back in
the last 24 hours (a real worker runs the retry); admins only."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import pytest
from access_world import PASSWORD, World, build_world
from scrape import counted
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from ledgerbridge.i18n import Formats
from ledgerbridge.jobs.app import worker_app
from ledgerbridge.jobs.stalled import RETRY_STALLED
from ledgerbridge.services import workers
from ledgerbridge.services.access import setup

CAROL = "carol@a.example"
NOOP = "tests.noop"


@pytest.fixture
def world(
    tmp_path: Path, database_url: URL, engine: Engine, session_factory: sessionmaker[Session]
) -> Iterator[World]:
    found = build_world(tmp_path, database_url, session_factory, engine)
    setup.add_user(found.uow, "a", CAROL, "bookkeeper", PASSWORD)
    sql(found, "DELETE FROM procrastinate_jobs")  # what building the world queued
    sql(found, "DELETE FROM procrastinate_workers")
    yield found
    if "jobs" in found.container.__dict__:
        found.container.jobs.close()


def sql(world: World, statement: str, **params: Any) -> Any:
    with world.container.engine.begin() as conn:
        result = conn.execute(text(statement), params)
        return result.all() if result.returns_rows else None


def beat(world: World, seconds_ago: float) -> int:
    """A worker's row as procrastinate keeps it, its last heartbeat that long ago."""
    [(worker,)] = sql(
        world,
        "INSERT INTO procrastinate_workers (last_heartbeat) "
        "VALUES (now() - make_interval(secs => :ago)) RETURNING id",
        ago=seconds_ago,
    )
    return int(worker)


def queue(
    world: World, *, at: datetime | None = None, lock: str | None = None,
    queueing_lock: str | None = None,
) -> int:  # fmt: skip
    deferrer = world.container.jobs.configure_task(
        NOOP, allow_unknown=True, schedule_at=at, lock=lock, queueing_lock=queueing_lock
    )
    job: int = deferrer.defer()
    return job


def running_on(world: World, job: int, worker: int) -> None:
    sql(
        world,
        "UPDATE procrastinate_jobs SET status = 'doing', worker_id = :worker WHERE id = :job",
        job=job,
        worker=worker,
    )


def facts(page: str) -> dict[str, str]:
    """The figures of the page's job queue card, as a reader sees them."""
    found = re.findall(r'<dd data-fact="(\w+)">(.*?)</dd>', page, re.S)
    return {name: html.unescape(re.sub(r"<[^>]+>", "", value)).strip() for name, value in found}


def row_of(page: str, worker: int) -> str:
    found = re.search(rf"<th scope=\"row\">#{worker}</th>(.*?)</tr>", page, re.S)
    assert found is not None, f"worker {worker} not listed"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))).strip()


def stalled_row(
    world: World, outcome: Literal["retried", "aborted"], *, days_ago: int = 0, company: Any = None
) -> None:
    workers.record_stalled(
        world.uow, outcome, job_id=1, task=NOOP, lock=None, worker_id=None, attempts=1
    )
    sql(
        world,
        "UPDATE audit_log SET at = now() - make_interval(days => :days), company_id = :company "
        "WHERE id = (SELECT max(id) FROM audit_log)",
        days=days_ago,
        company=company,
    )


def test_an_admin_sees_the_workers_the_queue_and_the_stalled_jobs_retried(world: World) -> None:
    live, silent = beat(world, 2), beat(world, 3600)
    oldest = queue(world)
    queue(world)
    sql(
        world,
        "UPDATE procrastinate_events SET at = now() - interval '10 minutes' "
        "WHERE job_id = :job AND type = 'deferred'",
        job=oldest,
    )
    queue(world, at=world.clock() + timedelta(hours=1))
    mine, orphaned = queue(world), queue(world)
    running_on(world, mine, live)
    running_on(world, orphaned, silent)
    stalled_row(world, "retried")
    stalled_row(world, "retried")
    stalled_row(world, "aborted")
    stalled_row(world, "retried", days_ago=2)  # before the last 24 hours
    stalled_row(world, "retried", company=world.a)  # a company's row is not a worker's

    client, _ = world.signed_in()
    page = client.get("/workers", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert 'href="/workers" aria-current="page"' in page.text
    assert facts(page.text) == {
        "alive": "1 of 2 seen",
        "waiting": "2 · 1 more scheduled for later",
        "oldest": facts(page.text)["oldest"],
        "running": "2 · 1 on a silent worker (to be retried)",
        "retried": "2 · 1 more dropped: an identical job was already waiting",
    }
    assert facts(page.text)["oldest"].startswith("waiting 10 min, since ")
    assert 'id="no-worker"' not in page.text
    assert re.fullmatch(r".* UTC [2-9] s alive 1", row_of(page.text, live))
    assert re.fullmatch(r".* UTC 1\.0 h silent 1", row_of(page.text, silent))

    body = client.get("/api/v1/admin/workers").json()
    assert [(w["id"], w["alive"], w["jobs_running"]) for w in body["workers"]] == [
        (live, True, 1),
        (silent, False, 1),
    ]
    assert {k: v for k, v in body.items() if k not in ("workers", "oldest_waiting_since")} == {
        "stall_seconds": 60.0,
        "workers_alive": 1,
        "jobs_waiting": 2,
        "jobs_scheduled_later": 1,
        "oldest_waiting_seconds": body["oldest_waiting_seconds"],
        "jobs_running": 2,
        "jobs_running_on_silent_workers": 1,
        "recent_hours": 24,
        "stalled_retried": 2,
        "stalled_aborted": 1,
    }
    assert 590 <= body["oldest_waiting_seconds"] <= 610

    # A Dutch reader gets Babel's Dutch date of the same heartbeat.
    heartbeat = datetime.fromisoformat(body["workers"][0]["last_heartbeat"])
    dutch = client.get("/workers", headers={"Accept-Language": "nl"}).text
    assert f"{Formats('nl').datetime(heartbeat, 'short')} UTC" in dutch
    assert f"{Formats('en').datetime(heartbeat, 'short')} UTC" in page.text
    assert Formats("nl").datetime(heartbeat, "short") != Formats("en").datetime(heartbeat, "short")


def test_with_no_worker_alive_the_page_says_why_exports_wait_and_what_to_start(
    world: World,
) -> None:
    client, _ = world.signed_in()
    queue(world)
    empty = client.get("/workers")
    assert facts(empty.text)["alive"] == "0 of 0 seen"
    assert "No worker is registered" in empty.text

    beat(world, 61)  # silent just past the 60-second threshold
    page = client.get("/workers")
    assert facts(page.text)["alive"] == "0 of 1 seen"
    [alert] = re.findall(r'<p class="problem" role="alert" id="no-worker">(.*?)</p>', page.text)
    assert html.unescape(re.sub(r"<[^>]+>", "", alert)) == (
        "No worker has sent a heartbeat in the last 60 seconds: exports wait until one runs. "
        "Start ledgerbridge worker or run the app with LEDGERBRIDGE_RUN_WORKER=true."
    )
    assert facts(page.text)["waiting"] == "1"
    assert client.get("/api/v1/admin/workers").json()["workers_alive"] == 0

    beat(world, 0)
    assert 'id="no-worker"' not in client.get("/workers").text


def test_a_bookkeeper_gets_403_and_no_link_and_without_a_session_you_sign_in(
    world: World,
) -> None:
    beat(world, 1)
    client, _ = world.signed_in(CAROL)
    assert 'href="/workers"' not in client.get("/integrations").text
    page = client.get("/workers")
    assert page.status_code == 403 and "needs the admin role" in page.text
    assert "Jobs waiting" not in page.text
    assert client.get("/api/v1/admin/workers").status_code == 403
    with world.client(follow_redirects=False) as anonymous:
        answer = anonymous.get("/workers")
        assert (answer.status_code, answer.headers["location"]) == (303, "/login")
        assert anonymous.get("/api/v1/admin/workers").status_code == 401
    admin, _ = world.signed_in()
    assert 'href="/workers"' in admin.get("/integrations").text


def test_retry_stalled_records_what_it_put_back_and_the_page_counts_it(world: World) -> None:
    dead = beat(world, 3600)
    stalled = queue(world)
    superseded = queue(world, lock="division", queueing_lock="same-work")
    running_on(world, stalled, dead)
    running_on(world, superseded, dead)
    # The identical job, already waiting (the stalled one holds its division's lock).
    queue(world, lock="division", queueing_lock="same-work")
    retried_before, aborted_before = (
        counted("ledgerbridge_stalled_jobs_total", outcome=o) for o in ("retried", "aborted")
    )
    client, _ = world.signed_in()
    assert facts(client.get("/workers").text)["retried"] == "0"

    world.container.jobs.configure_task(RETRY_STALLED, allow_unknown=True).defer(timestamp=0)
    worker_app(world.container.jobs).run_worker(
        wait=False, install_signal_handlers=False, listen_notify=False
    )

    [(status, attempts)] = [(r.status, r.attempts) for r in _jobs(world, stalled)]
    assert attempts == 2  # put back, and run again (this test's task is unknown: failed)
    assert status == "failed"
    assert facts(client.get("/workers").text)["retried"] == (
        "1 · 1 more dropped: an identical job was already waiting"
    )
    with world.uow() as uow:
        rows = uow.audit.count_installation_actions(
            [workers.STALLED_RETRIED, workers.STALLED_ABORTED], since=world.clock() - timedelta(1)
        )
    assert rows == {workers.STALLED_RETRIED: 1, workers.STALLED_ABORTED: 1}
    assert counted("ledgerbridge_stalled_jobs_total", outcome="retried") == retried_before + 1
    assert counted("ledgerbridge_stalled_jobs_total", outcome="aborted") == aborted_before + 1


def _jobs(world: World, *ids: int) -> list[Any]:
    with world.container.engine.connect() as conn:
        return list(
            conn.execute(
                text("SELECT status::text AS status, attempts FROM procrastinate_jobs "
                     "WHERE id = ANY(:ids) ORDER BY id"),
                {"ids": list(ids)},
            ).all()
        )  # fmt: skip
