"""The ``exact-sandbox`` command: serve the Exact Online simulator alone over HTTP(S)."""

from __future__ import annotations

import typer

from exact_sandbox.config import ServeSettings
from exact_sandbox.seed import DEMO_CLIENT_ID
from exact_sandbox.serve import (
    TOKEN_FILE,
    base_url,
    describe,
    memory_sandbox,
    persisted_sandbox,
    serve,
)
from exact_sandbox.tls import tls_files

app = typer.Typer(help="An Exact Online simulator (OAuth, REST, faults, control API).")


@app.command()
def exact_sandbox(
    port: int | None = typer.Option(None, help="Port (default 8765, EXACT_SANDBOX_PORT)."),
    host: str | None = typer.Option(None, help="Interface (default 127.0.0.1)."),
    database_url: str | None = typer.Option(
        None, help="PostgreSQL URL to persist to (default EXACT_SANDBOX_DATABASE_URL)."
    ),
    fresh: bool = typer.Option(False, help="Discard the persisted sandbox; seed the demo again."),
    accounts: int = typer.Option(0, help="Also generate a large division with N GL accounts."),
    suppliers: int = typer.Option(0, help="… with N suppliers."),
    projects: int = typer.Option(0, help="… with N projects."),
    tls: bool = typer.Option(
        False, help="Serve HTTPS with a local CA generated once into the data directory."
    ),
) -> None:
    """Serve the sandbox with its demo data; persisted when a database URL is given."""
    settings = ServeSettings()
    host, port = host or settings.host, port or settings.port
    url = database_url or settings.database_url
    sizes = {"accounts": accounts, "suppliers": suppliers, "projects": projects}
    if url:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        token_file = settings.data_dir / TOKEN_FILE
        sandbox = persisted_sandbox(url, token_file, fresh=fresh, **sizes)
        where = f"Persisted in schema exact_sandbox; tokens in {token_file}."
    else:
        sandbox = memory_sandbox(**sizes)
        where = "No database URL (EXACT_SANDBOX_DATABASE_URL): data kept in memory only."
    if settings.webhook_secret:
        sandbox.apps[DEMO_CLIENT_ID].webhook_secret = settings.webhook_secret
    files = tls_files(settings.data_dir) if tls else None
    for line in [*describe(sandbox, base_url(host, port, files)), where]:
        typer.echo(line)
    if files is not None:
        typer.echo(files.ca_line())
    sandbox.webhooks.interval = settings.webhook_interval
    serve(host, port, sandbox, files)


def main() -> None:
    app()
