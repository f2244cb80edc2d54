"""The procrastinate app: one job queue in the application's PostgreSQL.

Contract for task modules: every module in ``ledgerbridge.jobs`` that defines a
module-level ``blueprint: procrastinate.Blueprint`` is collected. Tasks keep the
names they were given, so name them ``"<area>.<verb>"``
(``@blueprint.task(name="dimensions.full_sync", pass_context=True)``) and defer
them by that name (``defer(container, "dimensions.full_sync", company_id=...)``).
A task reaches the process's container with ``container_of(context)``.

Two apps share one task registry: the *deferring* app (a synchronous psycopg
pool; safe from any thread, used by web requests, the CLI and tasks themselves)
and a *worker* app per worker (its own asyncio pool). procrastinate's async
pool is bound to one event loop, so deferring through the worker's pool from
another thread would break; keeping them apart avoids that.

Workers: one runs in the app process when ``settings.run_worker`` (a thread,
``start_worker_thread``), and any number run as ``ledgerbridge worker``
processes on any machine pointed at the same database. Work for one Exact
division is serialised with ``lock=division_lock(...)``; periodic tasks (cron)
are deferred by whichever worker sees them first, once per schedule.
"""

from __future__ import annotations

import copy
import importlib
import logging
import pkgutil
import threading
from typing import TYPE_CHECKING, Any

import procrastinate
from procrastinate import JobContext

from ledgerbridge.db.server import libpq_url

if TYPE_CHECKING:
    from ledgerbridge.bootstrap import Container

log = logging.getLogger(__name__)


class JobApp(procrastinate.App):
    """A procrastinate ``App`` that carries the process's container for its tasks."""

    def __init__(self, *, connector: procrastinate.PsycopgConnector, container: Container) -> None:
        super().__init__(connector=connector)
        self.container = container


def task_blueprints() -> list[procrastinate.Blueprint]:
    """Every ``blueprint`` defined by a module of ``ledgerbridge.jobs`` (sorted by module)."""
    package = importlib.import_module("ledgerbridge.jobs")
    found = []
    for module in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if module.name == "app":
            continue
        loaded = importlib.import_module(f"ledgerbridge.jobs.{module.name}")
        blueprint = getattr(loaded, "blueprint", None)
        if isinstance(blueprint, procrastinate.Blueprint):
            found.append(blueprint)
    return found


def _adopt(app: JobApp, blueprint: procrastinate.Blueprint) -> None:
    # Unlike add_tasks_from, keep the tasks' own names ("dimensions.full_sync"), so
    # deferring by name does not depend on how modules are namespaced.
    for name, task in blueprint.tasks.items():
        task.blueprint = app
        app.tasks[name] = task
    for periodic in blueprint.periodic_registry.periodic_tasks.values():
        key = (periodic.task.name, periodic.periodic_id)
        if key not in app.periodic_registry.periodic_tasks:
            app.periodic_registry.periodic_tasks[key] = periodic


def _connector(container: Container, **pool: Any) -> procrastinate.PsycopgConnector:
    return procrastinate.PsycopgConnector(conninfo=libpq_url(container.database_url), **pool)


def create_job_app(container: Container) -> JobApp:
    """The deferring app for ``container``, with every task registered; opened (sync pool).

    The tasks' home becomes this app (a process has one container, hence one
    deferring app; the newest one wins when tests build several). Close it with
    ``app.close()``.
    """
    app = JobApp(connector=_connector(container, min_size=1, max_size=4), container=container)
    for blueprint in task_blueprints():
        _adopt(app, blueprint)
    app.open()
    return app


def worker_app(app: JobApp) -> JobApp:
    """A second app on its own (async) connector with copies of the tasks, for a worker.

    The copies belong to the worker app, so what the worker defers itself (periodic
    tasks) goes through its own pool; tasks deferring from their code use the container's
    deferring app. The periodic registry must point at the copies: the deferring app's
    pool is synchronous, and a due cron deferred through it raises ``AppNotOpen`` and
    stops the worker.
    """
    worker = JobApp(connector=_connector(app.container), container=app.container)
    for name, task in app.tasks.items():
        if name not in worker.tasks:  # every App has its own builtin tasks
            clone = copy.copy(task)
            clone.blueprint = worker
            worker.tasks[name] = clone
    for periodic in app.periodic_registry.periodic_tasks.values():
        worker.periodic_registry.register_task(
            task=worker.tasks[periodic.task.name],
            cron=periodic.cron,
            periodic_id=periodic.periodic_id,
            configure_kwargs=periodic.configure_kwargs,
        )
    return worker


def container_of(context: JobContext) -> Container:
    """The container of the app running this job (tasks use ``pass_context=True``)."""
    app = context.app
    if not isinstance(app, JobApp):
        raise RuntimeError("this task must run in a LedgerBridge job app")
    return app.container


def division_lock(client_id: str, division: int) -> str:
    """The procrastinate lock that serialises all work for one Exact division."""
    return f"exact-division:{client_id}:{division}"


def defer(container: Container, task_name: str, *, lock: str | None = None, **kwargs: Any) -> int:
    """Queue ``task_name`` with ``kwargs`` (JSON values); returns the job id.

    Call it after the database transaction that made the work visible has
    committed, so a worker never looks before the data is there.
    """
    deferrer = container.jobs.configure_task(task_name, lock=lock, allow_unknown=True)
    job_id: int = deferrer.defer(**kwargs)
    return job_id


def run_worker(app: JobApp, *, concurrency: int = 4, name: str | None = None) -> None:
    """Run a worker in this thread until it is stopped (Ctrl-C / SIGTERM)."""
    worker_app(app).run_worker(concurrency=concurrency, name=name or "ledgerbridge-worker")


class WorkerThread:
    """A worker running in a daemon thread of the app process (``settings.run_worker``)."""

    def __init__(self, app: JobApp, *, concurrency: int = 2) -> None:
        self._app = worker_app(app)
        self._concurrency = concurrency
        self._thread = threading.Thread(target=self._run, name="ledgerbridge-worker", daemon=True)

    def _run(self) -> None:
        try:
            self._app.run_worker(
                concurrency=self._concurrency,
                name="in-app-worker",
                install_signal_handlers=False,
            )
        except Exception:
            log.exception("the in-app job worker stopped")

    def start(self) -> WorkerThread:
        self._thread.start()
        return self
