"""What ``ledgerbridge run`` starts: the web app, the in-process sandbox and worker.

Kept out of cli.py so the command stays thin and the e2e tests can start the
same thing in a subprocess.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI
from starlette.types import ASGIApp

from ledgerbridge.bootstrap import Container
from ledgerbridge.web.app import SANDBOX_PREFIX, create_app

if TYPE_CHECKING:
    from ledgerbridge.config import Settings
    from ledgerbridge.jobs.app import WorkerThread

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

    return seed_demo(container.uow(), container.receipts, seed=container.settings.demo_seed).created


def start_worker(container: Container) -> WorkerThread:
    """The job worker in a daemon thread of this process; ``stop()`` it before exiting."""
    from ledgerbridge.jobs.app import WorkerThread

    return WorkerThread(container.jobs).start()


def banner(settings: Settings, log_file: Path) -> list[str]:
    """What ``ledgerbridge run`` prints once it is ready: where to go, what to do next."""
    url = settings.public_url.rstrip("/")
    lines = [f"LedgerBridge on {url}", f"  API docs:  {url}/docs"]
    if settings.demo:
        from ledgerbridge.demo.seed import ADMIN, ADMIN_PASSWORD

        lines.append(f"  Sign in:   {ADMIN} / {ADMIN_PASSWORD} (demo) at {url}/login")
    lines += [
        f"  Next step: Integrations › Exact Online › Connect ({url}/integrations),",
        "             and allow access at Exact Online.",
    ]
    if settings.sandbox_enabled:
        lines.append(
            f"             (the Exact sandbox at {url}{SANDBOX_PREFIX}: log in demo / demo)"
        )
    lines += [f"  Log file:  {log_file}", "Stop with Ctrl-C."]
    return lines
