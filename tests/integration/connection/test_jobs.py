"""The job queue: tasks of every jobs module are registered; a worker runs the keep-alive."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from procrastinate.periodic import PeriodicDeferrer
from sqlalchemy import text

from exact_sandbox.seed import DEMO_DIVISION
from ledgerbridge.jobs.app import defer, worker_app
from ledgerbridge.services.connection.health import health_report

from .conftest import World


def test_the_keep_alive_is_a_periodic_task_of_the_job_app(world: World) -> None:
    app = world.container.jobs
    assert "connection.keep_alive" in app.tasks
    periodic = {task.task.name for task in app.periodic_registry.periodic_tasks.values()}
    assert "connection.keep_alive" in periodic


def test_a_worker_runs_the_keep_alive_and_the_idle_chain_is_refreshed(world: World) -> None:
    world.connect()
    world.container.connections.choose_division(world.company_id, DEMO_DIVISION)
    world.clock.advance(timedelta(days=2))
    calls_before = world.token_calls()

    defer(world.container, "connection.keep_alive", timestamp=0)
    worker_app(world.container.jobs).run_worker(wait=False, install_signal_handlers=False)

    assert world.token_calls() == calls_before + 1
    assert (
        health_report(
            world.container.uow, world.container.gateway, world.container.now, world.company_id
        ).refresh_token_age_seconds
        == 0
    )
    with world.container.engine.connect() as conn:
        statuses = conn.execute(
            text(
                "SELECT status FROM procrastinate_jobs WHERE task_name = 'connection.keep_alive' "
                "AND args->>'timestamp' = '0'"
            )
        ).scalars()
        assert list(statuses) == ["succeeded"]


def test_a_worker_defers_every_due_periodic_task_through_its_own_pool_and_runs_it(
    world: World,
) -> None:
    world.connect()
    world.clock.advance(timedelta(days=2))
    calls_before = world.token_calls()
    worker = worker_app(world.container.jobs)
    periodic = list(worker.periodic_registry.periodic_tasks.values())
    assert all(p.task.blueprint is worker for p in periodic)
    # The worker's own deferrer, as it runs when a cron falls due; every schedule's last
    # occurrence counts as due (a wide max_delay), so no real waiting is needed.
    deferrer = PeriodicDeferrer(registry=worker.periodic_registry, max_delay=7 * 24 * 3600)
    due = list(deferrer.get_previous_tasks(at=time.time()))

    async def run() -> None:
        async with worker.open_async():
            await deferrer.defer_jobs(jobs_to_defer=due)
            await worker.run_worker_async(
                wait=False, install_signal_handlers=False, listen_notify=False
            )

    asyncio.run(run())

    with world.container.engine.connect() as conn:
        jobs = conn.execute(text("SELECT task_name, status FROM procrastinate_jobs")).all()
    assert sorted(jobs) == sorted((p.task.name, "succeeded") for p in periodic)
    assert world.token_calls() == calls_before + 1  # the keep-alive refreshed the idle chain
