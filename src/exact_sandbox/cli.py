"""The ``exact-sandbox`` command: serve the Exact Online simulator alone over HTTP."""

from __future__ import annotations

import typer

from exact_sandbox.config import ServeSettings
from exact_sandbox.serve import TOKEN_FILE, describe, memory_sandbox, persisted_sandbox, serve

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
    for line in [*describe(sandbox, f"http://{host}:{port}"), where]:
        typer.echo(line)
    serve(host, port, sandbox)


def main() -> None:
    app()
