"""The procrastinate app: one job queue in the application's PostgreSQL.

Contract for task modules: every module in ``ledgerbridge.jobs`` that defines
``register(app: JobApp) -> None`` is asked to add its tasks (and periodic
schedules, built from ``app.container.settings``, the settings the process
started with) to each app that is built. Tasks are named ``"<area>.<verb>"``
(``dimensions.full_sync``) and deferred by that name. A task reaches the
process's container with ``container_of(context)``.

Two apps, each with its own task objects: the *deferring* app (a synchronous
psycopg pool; safe from any thread, used by web requests, the CLI and tasks
themselves) and a *worker* app per worker (its own asyncio pool; procrastinate's
async pool is bound to one event loop, so deferring through it from another
thread would break). Nothing is copied or rebound between them.

Workers: one runs in the app process when ``settings.run_worker`` (a thread,
``WorkerThread``), and any number run as ``ledgerbridge worker`` processes on any
machine pointed at the same database. Work for one Exact division is serialised
with ``lock=division_lock(...)``; periodic tasks (cron) are deferred by whichever
worker sees them first, once per schedule.

A worker killed mid-job (SIGKILL, a lost machine) leaves its job ``doing`` and, with
it, the division's lock held: workers send heartbeats (``worker_options``) and
``jobs.retry_stalled`` (``jobs.stalled``) puts the jobs of a silent worker back in
the queue. So a job may run again after a partial run: every handler is idempotent.

Every job a worker runs goes through ``observe_job`` (procrastinate's worker middleware,
set as the app's worker default): its log lines carry the job's company (its
``company_id`` argument) and division (its division lock) — ``logs.begin`` — and its
run time is observed in ``ledgerbridge_job_duration_seconds{task}``.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import pkgutil
import threading
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import procrastinate
from procrastinate import JobContext

from ledgerbridge import logs
from ledgerbridge.db.server import libpq_url
from ledgerbridge.metrics import JOB_DURATION
from ledgerbridge.services.connection.lifecycle import division_of_lock

if TYPE_CHECKING:
    from ledgerbridge.bootstrap import Container
    from ledgerbridge.config import Settings

log = logging.getLogger(__name__)


class JobApp(procrastinate.App):
    """A procrastinate ``App`` that carries the process's container for its tasks."""

    def __init__(self, *, connector: procrastinate.PsycopgConnector, container: Container) -> None:
        super().__init__(connector=connector, worker_defaults={"worker_middleware": [observe_job]})
        self.container = container


async def observe_job(
    call_next: Callable[[], Awaitable[Any]], context: JobContext, worker: object
) -> Any:
    """Runs one job in its log context and times it (see the module docstring).

    Each job runs in its own asyncio task, so the context is set for that job alone;
    a sync task's thread sees it, and what it notes (``logs.note``) is seen here.
    """
    job = context.job
    company = job.task_kwargs.get("company_id")
    logs.begin(
        company=company if isinstance(company, str) else None, division=division_of_lock(job.lock)
    )
    started = time.perf_counter()
    try:
        return await call_next()
    finally:
        JOB_DURATION.labels(job.task_name).observe(time.perf_counter() - started)


def task_registrars() -> list[Callable[[JobApp], None]]:
    """Every ``register`` defined by a module of ``ledgerbridge.jobs`` (sorted by module)."""
    package = importlib.import_module("ledgerbridge.jobs")
    found = []
    for module in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if module.name in ("app", "queue"):
            continue
        loaded = importlib.import_module(f"ledgerbridge.jobs.{module.name}")
        register = getattr(loaded, "register", None)
        if callable(register):
            found.append(register)
    return found


def _with_tasks(app: JobApp) -> JobApp:
    for register in task_registrars():
        register(app)
    return app


def _connector(container: Container, **pool: Any) -> procrastinate.PsycopgConnector:
    return procrastinate.PsycopgConnector(conninfo=libpq_url(container.database_url), **pool)


