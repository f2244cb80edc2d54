"""Export API: start an export run, follow it, the export queue (retry, reopen, booked
manually) and the export history (and its CSV).

Thin: the rules live in ``services.export``. Starting is all or nothing: a selection with
anything not *ready* answers ``422`` with ``errors`` per transaction and queues nothing.
The work is done by a job worker (the app's, or ``ledgerbridge worker``); the answers
here say where it stands. Reading needs viewer, any change bookkeeper.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field, model_validator

from ledgerbridge.bootstrap import Container
from ledgerbridge.domain.export_status import ExportStatus
from ledgerbridge.services.export import listing, queries, start
from ledgerbridge.services.prep.coding import MAX_SELECTION
from ledgerbridge.web.api._transaction_views import money_text
from ledgerbridge.web.api.prep import FilterBody, SelectionBody
from ledgerbridge.web.deps import CurrentCompany, container, current_actor, current_company
from ledgerbridge.web.text_input import KeepableText, StrictJsonRoute

router = APIRouter(prefix="/api/v1", tags=["export"], route_class=StrictJsonRoute)
# The history's CSV holds at most this many rows (narrow the filter for older ones).
CSV_MAX_ROWS = 10_000
ENTRY_NUMBER_MAX = 2**31 - 1


class ReadyFilterBody(FilterBody):
    """The list's filters; only *ready* transactions are exported, whatever else matches."""

    status: Literal[ExportStatus.READY] = Field(
        default=ExportStatus.READY, description="always ready"
    )


class ExportBody(SelectionBody):
    """Either ``ids`` (each must be *ready*) or ``filter`` (all ready ones matching it)."""

    filter: ReadyFilterBody | None = None


class RetryBody(BaseModel):
    """Either ``ids`` (each in the export queue) or ``all: true`` (the whole queue)."""

    ids: list[uuid.UUID] | None = Field(default=None, min_length=1, max_length=MAX_SELECTION)
    all: bool = False

    @model_validator(mode="after")
    def _one_of(self) -> RetryBody:
        if (self.ids is None) == (not self.all):
            raise ValueError('send either ids or "all": true')
        return self


class IdsBody(BaseModel):
    ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_SELECTION)


class BookedManuallyBody(BaseModel):
    entry_number: int = Field(
        gt=0, le=ENTRY_NUMBER_MAX, description="The entry number Exact Online shows."
    )


class StartedOut(BaseModel):
    run_id: uuid.UUID
    queued: int = Field(description="Transactions handed to the run.")


class EtaOut(BaseModel):
    done_at: datetime = Field(description="When the last call of the work can be sent.")
    waits_for_reset: bool = Field(description="The rest waits for Exact's daily reset.")
    calls: int
    calls_before_reset: int
    resets_waited: int


class RunOut(BaseModel):
    run_id: uuid.UUID
    state: str = Field(description="running, waiting (Exact's limits), paused, finished")
    note: str | None = Field(description="Why it waits or paused, in plain words.")
    started_by: str
    started_at: datetime
    finished_at: datetime | None
    total: int
    done: int = Field(description="Exported.")
    failed: int = Field(description="In the export queue.")
    waiting: int = Field(description="Queued or exporting.")
    eta: EtaOut | None = Field(description="While work is left: from the budget left.")


class RunsOut(BaseModel):
    items: list[RunOut]


class QueueItemOut(BaseModel):
    transaction_id: uuid.UUID
    external_id: str
    booking_date: date
    merchant: str
    amount: str | None
    currency: str
    failure_class: str | None
    reason: str | None
    action: str | None
    action_words: str | None = Field(description="What to do, in plain words.")
    exact_message: str | None = Field(description="Exact Online's own message.")
    failed_step: str | None
    entry_number: int | None
    attempts: int
    failed_at: datetime


class QueueOut(BaseModel):
    items: list[QueueItemOut]


class ReopenedOut(BaseModel):
    reopened: int


class BookedOut(BaseModel):
    id: uuid.UUID
    status: str
    entry_number: int


