"""The ``ledgerbridge`` command. Thin: parse input, call a service, print the result."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import typer
from rich.console import Console

app = typer.Typer(help="LedgerBridge: card transactions into Exact Online.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
sync_app = typer.Typer(help="Sync data from Exact Online.", no_args_is_help=True)
app.add_typer(sync_app, name="sync")
import_app = typer.Typer(help="Import data from files.", no_args_is_help=True)
app.add_typer(import_app, name="import")
receipts_app = typer.Typer(help="Receipt storage.", no_args_is_help=True)
app.add_typer(receipts_app, name="receipts")
console = Console()


def _add_exact_commands() -> None:
    from ledgerbridge.cli_exact import exact_app, worker

    app.add_typer(exact_app, name="exact")
    app.command("worker")(worker)


def _add_access_commands() -> None:
    from ledgerbridge.cli_access import company_app, key_app, user_app

    app.add_typer(company_app, name="company")
    app.add_typer(user_app, name="user")
    app.add_typer(key_app, name="api-key")


def _add_export_commands() -> None:
    from ledgerbridge.cli_export import export

    app.command("export")(export)


_add_exact_commands()
_add_access_commands()
_add_export_commands()


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

    from ledgerbridge import logs
    from ledgerbridge.bootstrap import bootstrap
    from ledgerbridge.config import get_settings
    from ledgerbridge.web import runner

    settings = get_settings()
    log_file = logs.configure(settings.data_dir, log_format=settings.log_format)
    host, port = host or settings.host, port or settings.port
    if "public_url" not in settings.model_fields_set:
        settings = settings.model_copy(update={"public_url": f"http://{host}:{port}"})
    container = bootstrap(settings)
    if settings.demo and (created := runner.seed_demo(container)):
        console.print(f"Demo company seeded: {created} transactions.")
    web = runner.build_web(container)
    worker = runner.start_worker(container) if settings.run_worker else None
    for line in runner.banner(settings, log_file):
        console.print(line, highlight=False, markup=False, soft_wrap=True)
    # uvicorn re-raises SIGTERM after its graceful shutdown; exiting normally instead
    # lets the exit handlers run, which stop the embedded PostgreSQL cleanly, after
    # the worker and the job queue's pool (so nothing talks to a database going away).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        uvicorn.run(web, host=host, port=port, log_config=None)
    finally:
        if worker is not None:
            worker.stop()
        container.jobs.close()


@sync_app.command("dimensions")
def sync_dimensions(
    company: str | None = typer.Option(None, help="Company slug (default: the only company)."),
    full: bool = typer.Option(False, "--full", help="Pull everything, not only what changed."),
) -> None:
    """Sync dimensions from Exact Online now and print what changed."""
    from ledgerbridge.bootstrap import bootstrap
    from ledgerbridge.services.companies import resolve_company
    from ledgerbridge.services.dimensions.sync import sync_company
    from ledgerbridge.services.errors import ServiceError

    c = bootstrap()
    try:
        found = resolve_company(c.uow, company, how_to_name="--company SLUG")
        outcome = sync_company(c.uow, c.gateway, c.now, found.id, mode="full" if full else "auto")
    except ServiceError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc
    colour = "green" if outcome.status == "ok" else "red"
    console.print(
        f"[{colour}]{outcome.mode} sync {outcome.status}[/] ({outcome.api_calls} API calls)"
    )
    for line in outcome.lines:
        console.print(f"  {line}")
    if outcome.status != "ok":
        raise typer.Exit(1)


@app.command("sandbox")
def sandbox(
    port: int = typer.Option(8765, help="Port to serve the sandbox on."),
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    fresh: bool = typer.Option(False, help="Discard the persisted sandbox; seed the demo again."),
    accounts: int = typer.Option(0, help="Also generate a large division with N GL accounts."),
    suppliers: int = typer.Option(0, help="… with N suppliers."),
    projects: int = typer.Option(0, help="… with N projects."),
    tls: bool = typer.Option(
        False, help="Serve HTTPS with a local CA generated once into the data directory."
    ),
) -> None:
    """Serve the Exact Online sandbox alone (demo data, persisted in the database)."""
    from ledgerbridge.bootstrap import bootstrap
    from ledgerbridge.demo.sandbox import base_url, describe, serve, standalone_sandbox, tls_files

    container = bootstrap(upgrade=True)
    simulator = standalone_sandbox(
        container,
        fresh=fresh,
        accounts=accounts,
        suppliers=suppliers,
        projects=projects,
    )
    files = tls_files(container.settings.data_dir) if tls else None
    lines = describe(simulator, base_url(host, port, files))
    for line in [*lines, *([files.ca_line()] if files else [])]:
        console.print(line, highlight=False, markup=False, soft_wrap=True)
    serve(host, port, simulator, files)


@import_app.command("transactions")
def import_transactions(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV file (see README)."),
    company: str | None = typer.Option(None, help="Company slug (default: the only company)."),
) -> None:
    """Import transactions from a CSV file: all rows or none; known external ids skipped."""
    from ledgerbridge.bootstrap import bootstrap
    from ledgerbridge.services.transactions.csv_import import CsvImportError, import_csv_file

    try:
        result = import_csv_file(bootstrap().uow, file, company)
    except CsvImportError as error:
        console.print(f"[red]{error}[/]", highlight=False)
        for problem in error.errors:
            where = f"line {problem.line}" if problem.line else "file"
            console.print(f"  {where}: {problem.field}: {problem.message}", highlight=False)
        if error.total > len(error.errors):
            console.print(f"  … and {error.total - len(error.errors)} more")
        raise typer.Exit(1) from None
    console.print(
        f"[green]Imported {result.created} transaction(s)[/] from {result.rows} row(s); "
        f"{result.skipped_existing} already known and skipped."
    )


@receipts_app.command("migrate")
def receipts_migrate(
    source: Path = typer.Option(
        ...,
        "--from",
        exists=True,
        file_okay=False,
        help="The local receipt directory (DATA_DIR/receipts).",
    ),
    target: str = typer.Option(
        ..., "--to", help="Where to copy it: s3://bucket/prefix (or another directory)."
    ),
) -> None:
    """Copy a local receipt store into object storage. Safe to stop and run again:
    files already there with the same content are skipped. Exit code 1 when any failed."""
    from ledgerbridge.config import get_settings
    from ledgerbridge.files.migrate import copy_receipts
    from ledgerbridge.files.store import (
        FileSystemReceiptStore,
        ReceiptStoreUnavailable,
        open_receipt_store,
    )

    try:
        store = open_receipt_store(target, s3_endpoint_url=get_settings().s3_endpoint_url)
        store.check()
    except (ValueError, ReceiptStoreUnavailable) as error:
        console.print(f"[red]Cannot copy to {target}:[/] {error}", highlight=False)
        raise typer.Exit(1) from None
    done = copy_receipts(FileSystemReceiptStore(source), store)
    colour = "red" if done.failed else "green"
    console.print(
        f"Receipts from {source} to {target}: [{colour}]copied {done.copied}[/], "
        f"already there {done.already_there}, [{colour}]failed {done.failed}[/]",
        highlight=False,
        soft_wrap=True,
    )
    for sha256, reason in done.failures[:20]:
        console.print(f"  [red]failed[/] {sha256}: {reason}", highlight=False, soft_wrap=True)
    if done.failed > 20:
        console.print(f"  … and {done.failed - 20} more")
    if done.failed:
        console.print("[red]Some files were not copied;[/] run the command again to retry them.")
        raise typer.Exit(1)


def main() -> None:
    app()
