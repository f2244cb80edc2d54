"""Export runs and each transaction's export saga, always for one company.

The saga row (``TransactionExportRow``) is the truth about what is in Exact for a
transaction: the export service changes it one step at a time and commits each step before
the next call to Exact (``services.export.saga``). Rows are handed out as ORM rows locked by
the caller's unit of work.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ledgerbridge.db.models.core import TransactionRow
from ledgerbridge.db.models.exports import ExportRunRow, TransactionExportRow
from ledgerbridge.db.repositories.connections import installation_wide
from ledgerbridge.db.repositories.errors import NotFound
from ledgerbridge.domain.export_status import ExportStatus


@dataclass(frozen=True, slots=True)
class HistoryFilter:
    """What the export history shows: dates exported, match status, text in merchant/ref."""

    exported_from: date | None = None
    exported_to: date | None = None
    match_status: str | None = None
    q: str | None = None


@dataclass(frozen=True, slots=True)
class RunProgress:
    total: int
    done: int
    failed: int
    waiting: int


class ExportRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- runs --------------------------------------------------------------------------------

    def add_run(
        self, company_id: uuid.UUID, *, division: int, started_by: str, at: datetime, total: int
    ) -> ExportRunRow:
        run = ExportRunRow(
            company_id=company_id,
            division=division,
            started_by=started_by,
            started_at=at,
            total=total,
            state="running",
        )
        self.session.add(run)
        self.session.flush()
        return run

    def run(self, company_id: uuid.UUID, run_id: uuid.UUID) -> ExportRunRow | None:
        found = self.session.get(ExportRunRow, run_id, with_for_update=False)
        return found if found is not None and found.company_id == company_id else None

    def runs(self, company_id: uuid.UUID, limit: int = 20) -> list[ExportRunRow]:
        query = (
            select(ExportRunRow)
            .where(ExportRunRow.company_id == company_id)
            .order_by(ExportRunRow.started_at.desc())
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def progress(self, company_id: uuid.UUID, run_id: uuid.UUID) -> RunProgress:
        """How far a run got, from its transactions' states (the truth, not a counter)."""
        query = (
            select(TransactionRow.status, func.count())
            .join(TransactionExportRow, TransactionExportRow.transaction_id == TransactionRow.id)
            .where(
                TransactionExportRow.company_id == company_id,
                TransactionExportRow.run_id == run_id,
            )
            .group_by(TransactionRow.status)
        )
        counts: dict[str, int] = {status: count for status, count in self.session.execute(query)}
        done = counts.get(ExportStatus.EXPORTED.value, 0)
        failed = counts.get(ExportStatus.FAILED.value, 0)
        waiting = sum(counts.get(s.value, 0) for s in (ExportStatus.QUEUED, ExportStatus.EXPORTING))
        return RunProgress(sum(counts.values()), done, failed, waiting)

    @installation_wide
    def unfinished_runs(self) -> list[tuple[uuid.UUID, uuid.UUID]]:
        """(company, run) of every run with transactions still queued or exporting — the
        sweeper re-enqueues their job when it was lost."""
        query = (
            select(TransactionExportRow.company_id, TransactionExportRow.run_id)
            .join(TransactionRow, TransactionRow.id == TransactionExportRow.transaction_id)
            .where(
                TransactionExportRow.run_id.is_not(None),
                TransactionRow.status.in_(
                    [ExportStatus.QUEUED.value, ExportStatus.EXPORTING.value]
                ),
            )
            .distinct()
        )
        return [(c, r) for c, r in self.session.execute(query) if r is not None]

    @installation_wide
    def unpushed_receipts(self) -> list[tuple[uuid.UUID, uuid.UUID]]:
        """(company, transaction) of exported transactions with a receipt not yet in Exact
        (added after the export) — the sweeper queues their push."""
        query = (
            select(TransactionExportRow.company_id, TransactionExportRow.transaction_id)
            .join(TransactionRow, TransactionRow.id == TransactionExportRow.transaction_id)
            .where(
                TransactionRow.status == ExportStatus.EXPORTED.value,
                TransactionExportRow.entry_id.is_not(None),
                TransactionRow.receipt_count
                > func.jsonb_array_length(TransactionExportRow.attachments),
            )
        )
        return [(c, t) for c, t in self.session.execute(query)]

    # -- the saga rows -----------------------------------------------------------------------

    def saga(self, company_id: uuid.UUID, txn_id: uuid.UUID) -> TransactionExportRow | None:
        found = self.session.get(TransactionExportRow, txn_id, with_for_update=True)
        return found if found is not None and found.company_id == company_id else None

    def sagas(
        self, company_id: uuid.UUID, txn_ids: Iterable[uuid.UUID]
    ) -> dict[uuid.UUID, TransactionExportRow]:
        ids = list(txn_ids)
        if not ids:
            return {}
        query = select(TransactionExportRow).where(
            TransactionExportRow.company_id == company_id,
            TransactionExportRow.transaction_id.in_(ids),
        )
        return {row.transaction_id: row for row in self.session.scalars(query)}

    def of_run(self, company_id: uuid.UUID, run_id: uuid.UUID) -> list[TransactionExportRow]:
        """The run's saga rows in the order they were queued (booking date, then id)."""
        query = (
            select(TransactionExportRow)
            .join(TransactionRow, TransactionRow.id == TransactionExportRow.transaction_id)
            .where(
                TransactionExportRow.company_id == company_id,
                TransactionExportRow.run_id == run_id,
            )
            .order_by(TransactionRow.booking_date, TransactionRow.id)
        )
        return list(self.session.scalars(query))

    def begin(
        self,
        company_id: uuid.UUID,
        txn_ids: Sequence[uuid.UUID],
        references: dict[uuid.UUID, str],
        run_id: uuid.UUID,
        at: datetime,
    ) -> None:
        """Hand transactions to a run. A saga row that exists (a retry) keeps every Exact id
        it recorded — the retry resumes at its step — and loses only its failure."""
        self._require_own(company_id, txn_ids)
        existing = self.sagas(company_id, txn_ids)
        for txn_id in txn_ids:
            row = existing.get(txn_id)
            if row is None:
                row = TransactionExportRow(
                    transaction_id=txn_id,
                    company_id=company_id,
                    reference=references[txn_id],
                    step="start",
                    attachments=[],
                    attempts=0,
                    booked_manually=False,
                )
                self.session.add(row)
            row.run_id = run_id
            row.failure_class = row.failure_reason = row.failure_action = None
            row.exact_message = row.failed_step = None
            row.updated_at = at
        self.session.flush()

    def booked_manually(
        self,
        company_id: uuid.UUID,
        txn_id: uuid.UUID,
        *,
        reference: str,
        entry_number: int,
        by: str,
        at: datetime,
    ) -> TransactionExportRow:
        self._require_own(company_id, [txn_id])
        row = self.saga(company_id, txn_id)
        if row is None:
            row = TransactionExportRow(
                transaction_id=txn_id, company_id=company_id, reference=reference,
                attachments=[], attempts=0,
            )  # fmt: skip
            self.session.add(row)
        row.step, row.pending = "done", None
        row.entry_number, row.booked_manually = entry_number, True
        row.exported_by, row.exported_at, row.updated_at = by, at, at
        row.failure_class = row.failure_reason = row.failure_action = None
        row.exact_message = row.failed_step = None
        self.session.flush()
        return row

    def _require_own(self, company_id: uuid.UUID, txn_ids: Sequence[uuid.UUID]) -> None:
        """``NotFound`` unless every transaction is the company's (and so is its saga)."""
        wanted = set(txn_ids)
        if not wanted:
            return
        own = set(
            self.session.scalars(
                select(TransactionRow.id).where(
                    TransactionRow.company_id == company_id, TransactionRow.id.in_(wanted)
                )
            )
        )
        taken = set(
            self.session.scalars(
                select(TransactionExportRow.transaction_id).where(
                    TransactionExportRow.company_id != company_id,
                    TransactionExportRow.transaction_id.in_(wanted),
                )
            )
        )
        if wanted - own or taken:
            raise NotFound(f"transaction {next(iter((wanted - own) or taken))} not found")

    # -- the queue and the history -----------------------------------------------------------

    def queue(
        self, company_id: uuid.UUID, limit: int = 200
    ) -> list[tuple[TransactionRow, TransactionExportRow]]:
        """Failed exports, oldest failure first, with their transactions."""
        query = (
            select(TransactionRow, TransactionExportRow)
            .join(TransactionExportRow, TransactionExportRow.transaction_id == TransactionRow.id)
            .where(
                TransactionRow.company_id == company_id,
                TransactionExportRow.company_id == company_id,
                TransactionRow.status == ExportStatus.FAILED.value,
            )
            .order_by(TransactionExportRow.updated_at, TransactionRow.id)
            .limit(limit)
        )
        return [(t, e) for t, e in self.session.execute(query)]

    def history(
        self,
        company_id: uuid.UUID,
        filters: HistoryFilter,
        *,
        limit: int = 50,
        after: tuple[datetime, uuid.UUID] | None = None,
    ) -> list[tuple[TransactionRow, TransactionExportRow]]:
        """Exported transactions, newest first (keyset paging on exported_at, id)."""
        query = (
            select(TransactionRow, TransactionExportRow)
            .join(TransactionExportRow, TransactionExportRow.transaction_id == TransactionRow.id)
            .where(
                TransactionRow.company_id == company_id,
                TransactionExportRow.company_id == company_id,
                TransactionRow.status == ExportStatus.EXPORTED.value,
                TransactionExportRow.exported_at.is_not(None),
            )
        )
        e = TransactionExportRow
        if filters.exported_from is not None:
            query = query.where(func.date(e.exported_at) >= filters.exported_from)
        if filters.exported_to is not None:
            query = query.where(func.date(e.exported_at) <= filters.exported_to)
        if filters.match_status:
            query = query.where(e.match_status == filters.match_status)
        if filters.q:
            like = f"%{filters.q}%"
            query = query.where(
                or_(
                    TransactionRow.merchant_name.ilike(like),
                    TransactionRow.external_id.ilike(like),
                    func.cast(e.entry_number, TransactionRow.external_id.type).ilike(like),
                )
            )
        if after is not None:
            at, txn_id = after
            query = query.where(
                or_(e.exported_at < at, and_(e.exported_at == at, e.transaction_id < txn_id))
            )
        query = query.order_by(e.exported_at.desc(), e.transaction_id.desc()).limit(limit)
        return [(t, x) for t, x in self.session.execute(query)]