class HistoryItemOut(BaseModel):
    transaction_id: uuid.UUID
    external_id: str
    booking_date: date
    merchant: str
    amount: str | None
    currency: str
    entry_number: int | None
    entry_id: str | None
    document_id: str | None
    document_url: str | None
    bank_entry_id: str | None
    match_status: str | None = Field(description="matched, not_matched_yet (as read back)")
    receipts_pushed: int
    receipts: int
    exported_by: str | None
    exported_at: datetime | None
    booked_manually: bool


class HistoryOut(BaseModel):
    items: list[HistoryItemOut]
    next_cursor: str | None


MatchStatus = Literal["matched", "not_matched_yet"]


def run_out(view: queries.RunView) -> RunOut:
    eta = view.eta
    return RunOut(
        run_id=view.run_id, state=view.state, note=view.note, started_by=view.started_by,
        started_at=view.started_at, finished_at=view.finished_at, total=view.total,
        done=view.done, failed=view.failed, waiting=view.waiting,
        eta=None if eta is None else EtaOut(
            done_at=eta.done_at, waits_for_reset=eta.waits_for_reset, calls=eta.calls,
            calls_before_reset=eta.calls_before_reset, resets_waited=eta.resets_waited,
        ),
    )  # fmt: skip


def _queue_item(i: queries.QueueItem) -> QueueItemOut:
    return QueueItemOut(
        transaction_id=i.transaction_id, external_id=i.external_id,
        booking_date=i.booking_date, merchant=i.merchant,
        amount=money_text(i.amount, i.currency), currency=i.currency,
        failure_class=i.failure_class, reason=i.reason, action=i.action,
        action_words=i.action_words, exact_message=i.exact_message,
        failed_step=i.failed_step, entry_number=i.entry_number, attempts=i.attempts,
        failed_at=i.failed_at,
    )  # fmt: skip


def _history_item(i: queries.HistoryItem) -> HistoryItemOut:
    return HistoryItemOut(
        transaction_id=i.transaction_id, external_id=i.external_id,
        booking_date=i.booking_date, merchant=i.merchant,
        amount=money_text(i.amount, i.currency), currency=i.currency,
        entry_number=i.entry_number, entry_id=i.entry_id, document_id=i.document_id,
        document_url=i.document_url, bank_entry_id=i.bank_entry_id,
        match_status=i.match_status, receipts_pushed=i.receipts_pushed,
        receipts=i.receipts, exported_by=i.exported_by, exported_at=i.exported_at,
        booked_manually=i.booked_manually,
    )  # fmt: skip


def _started(found: start.Started) -> StartedOut:
    return StartedOut(run_id=found.run_id, queued=found.queued)


@router.post(
    "/exports", status_code=202, summary="Export ready transactions to Exact Online (a run)"
)
def post_export(
    body: ExportBody,
    company: CurrentCompany = Depends(current_company),
    actor: str = Depends(current_actor),
    app: Container = Depends(container),
) -> StartedOut:
    """The selection moves to *queued* and a job exports it; follow it with
    ``GET /api/v1/exports/{export_run_id}``. Anything not *ready* → ``422`` with
    ``errors`` per transaction, nothing queued; not connected → ``409``."""
    ids = body.resolve(app, company)
    return _started(start.start_export(app.uow, app.queue, app.now, company.id, ids, actor))


@router.get("/exports", summary="The company's recent export runs (newest first)")
def list_exports(
    limit: int = Query(listing.RECENT_RUNS, ge=1, le=100),
    company: CurrentCompany = Depends(current_company),
    app: Container = Depends(container),
) -> RunsOut:
    found = listing.recent_runs(app.uow, company.id, app.now, limit=limit)
    return RunsOut(items=[run_out(v) for v in found])


@router.get("/exports/{export_run_id}", summary="One export run: progress, state, ETA")
def get_export(
    export_run_id: uuid.UUID,
    company: CurrentCompany = Depends(current_company),
    app: Container = Depends(container),
) -> RunOut:
    """``done``/``total``, ``failed``, ``waiting``; ``state`` *waiting* (Exact's limits, until
    ``eta``) or *paused* (renew the connection) with the ``note`` saying why."""
    return run_out(queries.run_view(app.uow, company.id, export_run_id, app.now))


