"""Read models of the export: a run's progress, the export queue, the export history (and
its CSV). Plain values, safe outside the unit of work; pages and the API show them."""

from __future__ import annotations

import csv
import io
import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from ledgerbridge.db.repositories.exports import HistoryFilter
from ledgerbridge.domain.budget import ExportEta
from ledgerbridge.domain.export_failure import ACTION_WORDS, Action
from ledgerbridge.services.connection.budget import calls_today
from ledgerbridge.services.errors import NotFoundError
from ledgerbridge.services.ports import Clock, UnitOfWorkFactory
from ledgerbridge.services.prep.preview import MAX_PREVIEW, preview_of

__all__ = [
    "HistoryFilter",
    "HistoryItem",
    "QueueItem",
    "RunView",
    "export_history",
    "export_queue",
    "history_csv",
    "run_view",
]

# Calls one transaction costs in Exact: the purchase entry, and per receipt a document and
# an attachment; the batched bank entry and the match read are shared by the run.
CALLS_PER_TRANSACTION, CALLS_PER_RECEIPT = 1.05, 2


@dataclass(frozen=True, slots=True)
class RunView:
    run_id: uuid.UUID
    state: str
    note: str | None
    started_by: str
    started_at: datetime
    finished_at: datetime | None
    total: int
    done: int
    failed: int
    waiting: int
    eta: ExportEta | None


@dataclass(frozen=True, slots=True)
class QueueItem:
    transaction_id: uuid.UUID
    external_id: str
    booking_date: date
    merchant: str
    amount: Decimal
    currency: str
    failure_class: str | None
    reason: str | None
    action: str | None
    action_words: str | None
    exact_message: str | None
    failed_step: str | None
    entry_number: int | None
    attempts: int
    failed_at: datetime
    # The coding was the problem and the synced master data now accept it (e.g. the GL
    # account was unblocked in Exact): the item offers itself for retry.
    retry_offered: bool = False


@dataclass(frozen=True, slots=True)
class HistoryItem:
    transaction_id: uuid.UUID
    external_id: str
    booking_date: date
    merchant: str
    amount: Decimal
    currency: str
    entry_number: int | None
    entry_id: str | None
    document_id: str | None
    document_url: str | None
    bank_entry_id: str | None
    match_status: str | None
    receipts_pushed: int
    receipts: int
    exported_by: str | None
    exported_at: datetime | None
    booked_manually: bool


def run_view(
    uow_factory: UnitOfWorkFactory, company_id: uuid.UUID, run_id: uuid.UUID, clock: Clock
) -> RunView:
    """A run with its progress from its transactions' states and, while it has work left, an
    ETA from what is left of the division's minute and day budget."""
    with uow_factory() as uow:
        run = uow.exports.run(company_id, run_id)
        if run is None:
            raise NotFoundError(f"export run {run_id} not found")
        progress = uow.exports.progress(company_id, run_id)
        view = dict(
            run_id=run.id, state=run.state, note=run.note, started_by=run.started_by,
            started_at=run.started_at, finished_at=run.finished_at, total=run.total,
            done=progress.done, failed=progress.failed, waiting=progress.waiting,
        )  # fmt: skip
    eta = None
    if progress.waiting:
        today = calls_today(uow_factory, company_id, clock())
        calls = math.ceil(progress.waiting * CALLS_PER_TRANSACTION)
        eta = today.eta(calls, 1, clock())
    return RunView(**view, eta=eta)  # type: ignore[arg-type]


def export_queue(uow_factory: UnitOfWorkFactory, company_id: uuid.UUID) -> list[QueueItem]:
    """Failed exports with the reason, the action and Exact's own message; one whose coding
    was the problem and now passes the rule engine against the synced data offers a retry."""
    with uow_factory() as uow:
        items = [
            QueueItem(
                transaction_id=t.id,
                external_id=t.external_id,
                booking_date=t.booking_date,
                merchant=t.merchant_name,
                amount=t.amount,
                currency=t.currency,
                failure_class=e.failure_class,
                reason=e.failure_reason,
                action=e.failure_action,
                action_words=_action_words(e.failure_action),
                exact_message=e.exact_message,
                failed_step=e.failed_step,
                entry_number=e.entry_number,
                attempts=e.attempts,
                failed_at=e.updated_at,
            )
            for t, e in uow.exports.queue(company_id)
        ]
        last_sync = uow.dimensions.last_ok_run(company_id)
        synced_at = last_sync.finished_at if last_sync is not None else None
    # Only a sync after the failure can show that Exact changed what it refused.
    coding = [
        i.transaction_id
        for i in items
        if i.action == Action.FIX_CODING.value and synced_at is not None and synced_at > i.failed_at
    ]
    fixed: set[uuid.UUID] = set()
    for start in range(0, len(coding), MAX_PREVIEW):
        shown = preview_of(uow_factory, company_id, coding[start : start + MAX_PREVIEW])
        fixed |= {p.transaction_id for p in shown if p.documents is not None and not p.problems}
    return [replace(i, retry_offered=i.transaction_id in fixed) for i in items]


def _action_words(action: str | None) -> str | None:
    try:
        return ACTION_WORDS[Action(action)] if action else None
    except ValueError:
        return None


def export_history(
    uow_factory: UnitOfWorkFactory,
    company_id: uuid.UUID,
    filters: HistoryFilter,
    *,
    limit: int = 50,
    after: tuple[datetime, uuid.UUID] | None = None,
) -> list[HistoryItem]:
    """Exported transactions, newest first, ``limit`` after the keyset ``after``."""
    with uow_factory() as uow:
        found = uow.exports.history(company_id, filters, limit=limit, after=after)
        receipts = {t.id: t.receipt_count for t, _ in found}
        return [
            HistoryItem(
                transaction_id=t.id,
                external_id=t.external_id,
                booking_date=t.booking_date,
                merchant=t.merchant_name,
                amount=t.amount,
                currency=t.currency,
                entry_number=e.entry_number,
                entry_id=e.entry_id,
                document_id=e.document_id,
                document_url=e.document_url,
                bank_entry_id=e.bank_entry_id,
                match_status=e.match_status,
                receipts_pushed=len(e.attachments),
                receipts=receipts[t.id],
                exported_by=e.exported_by,
                exported_at=e.exported_at,
                booked_manually=e.booked_manually,
            )
            for t, e in found
        ]


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = (
    "transaction", "booking_date", "merchant", "amount", "currency", "entry_number",
    "entry_id", "document_id", "document_url", "bank_entry_id", "match_status",
    "receipts_pushed", "exported_by", "exported_at", "booked_manually",
)  # fmt: skip


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def history_csv(items: Iterable[HistoryItem]) -> str:
    """The history as CSV; text cells that a spreadsheet would run as a formula are escaped
    with a leading apostrophe (numbers keep their sign: amounts are written as numbers)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for i in items:
        writer.writerow([
            _cell(i.external_id), i.booking_date.isoformat(), _cell(i.merchant),
            f"{i.amount:.2f}", _cell(i.currency), i.entry_number or "", _cell(i.entry_id),
            _cell(i.document_id), _cell(i.document_url), _cell(i.bank_entry_id),
            i.match_status or "", i.receipts_pushed, _cell(i.exported_by),
            i.exported_at.isoformat() if i.exported_at else "", "yes" if i.booked_manually else "",
        ])  # fmt: skip
    return out.getvalue()
