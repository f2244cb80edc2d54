"""What the export's API and CLI list beside the read models of ``queries``: the company's
recent runs, its ready transactions as one selection, and the history in pages with an
opaque keyset cursor."""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import datetime

from ledgerbridge.domain.export_status import ExportStatus
from ledgerbridge.domain.wording import N_
from ledgerbridge.services.errors import InvalidRequest
from ledgerbridge.services.export.queries import (
    HistoryFilter,
    HistoryItem,
    RunView,
    export_history,
    run_view,
)
from ledgerbridge.services.ports import Clock, UnitOfWorkFactory
from ledgerbridge.services.prep.coding import MAX_SELECTION
from ledgerbridge.services.transactions.query import TransactionFilter

RECENT_RUNS = 20


def recent_runs(
    uow_factory: UnitOfWorkFactory, company_id: uuid.UUID, clock: Clock, limit: int = RECENT_RUNS
) -> list[RunView]:
    """The company's latest runs, newest first, each with its progress (``run_view``)."""
    with uow_factory() as uow:
        run_ids = [run.id for run in uow.exports.runs(company_id, limit=limit)]
    return [run_view(uow_factory, company_id, run_id, clock) for run_id in run_ids]


@dataclass(frozen=True, slots=True)
class ReadySelection:
    """The ready transactions one run takes (at most ``MAX_SELECTION``); ``more``: others
    are ready beyond them (a next run takes them)."""

    ids: list[uuid.UUID]
    more: bool


def ready_selection(uow_factory: UnitOfWorkFactory, company_id: uuid.UUID) -> ReadySelection:
    """The company's ready transactions, in list order, as many as one run may take."""
    filters = TransactionFilter(status=ExportStatus.READY)
    with uow_factory() as uow:
        ids = uow.transactions.ids_matching(company_id, filters, limit=MAX_SELECTION + 1)
    return ReadySelection(ids[:MAX_SELECTION], len(ids) > MAX_SELECTION)


@dataclass(frozen=True, slots=True)
class HistoryPage:
    items: list[HistoryItem]
    next_cursor: str | None


def history_page(
    uow_factory: UnitOfWorkFactory,
    company_id: uuid.UUID,
    filters: HistoryFilter,
    *,
    limit: int,
    cursor: str | None = None,
) -> HistoryPage:
    """Up to ``limit`` exported transactions, newest first, after ``cursor`` (the
    ``next_cursor`` of the page before; ``None`` on the last page)."""
    after = _decode(cursor) if cursor is not None else None
    found = export_history(uow_factory, company_id, filters, limit=limit + 1, after=after)
    page = found[:limit]
    more = len(found) > limit and page[-1].exported_at is not None
    return HistoryPage(page, _encode(page[-1]) if more else None)


def _encode(item: HistoryItem) -> str:
    assert item.exported_at is not None
    raw = f"{item.exported_at.isoformat()}|{item.transaction_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, txn_id = raw.split("|")
        when = datetime.fromisoformat(at)
        if when.tzinfo is None:
            raise ValueError(at)
        return when, uuid.UUID(txn_id)
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise InvalidRequest(
            N_("cursor: not the next_cursor of an earlier page; start from the first page")
        ) from error
