"""``ledgerbridge export``: start an export run and follow it with a progress bar.

Thin: the run is started by ``services.export.start`` and worked through by a job
worker (the app's, ``ledgerbridge run``, or ``ledgerbridge worker``), never by this
command; it polls ``run_view`` until the run is finished, or waits (Exact's limits) or
is paused (renew the connection) — the worker carries on after it exits.
Exit codes: 0 ok, 1 refused (nothing queued), 2 bad usage.
"""

from __future__ import annotations

import uuid

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from ledgerbridge.bootstrap import Container
from ledgerbridge.services.errors import ItemsRefused, ServiceError
from ledgerbridge.services.export import listing, queries, start
from ledgerbridge.services.prep.coding import MAX_SELECTION

# Long lines stay whole (a log or pipe reads them); ids are not coloured.
console = Console(soft_wrap=True, highlight=False)
ACTOR = "cli"
SHOWN_REFUSALS = 20
NOTE_IN_BAR = 48


def export(
    ready: bool = typer.Option(False, "--ready", help="Export the company's ready transactions."),
    retry_failed: bool = typer.Option(
        False, "--retry-failed", help="Export the export queue (failed ones) again."
    ),
    company: str | None = typer.Option(
        None, "--company", help="Company slug (optional with one company)."
    ),
    wait: bool = typer.Option(
        True, "--wait/--no-wait", help="Follow the run until it is finished, waits or pauses."
    ),
    poll: float = typer.Option(2.0, min=0.1, help="Seconds between looks at the run."),
) -> None:
    """Export to Exact Online: all ready transactions (--ready) or the export queue
    (--retry-failed), with a progress bar; a job worker does the work."""
    from ledgerbridge.bootstrap import bootstrap
    from ledgerbridge.services.companies import resolve_company

    if ready == retry_failed:
        console.print("[red]Give one of --ready or --retry-failed.[/]")
        raise typer.Exit(2)
    c = bootstrap()
    try:
        company_id = resolve_company(c.uow, company, how_to_name="--company SLUG").id
    except ServiceError as error:
        console.print(f"[red]{escape(str(error))}[/]")
        raise typer.Exit(2) from error
    started = _start(c, company_id, ready)
    if started is None:
        return
    console.print(f"Export run {started.run_id}: {started.queued} transaction(s) queued.")
    console.print(
        "The export is done by a job worker: the app's (ledgerbridge run) or "
        "`ledgerbridge worker`; this command only follows it."
    )
    if not wait:
        console.print(f"Follow it: GET /api/v1/exports/{started.run_id}")
        return
    _follow(c, company_id, started.run_id, poll)


def _start(c: Container, company_id: uuid.UUID, ready: bool) -> start.Started | None:
    """The run started, or ``None`` when there is nothing to start (said why)."""
    try:
        if ready:
            selection = listing.ready_selection(c.uow, company_id)
            if not selection.ids:
                console.print("No transaction is ready to export; nothing started.")
                return None
            if selection.more:
                console.print(
                    f"[yellow]More than {MAX_SELECTION:,} transactions are ready: this run "
                    "takes the first ones; run the command again for the rest.[/]"
                )
            return start.start_export(c.uow, c.queue, c.now, company_id, selection.ids, ACTOR)
        if not queries.export_queue(c.uow, company_id):
            console.print("The export queue is empty; nothing to retry.")
            return None
        return start.retry(c.uow, c.queue, c.now, company_id, None, ACTOR)
    except ServiceError as error:
        _refused(error)
        raise typer.Exit(1) from error


def _refused(error: ServiceError) -> None:
    console.print(f"[red]{escape(str(error))}[/]; nothing was queued.")
    if isinstance(error, ItemsRefused):
        for item in error.items[:SHOWN_REFUSALS]:
            console.print(f"  {escape(str(item.get('message', item.get('id'))))}")
        if len(error.items) > SHOWN_REFUSALS:
            console.print(f"  … and {len(error.items) - SHOWN_REFUSALS} more")


def _follow(c: Container, company_id: uuid.UUID, run_id: uuid.UUID, poll: float) -> None:
    """The progress bar until the run is finished, waits or pauses; then what is next."""

    def look() -> queries.RunView:
        return queries.run_view(c.uow, company_id, run_id, c.now)

    view = look()
    columns = (
        TextColumn("Exporting"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failed]} failed · {task.fields[when]}", markup=False),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        bar = progress.add_task("export", total=view.total, failed=0, when="")
        while True:
            progress.update(
                bar, completed=view.done + view.failed, failed=view.failed, when=_when(view)
            )
            if view.state in ("finished", "waiting", "paused"):
                break
            c.sleep(poll)
            view = look()
    _ending(view)


def _when(view: queries.RunView) -> str:
    if view.note and view.state in ("waiting", "paused"):
        note = view.note  # in full below the bar
        return note if len(note) <= NOTE_IN_BAR else note[: NOTE_IN_BAR - 1] + "…"
    if view.eta is None:
        return "done" if view.state == "finished" else ""
    if view.eta.waits_for_reset:
        return f"waits for Exact's daily reset; ETA {view.eta.done_at:%Y-%m-%d %H:%M} UTC"
    return f"ETA {view.eta.done_at:%H:%M:%S} UTC"


def _ending(view: queries.RunView) -> None:
    counts = f"{view.done} of {view.total} exported, {view.failed} failed"
    if view.state == "finished":
        console.print(f"[green]Export run finished[/]: {counts}.")
    elif view.state == "paused":
        console.print(f"[yellow]Export run paused[/] ({counts}): {escape(view.note or '')}")
        console.print(
            "It resumes once the connection is renewed (Integrations, or "
            "`ledgerbridge exact renew`); nothing is lost."
        )
    else:
        console.print(f"[yellow]Export run waiting[/] ({counts}): {escape(view.note or '')}")
        console.print("The worker carries on by itself when Exact allows it.")
    if view.failed:
        console.print(
            f"{view.failed} in the export queue with the reason and what to do: "
            "Transactions › Export queue, or GET /api/v1/export-queue; then "
            "`ledgerbridge export --retry-failed`."
        )
