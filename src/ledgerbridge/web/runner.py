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


def build_web(container: Container) -> FastAPI:
    """The app with the sandbox mounted at /sandbox when the settings ask for it."""
    mounts: dict[str, ASGIApp] = {}
    if container.settings.sandbox_enabled:
        from ledgerbridge.demo.sandbox import sandbox_mount

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
