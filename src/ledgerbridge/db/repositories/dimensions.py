"""Dimensions, their sync state and sync runs, always for one company.

Repositories never commit; the service's unit of work does. Rows become
domain ``Dimension`` values on the way out.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, literal, or_, select, text, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from ledgerbridge.db.base import Base
from ledgerbridge.db.models.core import CodingLineRow, TransactionRow
from ledgerbridge.db.models.dimensions import (
    DimensionRow,
    DimensionSyncRunRow,
    DimensionSyncStateRow,
)
from ledgerbridge.db.models.upkeep import CompanyActivityRow, PollScheduleRow
from ledgerbridge.db.repositories.dimension_facts import facts_from_json, facts_to_json
from ledgerbridge.domain.coding import CodingLine
from ledgerbridge.domain.dimensions import Dimension, DimensionKind, DimensionSource
from ledgerbridge.domain.money import Money
from ledgerbridge.domain.upkeep import PollState

CODED_FIELDS = ("gl_account", "vat_code", "cost_center", "cost_unit", "project")
# Rows per INSERT … ON CONFLICT statement: big enough to be fast, small enough for one packet.
UPSERT_BATCH = 1000


@dataclass(frozen=True, slots=True)
class SyncPosition:
    """How far the sync of one resource got (see ``DimensionSyncStateRow``)."""

    last_timestamp: int | None = None
    last_modified: datetime | None = None
    division: int | None = None
    division_move_date: datetime | None = None
    last_full_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CodedUse:
    """One coding line of an open transaction that uses ``code`` in ``field``."""

    transaction_id: uuid.UUID
    external_id: str
    merchant: str
    booking_date: date
    status: str
    field: str
    code: str
    cost_center: str | None = None  # of the same line: what a GL account's rules judge
    cost_unit: str | None = None


@dataclass(frozen=True, slots=True)
class OpenCoding:
    """An open transaction and its whole coding, as the rule engine judges it."""

    transaction_id: uuid.UUID
    external_id: str
    merchant: str
    booking_date: date
    status: str
    lines: tuple[CodingLine, ...]


@dataclass(frozen=True, slots=True)
class DimensionFilter:
    """Which dimensions a list shows; ``search`` matches code or name, any case."""

    kind: DimensionKind | None = None
    source: DimensionSource | None = None
    blocked: bool | None = None
    search: str | None = None
    usable_on: date | None = None  # only those valid on this day (not ended, started)


def _filtered(company_id: uuid.UUID, filters: DimensionFilter) -> Select[DimensionRow]:
    query = select(DimensionRow).where(DimensionRow.company_id == company_id)
    if filters.kind is not None:
        query = query.where(DimensionRow.kind == filters.kind.value)
    if filters.source is not None:
        query = query.where(DimensionRow.source == filters.source.value)
    if filters.blocked is not None:
        query = query.where(DimensionRow.blocked.is_(filters.blocked))
    if filters.usable_on is not None:
        day = filters.usable_on
        query = query.where(
            or_(DimensionRow.valid_from.is_(None), DimensionRow.valid_from <= day),
            or_(DimensionRow.valid_until.is_(None), DimensionRow.valid_until >= day),
        )
    if filters.search:
        escaped = re.sub(r"([\\%_])", r"\\\1", filters.search.strip())
        pattern = f"%{escaped}%"
        query = query.where(
            or_(
                DimensionRow.code.ilike(pattern, escape="\\"),
                DimensionRow.name.ilike(pattern, escape="\\"),
            )
        )
    return query


def to_dimension(row: DimensionRow) -> Dimension:
    """The row as a domain value; ``UnreadableFacts`` when its facts do not fit its kind."""
    kind, source = DimensionKind(row.kind), DimensionSource(row.source)
    return Dimension(
        kind=kind,
        code=row.code,
        name=row.name,
        source=source,
        exact_id=row.exact_id,
        blocked=row.blocked,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        facts=facts_from_json(kind, source, row.code, row.attributes or {}),
        synced_at=row.synced_at,
    )


def _values(company_id: uuid.UUID, d: Dimension) -> dict[str, Any]:
    return {
        "company_id": company_id,
        "kind": d.kind.value,
        "code": d.code,
        "name": d.name,
        "source": d.source.value,
        "exact_id": d.exact_id,
        "blocked": d.blocked,
        "valid_from": d.valid_from,
        "valid_until": d.valid_until,
        "attributes": facts_to_json(d.facts),
        "synced_at": d.synced_at,
    }


class DimensionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- dimensions ------------------------------------------------------------------------

    def all(
        self,
        company_id: uuid.UUID,
        kind: DimensionKind | None = None,
        source: DimensionSource | None = None,
        kinds: Collection[DimensionKind] | None = None,
    ) -> list[Dimension]:
        """The company's dimensions by kind then code; optionally of a kind, kinds or source."""
        query = _filtered(company_id, DimensionFilter(kind=kind, source=source))
        if kinds is not None:
            query = query.where(DimensionRow.kind.in_([k.value for k in kinds]))
        query = query.order_by(DimensionRow.kind, DimensionRow.code)
        return [to_dimension(r) for r in self.session.scalars(query)]

    def page(
        self,
        company_id: uuid.UUID,
        filters: DimensionFilter,
        *,
        after: tuple[DimensionKind, str] | None = None,
        limit: int = 200,
    ) -> list[Dimension]:
        """Up to ``limit`` matching dimensions by (kind, code), those after ``after`` only.

        Keyset paging on the (company, kind, code) unique index: each page costs the
        same however deep it is, and rows added meanwhile are neither skipped nor repeated.
        """
        query = _filtered(company_id, filters)
        if after is not None:
            position = tuple_(DimensionRow.kind, DimensionRow.code)
            query = query.where(position > tuple_(literal(after[0].value), literal(after[1])))
        query = query.order_by(DimensionRow.kind, DimensionRow.code).limit(limit)
        return [to_dimension(r) for r in self.session.scalars(query)]

    def get(self, company_id: uuid.UUID, kind: DimensionKind, code: str) -> Dimension | None:
        row = self._row(company_id, kind, code)
        return to_dimension(row) if row is not None else None

    def matching(
        self,
        company_id: uuid.UUID,
        keys: Collection[tuple[DimensionKind, str]],
        exact_ids: Collection[tuple[DimensionKind, str]],
    ) -> list[Dimension]:
        """Dimensions with one of the (kind, code) ``keys`` or one of the (kind, exact id)s."""
        conditions = []
        if keys:
            conditions.append(
                tuple_(DimensionRow.kind, DimensionRow.code).in_([(k.value, c) for k, c in keys])
            )
        if exact_ids:
            pairs = [(k.value, i) for k, i in exact_ids]
            conditions.append(tuple_(DimensionRow.kind, DimensionRow.exact_id).in_(pairs))
        if not conditions:
            return []
        query = select(DimensionRow).where(DimensionRow.company_id == company_id, or_(*conditions))
        return [to_dimension(r) for r in self.session.scalars(query)]

    def save(self, company_id: uuid.UUID, dimensions: Sequence[Dimension]) -> None:
        """Insert or overwrite each dimension by (kind, code), in batches (one statement)."""
        # Core, not ORM: one compiled statement, executemany in pages (fast for 30k rows).
        statement = insert(Base.metadata.tables[DimensionRow.__tablename__])
        statement = statement.on_conflict_do_update(
            index_elements=list(_KEY),
            set_={c: statement.excluded[c] for c in _UPDATED},
        )
        for start in range(0, len(dimensions), UPSERT_BATCH):
            batch = [_values(company_id, d) for d in dimensions[start : start + UPSERT_BATCH]]
            self.session.execute(statement, batch)

    def remove(self, company_id: uuid.UUID, keys: Iterable[tuple[DimensionKind, str]]) -> int:
        """Delete the dimensions with these (kind, code) keys; how many went."""
        pairs = [(k.value, c) for k, c in keys]
        if not pairs:
            return 0
        statement = delete(DimensionRow).where(
            DimensionRow.company_id == company_id,
            tuple_(DimensionRow.kind, DimensionRow.code).in_(pairs),
        )
        return int(self.session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]

    def _row(self, company_id: uuid.UUID, kind: DimensionKind, code: str) -> DimensionRow | None:
        return self.session.scalar(
            select(DimensionRow).where(
                DimensionRow.company_id == company_id,
                DimensionRow.kind == kind.value,
                DimensionRow.code == code,
            )
        )

    # -- transactions coded with dimension values -------------------------------------------

    def open_uses(
        self,
        company_id: uuid.UUID,
        codes: Collection[tuple[DimensionKind, str]],
        statuses: Collection[str],
    ) -> list[CodedUse]:
        """Coding lines of the company's transactions in ``statuses`` that use one of ``codes``."""
        by_field: dict[str, list[str]] = {}
        for kind, code in codes:
            if kind.value in CODED_FIELDS:
                by_field.setdefault(kind.value, []).append(code)
        uses: list[CodedUse] = []
        for field, values in by_field.items():
            uses.extend(self._uses(company_id, field, values, statuses))
        return sorted(uses, key=lambda u: (u.booking_date, u.external_id, u.field))

    def _uses(
        self, company_id: uuid.UUID, field: str, values: list[str], statuses: Collection[str]
    ) -> list[CodedUse]:
        column = getattr(CodingLineRow, field)
        query = (
            select(TransactionRow, column, CodingLineRow.cost_center, CodingLineRow.cost_unit)
            .join(CodingLineRow, CodingLineRow.transaction_id == TransactionRow.id)
            .where(
                TransactionRow.company_id == company_id,
                CodingLineRow.company_id == company_id,
                TransactionRow.status.in_(list(statuses)),
                column.in_(values),
            )
            .distinct()
        )
        return [
            CodedUse(
                t.id,
                t.external_id,
                t.merchant_name,
                t.booking_date,
                t.status,
                field,
                code,
                center,
                unit,
            )
            for t, code, center, unit in self.session.execute(query)
        ]

    def open_codings(
        self,
        company_id: uuid.UUID,
        codes: Collection[tuple[DimensionKind, str]],
        statuses: Collection[str],
    ) -> list[OpenCoding]:
        """The company's transactions in ``statuses`` with a line using one of ``codes``,
        each with all its lines (in order), oldest booking first. Lines without a GL
        account or amount (never stored by the services) are left out."""
        ids = sorted({u.transaction_id for u in self.open_uses(company_id, codes, statuses)})
        if not ids:
            return []
        query = (
            select(TransactionRow, CodingLineRow)
            .join(CodingLineRow, CodingLineRow.transaction_id == TransactionRow.id)
            .where(
                TransactionRow.company_id == company_id,
                CodingLineRow.company_id == company_id,
                TransactionRow.id.in_(ids),
            )
            .order_by(
                TransactionRow.booking_date, TransactionRow.external_id, CodingLineRow.position
            )
        )
        found: dict[uuid.UUID, tuple[TransactionRow, list[CodingLine]]] = {}
        for txn, row in self.session.execute(query):
            lines = found.setdefault(txn.id, (txn, []))[1]
            if row.gl_account and row.amount:
                lines.append(_coding_line(row, txn.currency))
        return [
            OpenCoding(t.id, t.external_id, t.merchant_name, t.booking_date, t.status, tuple(ls))
            for t, ls in found.values()
        ]

    # -- sync state ------------------------------------------------------------------------

    def positions(self, company_id: uuid.UUID) -> dict[str, SyncPosition]:
        query = select(DimensionSyncStateRow).where(DimensionSyncStateRow.company_id == company_id)
        return {
            r.resource: SyncPosition(
                r.last_timestamp, r.last_modified, r.division, r.division_move_date, r.last_full_at
            )
            for r in self.session.scalars(query)
        }

    def save_position(self, company_id: uuid.UUID, resource: str, position: SyncPosition) -> None:
        values = {
            "company_id": company_id,
            "resource": resource,
            "last_timestamp": position.last_timestamp,
            "last_modified": position.last_modified,
            "division": position.division,
            "division_move_date": position.division_move_date,
            "last_full_at": position.last_full_at,
        }
        statement = insert(DimensionSyncStateRow).values(values)
        updates = {k: statement.excluded[k] for k in values if k not in {"company_id", "resource"}}
        self.session.execute(
            statement.on_conflict_do_update(index_elements=["company_id", "resource"], set_=updates)
        )

    # -- adaptive polling (domain.upkeep) -----------------------------------------------------

    def poll_states(self, company_id: uuid.UUID) -> dict[str, PollState]:
        query = select(PollScheduleRow).where(PollScheduleRow.company_id == company_id)
        return {
            r.resource: PollState(
                r.resource,
                timedelta(seconds=r.interval_seconds),
                r.last_polled_at,
                r.last_change_at,
            )
            for r in self.session.scalars(query)
        }

    def save_poll_states(self, company_id: uuid.UUID, states: Iterable[PollState]) -> None:
        rows = [
            {
                "company_id": company_id,
                "resource": state.resource,
                "interval_seconds": int(state.interval.total_seconds()),
                "next_due_at": (state.last_polled_at or datetime.min.replace(tzinfo=UTC))
                + state.interval,
                "last_polled_at": state.last_polled_at,
                "last_change_at": state.last_change_at,
            }
            for state in states
        ]
        if not rows:
            return
        statement = insert(PollScheduleRow).values(rows)
        updates = {k: statement.excluded[k] for k in rows[0] if k not in {"company_id", "resource"}}
        self.session.execute(
            statement.on_conflict_do_update(index_elements=["company_id", "resource"], set_=updates)
        )

    def note_prep_activity(
        self, company_id: uuid.UUID, at: datetime, every: timedelta = timedelta(minutes=1)
    ) -> None:
        """Remember that someone works in prep now (written at most once per ``every``)."""
        statement = insert(CompanyActivityRow).values(company_id=company_id, prep_seen_at=at)
        self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["company_id"],
                set_={"prep_seen_at": statement.excluded.prep_seen_at},
                where=(CompanyActivityRow.prep_seen_at.is_(None))
                | (CompanyActivityRow.prep_seen_at < statement.excluded.prep_seen_at - every),
            )
        )

    def prep_seen_at(self, company_id: uuid.UUID) -> datetime | None:
        row = self.session.get(CompanyActivityRow, company_id)
        return row.prep_seen_at if row is not None else None

    def lock_company(self, company_id: uuid.UUID) -> None:
        """Serialise dimension writes for one company until this transaction ends."""
        self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
            {"key": f"dimensions:{company_id}"},
        )

    # -- sync runs -------------------------------------------------------------------------

    def add_run(self, company_id: uuid.UUID, **values: Any) -> DimensionSyncRunRow:
        run = DimensionSyncRunRow(company_id=company_id, **values)
        self.session.add(run)
        self.session.flush()
        return run

    def runs(self, company_id: uuid.UUID, limit: int = 50) -> list[DimensionSyncRunRow]:
        query = (
            select(DimensionSyncRunRow)
            .where(DimensionSyncRunRow.company_id == company_id)
            .order_by(DimensionSyncRunRow.started_at.desc(), DimensionSyncRunRow.id.desc())
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def run(self, company_id: uuid.UUID, run_id: int) -> DimensionSyncRunRow | None:
        return self.session.scalar(
            select(DimensionSyncRunRow).where(
                DimensionSyncRunRow.company_id == company_id, DimensionSyncRunRow.id == run_id
            )
        )

    def last_ok_run(self, company_id: uuid.UUID) -> DimensionSyncRunRow | None:
        return next(
            (r for r in self.runs(company_id, limit=20) if r.status == "ok"),
            None,
        )


def _coding_line(row: CodingLineRow, currency: str) -> CodingLine:
    return CodingLine(
        gl_account=row.gl_account or "",
        amount=Money(row.amount, currency),
        vat_code=row.vat_code,
        cost_center=row.cost_center,
        cost_unit=row.cost_unit,
        project=row.project,
        description=row.description,
    )


_KEY = ("company_id", "kind", "code")
_UPDATED = (
    "name",
    "source",
    "exact_id",
    "blocked",
    "valid_from",
    "valid_until",
    "attributes",
    "synced_at",
)
