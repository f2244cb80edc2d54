"""The demo's Exact Online: the one product module that imports ``exact_sandbox``.

- ``with_demo_app(settings)``: the sandbox's demo app as the Exact app when no
  client id/secret (or webhook secret) is configured (bootstrap calls it for the
  built-in sandbox);
- ``sandbox_mount(container)``: the sandbox that ``ledgerbridge run`` mounts at
  ``/sandbox``, persisted in this app's database; it posts its webhooks every few
  seconds (they reach this app when ``public_url`` is https);
- ``standalone_sandbox(container, …)`` with ``describe`` and ``serve``: the
  ``ledgerbridge sandbox`` command, a thin stand-in for ``exact-sandbox`` that uses
  this app's database (embedded or configured) and data directory (``--tls``:
  ``tls_files`` and ``base_url``, the CA and certificate kept in the data directory).

The sandbox keeps its rows in its own schema (``exact_sandbox``), which it creates
and migrates itself; the product's migrations never touch it. A production
install (a real Exact region, the sandbox not mounted) never imports this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.types import ASGIApp

from exact_sandbox.core import Sandbox
from exact_sandbox.seed import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_WEBHOOK_SECRET
from exact_sandbox.serve import (
    TOKEN_FILE,
    base_url,
    describe,
    persisted_sandbox,
    sandbox_asgi,
    serve,
)
from exact_sandbox.tls import tls_files
from exact_sandbox.webhooks import start_delivery_loop
from ledgerbridge.config import Settings

if TYPE_CHECKING:
    from ledgerbridge.bootstrap import Container

__all__ = [
    "base_url",
    "describe",
    "sandbox_mount",
    "serve",
    "standalone_sandbox",
    "tls_files",
    "with_demo_app",
]


def with_demo_app(settings: Settings) -> Settings:
    """``settings`` with the sandbox's demo app filling an unset client id or secret.

    Configured values win. Meant for the built-in sandbox only (region ``custom``
    and no base URL): real Exact does not know the demo app.
    """
    update = {}
    if not settings.exact_client_id:
        update["exact_client_id"] = DEMO_CLIENT_ID
    if not settings.exact_client_secret:
        update["exact_client_secret"] = DEMO_CLIENT_SECRET
    if not settings.exact_webhook_secret:
        update["exact_webhook_secret"] = DEMO_WEBHOOK_SECRET
    return settings.model_copy(update=update) if update else settings


def _database_url(container: Container) -> str:
    return container.database_url.render_as_string(hide_password=False)


def sandbox_mount(container: Container) -> ASGIApp:
    """The sandbox, persisted in this app's database (schema ``exact_sandbox``), as ASGI app.

    Its issued tokens are kept in ``data_dir/sandbox-tokens.json`` so a restart of
    the demo keeps the connection alive.
    """
    token_file = container.settings.data_dir / TOKEN_FILE
    sandbox = persisted_sandbox(_database_url(container), token_file)
    # As a customer registers the app's redirect URL in Exact's App Center: ours may
    # differ from the seeded one when the app runs on another host or port.
    registered = sandbox.apps[DEMO_CLIENT_ID].redirect_uris
    if (ours := container.exact_app().redirect_url) not in registered:
        registered.append(ours)
    secret = container.settings.exact_webhook_secret
    if secret:  # as set for the app in the App Center
        sandbox.apps[DEMO_CLIENT_ID].webhook_secret = secret
    start_delivery_loop(sandbox.webhooks)  # runs as long as the process
    return sandbox_asgi(sandbox)


def standalone_sandbox(
    container: Container,
    *,
    fresh: bool = False,
    accounts: int = 0,
    suppliers: int = 0,
    projects: int = 0,
) -> Sandbox:
    """The ``ledgerbridge sandbox`` sandbox: persisted in the container's database, its
    tokens in the data directory (as ``sandbox_mount``, so both see the same Exact)."""
    url = _database_url(container)
    # The sandbox opens its own connections; the app's pool is not needed while serving.
    container.engine.dispose()
    token_file = container.settings.data_dir / TOKEN_FILE
    sizes = {"accounts": accounts, "suppliers": suppliers, "projects": projects}
    return persisted_sandbox(url, token_file, fresh=fresh, **sizes)
