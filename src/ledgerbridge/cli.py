"""The ``ledgerbridge`` command. Thin: parse input, call a service, print the result."""

from __future__ import annotations

import logging

import typer
from rich.console import Console

app = typer.Typer(help="LedgerBridge: card transactions into Exact Online.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
console = Console()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database schema to the newest version."""
    from ledgerbridge.bootstrap import bootstrap

    container = bootstrap(upgrade=True)
    console.print(f"[green]Database is up to date[/] ({container.database_url.database}).")


@app.command("run")
def run(
    host: str | None = typer.Option(None, help="Interface to listen on (default from settings)."),
    port: int | None = typer.Option(None, help="Port (default 8000)."),
) -> None:
    """Start LedgerBridge: web app, API, background worker and the Exact sandbox."""
    import uvicorn

    from ledgerbridge.bootstrap import bootstrap
    from ledgerbridge.web.app import create_app

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    container = bootstrap()
    settings = container.settings
    web = create_app(container)
    uvicorn.run(web, host=host or settings.host, port=port or settings.port)


def main() -> None:
    app()
