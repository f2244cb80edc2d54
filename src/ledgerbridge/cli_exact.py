"""``ledgerbridge exact …`` and ``ledgerbridge worker``: thin commands over the connection."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import typer
from rich.console import Console
from rich.table import Table

from ledgerbridge.bootstrap import Container, bootstrap
from ledgerbridge.exact.errors import ExactError
from ledgerbridge.services.companies import resolve_company
from ledgerbridge.services.connection.health import HealthReport, health_report
from ledgerbridge.services.errors import ServiceError

exact_app = typer.Typer(help="The Exact Online connection.", no_args_is_help=True)
console = Console()
COMPANY = typer.Option(None, "--company", help="Company slug (optional with one company).")


def _company(slug: str | None) -> tuple[Container, uuid.UUID]:
    container = bootstrap()
    try:
        return container, resolve_company(container.uow, slug, how_to_name="--company SLUG").id
    except ServiceError as error:
        console.print(f"[red]{error}[/]")
        raise typer.Exit(2) from error


def _when(value: datetime | None) -> str:
    return "—" if value is None else f"{value:%Y-%m-%d %H:%M:%S} UTC"


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value / 3600:.1f} h" if value >= 3600 else f"{value:.0f} s"


def _health_table(report: HealthReport) -> Table:
    status = report.status
    table = Table(title="Exact Online connection", show_header=False)
    rows = [
        ("status", f"{status.status}" + (f" — {status.reason}" if status.reason else "")),
        ("administration", f"{status.division or '—'} {status.division_name or ''}"),
        ("Exact user", status.exact_user_name or "—"),
        ("host", status.base_url or "—"),
        ("access token age", _seconds(report.access_token_age_seconds)),
        ("refresh token age", _seconds(report.refresh_token_age_seconds)),
        ("chain expires", _when(report.chain_expires_at)),
        ("token calls today", str(report.token_calls_today)),
        ("minute budget left", f"{report.minute_remaining} / {report.minute_limit}"),
        ("day budget left", f"{report.day_remaining} / {report.day_limit}"),
        ("last successful call", _when(status.last_success_at)),
    ]
    rows += [(f"errors {endpoint}", str(n)) for endpoint, n in report.errors_this_hour.items()]
    rows += [("problem", problem) for problem in report.problems]
    for name, value in rows:
        table.add_row(name, value)
    return table


@exact_app.command("status")
def status(company: str | None = COMPANY) -> None:
    """Connection status and health (no call to Exact)."""
    container, company_id = _company(company)
    report = health_report(container.uow, container.gateway, container.now, company_id)
    console.print(_health_table(report))


@exact_app.command("probe")
def probe(
    company: str | None = COMPANY,
    write: bool = typer.Option(
        False, "--write", help="Also run the checks that write (cleaned up)."
    ),
) -> None:
    """Check what the connected division accepts (EXACT_API.md §8); read-only unless --write."""
    from ledgerbridge.exact.probe import run_probe

    container, company_id = _company(company)
    try:
        report = run_probe(container.gateway.api(company_id), write=write)
    except (ServiceError, ExactError) as error:
        console.print(f"[red]{error}[/]")
        raise typer.Exit(1) from error
    table = Table(title=f"Exact Online probe — division {report.division}")
    for column in ("check", "outcome", "detail"):
        table.add_column(column)
    for check in report.checks:
        table.add_row(check.name, str(check.outcome), check.detail)
    console.print(table)


@exact_app.command("renew")
def renew(company: str | None = COMPANY) -> None:
    """Consent again from the terminal (division, settings and history stay)."""
    container, company_id = _company(company)
    session_id = uuid.uuid4().hex
    console.print("Open this URL, sign in to Exact Online and approve:")
    console.print(container.connections.renew(company_id, session_id).authorize_url, soft_wrap=True)
    returned = typer.prompt("Paste the full URL your browser was sent back to")
    query = parse_qs(urlsplit(returned.strip()).query)
    try:
        result = container.connections.complete_connect(
            session_id, query["code"][0], query["state"][0]
        )
    except KeyError as error:
        console.print("[red]That URL carries no code and state.[/]")
        raise typer.Exit(1) from error
    except (ServiceError, ExactError) as error:
        console.print(f"[red]{error}[/]")
        raise typer.Exit(1) from error
    console.print(f"[green]Connected as {result.exact_user_name}; division {result.division}.[/]")


@exact_app.command("disconnect")
def disconnect(company: str | None = COMPANY) -> None:
    """Forget the tokens (history, division and mappings stay)."""
    container, company_id = _company(company)
    container.connections.disconnect(company_id)
    console.print("[green]Disconnected from Exact Online.[/]")


@exact_app.command("rotate-key")
def rotate_key() -> None:
    """Re-encrypt every stored Exact token with the newest key (all companies).

    Put the new Fernet key first in LEDGERBRIDGE_SECRET_KEY, keep the old ones after it,
    run this, then drop the old keys. Nothing changes when a token fits no key.
    """
    from ledgerbridge.crypto import SecretUnreadable

    container = bootstrap()
    try:
        touched = container.connections.rotate_token_encryption()
    except (SecretUnreadable, ValueError) as error:
        console.print(f"[red]{error}[/]")
        raise typer.Exit(1) from error
    console.print(f"[green]Tokens of {touched} connection(s) re-encrypted with the newest key.[/]")


def worker(
    concurrency: int = typer.Option(4, help="Jobs run at the same time in this process."),
) -> None:
    """Run a job worker (scale out: run it on many machines against the same database)."""
    from ledgerbridge import logs
    from ledgerbridge.config import get_settings
    from ledgerbridge.jobs.app import run_worker

    settings = get_settings()
    log_file = logs.configure(
        settings.data_dir, console_level=logging.INFO, log_format=settings.log_format
    )
    console.print(f"Worker log: {log_file}", highlight=False)
    container = bootstrap(settings)
    if settings.worker_metrics_port is not None:
        from ledgerbridge.metrics import Metrics, serve

        metrics = Metrics(container.uow, container.now, token=settings.metrics_token)
        serve(metrics, settings.host, settings.worker_metrics_port)
        console.print(
            f"Worker metrics: http://{settings.host}:{settings.worker_metrics_port}/metrics",
            highlight=False,
        )
    run_worker(container.jobs, concurrency=concurrency)
