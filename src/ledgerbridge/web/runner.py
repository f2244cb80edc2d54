"""What ``ledgerbridge run`` starts: the web app, the in-process sandbox and worker.

Kept out of cli.py so the command stays thin and the e2e tests can start the
same thing in a subprocess.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI
from starlette.types import ASGIApp

from ledgerbridge.bootstrap import Container
from ledgerbridge.web.app import SANDBOX_PREFIX, create_app

log = logging.getLogger(__name__)


def sandbox_mount(container: Container) -> ASGIApp:
    """The sandbox, persisted in this app's database (schema ``sandbox``), as an ASGI app.

    Its issued tokens are kept in ``data_dir/sandbox-tokens.json`` so a restart of
    the demo keeps the connection alive.
    """
    from exact_sandbox.seed import DEMO_CLIENT_ID
    from exact_sandbox.serve import persisted_sandbox, sandbox_asgi

    url = container.database_url.render_as_string(hide_password=False)
    sandbox = persisted_sandbox(url, container.settings.data_dir / "sandbox-tokens.json")
    # As a customer registers the app's redirect URL in Exact's App Center: ours may
    # differ from the seeded one when the app runs on another host or port.
    registered = sandbox.apps[DEMO_CLIENT_ID].redirect_uris
    if (ours := container.exact_app().redirect_url) not in registered:
        registered.append(ours)
    return sandbox_asgi(sandbox)


def build_web(container: Container) -> FastAPI:
    """The app with the sandbox mounted at /sandbox when the settings ask for it."""
    mounts: dict[str, ASGIApp] = {}
    if container.settings.sandbox_enabled:
        mounts[SANDBOX_PREFIX] = sandbox_mount(container)
        log.info("Exact sandbox at %s%s", container.settings.public_url, SANDBOX_PREFIX)
    return create_app(container, mounts=mounts)


def seed_demo(container: Container) -> int:
    """Seed the demo company once (idempotent); the number of transactions created."""
    from ledgerbridge.demo.seed import seed_demo
    from ledgerbridge.files.store import FileSystemReceiptStore

    store = FileSystemReceiptStore(container.settings.receipts_dir)
    return seed_demo(container.uow(), store, seed=container.settings.demo_seed).created


def start_worker(container: Container) -> None:
    """The job worker in a daemon thread of this process."""
    from ledgerbridge.jobs.app import WorkerThread

    WorkerThread(container.jobs).start()
