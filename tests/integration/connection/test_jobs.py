"""The job queue: tasks of every jobs module are registered; a worker runs the keep-alive."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from ledgerbridge.jobs.app import defer, worker_app
from ledgerbridge.sandbox.seed import DEMO_DIVISION
from ledgerbridge.services import connection
from ledgerbridge.services.connection_health import health_report

from .conftest import World


def test_the_keep_alive_is_a_periodic_task_of_the_job_app(world: World) -> None:
    app = world.container.jobs
    assert "connection.keep_alive" in app.tasks
    periodic = {task.task.name for task in app.periodic_registry.periodic_tasks.values()}
    assert "connection.keep_alive" in periodic


def test_a_worker_runs_the_keep_alive_and_the_idle_chain_is_refreshed(world: World) -> None:
    world.connect()
    connection.choose_division(world.container, world.company_id, DEMO_DIVISION)
    world.clock.advance(timedelta(days=2))
    calls_before = world.token_calls()

    defer(world.container, "connection.keep_alive", timestamp=0)
    worker_app(world.container.jobs).run_worker(wait=False, install_signal_handlers=False)

    assert world.token_calls() == calls_before + 1
    assert health_report(world.container, world.company_id).refresh_token_age_seconds == 0
    with world.container.engine.connect() as conn:
        statuses = conn.execute(
            text(
                "SELECT status FROM procrastinate_jobs WHERE task_name = 'connection.keep_alive' "
                "AND args->>'timestamp' = '0'"
            )
        ).scalars()
        assert list(statuses) == ["succeeded"]