def create_job_app(container: Container) -> JobApp:
    """The deferring app for ``container``, with every task registered; opened (sync pool).

    Close it with ``app.close()``.
    """
    connector = _connector(container, min_size=1, max_size=4)
    app = _with_tasks(JobApp(connector=connector, container=container))
    app.open()
    return app


def worker_app(app: JobApp) -> JobApp:
    """A worker's app: the same tasks and schedules on its own (async) connector.

    What the worker defers itself (due periodic tasks) goes through its own pool;
    tasks deferring from their code use the container's deferring app.
    """
    return _with_tasks(JobApp(connector=_connector(app.container), container=app.container))


def container_of(context: JobContext) -> Container:
    """The container of the app running this job (tasks use ``pass_context=True``)."""
    app = context.app
    if not isinstance(app, JobApp):
        raise RuntimeError("this task must run in a LedgerBridge job app")
    return app.container


def defer(container: Container, task_name: str, *, lock: str | None = None, **kwargs: Any) -> int:
    """Queue ``task_name`` with ``kwargs`` (JSON values) now; returns the job id.

    For entry points and tests with nothing to commit first; use cases queue through
    the ``JobQueue`` port, which waits for their commit.
    """
    deferrer = container.jobs.configure_task(task_name, lock=lock, allow_unknown=True)
    job_id: int = deferrer.defer(**kwargs)
    return job_id


def worker_options(settings: Settings) -> dict[str, Any]:
    """Heartbeat every min(10, stall/4) s; dead workers pruned after ``job_stall_seconds``.

    The beat is well inside ``job_stall_seconds``, so the jobs of a live worker are
    never taken for stalled ones (``jobs.stalled`` retries a job once its worker's beat
    is that old). The queue is polled every min(5, stall/4) s (procrastinate's default
    is 5): nothing notifies a worker when a division's lock is freed.
    """
    stall = settings.job_stall_seconds
    return {
        "update_heartbeat_interval": min(10.0, stall / 4),
        "stalled_worker_timeout": stall,
        "fetch_job_polling_interval": min(5.0, stall / 4),
    }


def run_worker(app: JobApp, *, concurrency: int = 4, name: str | None = None) -> None:
    """Run a worker in this thread until it is stopped (Ctrl-C / SIGTERM)."""
    worker_app(app).run_worker(
        concurrency=concurrency,
        name=name or "ledgerbridge-worker",
        **worker_options(app.container.settings),
    )


class WorkerThread:
    """A worker running in a daemon thread of the app process (``settings.run_worker``).

    ``stop()`` ends it gracefully (running jobs finish, up to procrastinate's
    shutdown timeout) and waits for the thread: call it before the database goes.
    """

    def __init__(self, app: JobApp, *, concurrency: int = 2) -> None:
        self._app = worker_app(app)
        self._concurrency = concurrency
        self._thread = threading.Thread(target=self._run, name="ledgerbridge-worker", daemon=True)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except Exception:
            log.exception("the in-app job worker failed")
        else:
            log.info("the in-app job worker stopped")

    async def _main(self) -> None:
        async with self._app.open_async():
            task = asyncio.create_task(
                self._app.run_worker_async(
                    concurrency=self._concurrency,
                    name="in-app-worker",
                    install_signal_handlers=False,
                    **worker_options(self._app.container.settings),
                )
            )
            with self._lock:
                self._loop, self._task = asyncio.get_running_loop(), task
                if self._stopping:
                    task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                if not self._stopping:
                    raise

    def start(self) -> WorkerThread:
        self._thread.start()
        return self

    def stop(self, timeout: float = 30) -> None:
        """Ask the worker to stop and wait (up to ``timeout`` seconds) until it has."""
        with self._lock:
            self._stopping = True
            if self._loop is not None and self._task is not None:
                self._loop.call_soon_threadsafe(self._task.cancel)
        if self._thread.is_alive():
            self._thread.join(timeout)