@router.get("/export-queue", summary="Failed exports: reason, action, Exact's message")
def get_export_queue(
    company: CurrentCompany = Depends(current_company),
    app: Container = Depends(container),
) -> QueueOut:
    return QueueOut(items=[_queue_item(i) for i in queries.export_queue(app.uow, company.id)])


@router.post("/export-queue/retry", status_code=202, summary="Export failed ones again (a new run)")
def post_retry(
    body: RetryBody,
    company: CurrentCompany = Depends(current_company),
    actor: str = Depends(current_actor),
    app: Container = Depends(container),
) -> StartedOut:
    """Each resumes at the step it failed in; what it already created in Exact is reused,
    never posted again. Anything not *failed* → ``422``, nothing queued."""
    ids = None if body.all else body.ids
    return _started(start.retry(app.uow, app.queue, app.now, company.id, ids, actor))


@router.post("/export-queue/reopen", summary="Take failed ones back to prepare (to edit)")
def post_reopen(
    body: IdsBody,
    company: CurrentCompany = Depends(current_company),
    actor: str = Depends(current_actor),
    app: Container = Depends(container),
) -> ReopenedOut:
    """Refused (``400``) for one whose purchase entry is already in Exact Online."""
    return ReopenedOut(reopened=start.reopen_failed(app.uow, company.id, body.ids, actor))


@router.post(
    "/transactions/{transaction_id}/booked-manually",
    summary="Record that it was booked by hand in Exact Online (never sent)",
)
def post_booked_manually(
    transaction_id: uuid.UUID,
    body: BookedManuallyBody,
    company: CurrentCompany = Depends(current_company),
    actor: str = Depends(current_actor),
    app: Container = Depends(container),
) -> BookedOut:
    """For a *ready* or *failed* one; it counts as exported with that entry number."""
    start.booked_manually(app.uow, app.now, company.id, transaction_id, body.entry_number, actor)
    return BookedOut(
        id=transaction_id, status=ExportStatus.EXPORTED.value, entry_number=body.entry_number
    )


def _history_filter(
    exported_from: date | None = Query(None, description="Exported on or after (UTC date)."),
    exported_to: date | None = Query(None, description="Exported on or before (UTC date)."),
    match_status: MatchStatus | None = Query(None),
    q: KeepableText | None = Query(
        None, max_length=255, description="Part of the merchant, external id or entry number."
    ),
) -> queries.HistoryFilter:
    return queries.HistoryFilter(exported_from, exported_to, match_status, q)


@router.get("/export-history", summary="Exported transactions (newest first, keyset pages)")
def get_export_history(
    filters: queries.HistoryFilter = Depends(_history_filter),
    limit: int = Query(50, ge=1, le=500),
    cursor: str | None = Query(None, max_length=200, description="next_cursor of a page."),
    company: CurrentCompany = Depends(current_company),
    app: Container = Depends(container),
) -> HistoryOut:
    """Entry number, entry and document ids with the link, bank entry, match status as read
    back, receipts pushed, who exported and when."""
    page = listing.history_page(app.uow, company.id, filters, limit=limit, cursor=cursor)
    return HistoryOut(items=[_history_item(i) for i in page.items], next_cursor=page.next_cursor)


@router.get(
    "/export-history.csv",
    summary="The export history as CSV (formula cells escaped)",
    response_class=Response,
    responses={200: {"description": "CSV, as an attachment", "content": {"text/csv": {}}}},
)
def get_export_history_csv(
    filters: queries.HistoryFilter = Depends(_history_filter),
    company: CurrentCompany = Depends(current_company),
    app: Container = Depends(container),
) -> Response:
    """The same filters as the history, up to 10,000 rows; a cell a spreadsheet would run
    as a formula (``=``, ``+``, ``-``, ``@``) starts with an apostrophe."""
    items = queries.export_history(app.uow, company.id, filters, limit=CSV_MAX_ROWS)
    name = f"export-history-{app.now():%Y-%m-%d}.csv"
    return Response(
        queries.history_csv(items),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
        },
    )
