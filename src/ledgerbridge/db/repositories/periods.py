"""A company's copy of Exact's period table (``financial_periods``) as domain values.

Exact's table says which periods exist, not which are closed: ``closed`` stays None
(unknown) until learned, when Exact refuses a posting ("Period is closed") and
``mark_closed`` records it. ``replace`` keeps what was learned of a period that remains.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, select, tuple_
from sqlalchemy.orm import Session

from ledgerbridge.db.models.upkeep import FinancialPeriodRow
from ledgerbridge.db.repositories.errors import NotFound
from ledgerbridge.domain.export_settings import FinancialPeriod


@dataclass
class PeriodChanges:
    """What ``replace`` changed, as period labels ("2026/11"); false when nothing."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)  # its dates changed

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.moved)


def _period(row: FinancialPeriodRow) -> FinancialPeriod:
    return FinancialPeriod(row.year, row.period, row.starts_on, row.ends_on, row.closed)


class PeriodRepository:
    """Reads and replaces one company's periods; part of the caller's unit of work."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def all(self, company_id: uuid.UUID) -> list[FinancialPeriod]:
        """The company's periods in date order; [] while the table was never synced."""
        rows = self.session.scalars(
            select(FinancialPeriodRow)
            .where(FinancialPeriodRow.company_id == company_id)
            .order_by(FinancialPeriodRow.starts_on, FinancialPeriodRow.year,
                      FinancialPeriodRow.period)
        )  # fmt: skip
        return [_period(row) for row in rows]

    def replace(
        self, company_id: uuid.UUID, periods: Sequence[FinancialPeriod], at: datetime
    ) -> PeriodChanges:
        """Make the stored table ``periods`` (their ``closed`` is ignored: a period that
        remains keeps what was learned of it; a new one is unknown); what changed."""
        stored = {
            (row.year, row.period): row
            for row in self.session.scalars(
                select(FinancialPeriodRow)
                .where(FinancialPeriodRow.company_id == company_id)
                .with_for_update()
            )
        }
        wanted = {(p.year, p.period): p for p in periods}
        changes = PeriodChanges()
        gone = sorted(key for key in stored if key not in wanted)
        if gone:
            self.session.execute(
                delete(FinancialPeriodRow).where(
                    FinancialPeriodRow.company_id == company_id,
                    tuple_(FinancialPeriodRow.year, FinancialPeriodRow.period).in_(gone),
                )
            )
            changes.removed.extend(_period(stored[key]).label for key in gone)
        for key, period in sorted(wanted.items()):
            row = stored.get(key)
            if row is None:
                row = FinancialPeriodRow(company_id=company_id, year=period.year,
                                         period=period.period, closed=None)  # fmt: skip
                self.session.add(row)
                changes.added.append(period.label)
            elif (row.starts_on, row.ends_on) != (period.start, period.end):
                changes.moved.append(period.label)
            row.starts_on, row.ends_on, row.synced_at = period.start, period.end, at
        self.session.flush()
        return changes

    def mark_closed(
        self, company_id: uuid.UUID, year: int, period: int, closed: bool, at: datetime
    ) -> FinancialPeriod:
        """Record what Exact told about one period (closed, or open again); ``NotFound``
        when the company has no such period."""
        row = self.session.get(FinancialPeriodRow, (company_id, year, period), with_for_update=True)
        if row is None:
            raise NotFound(f"no financial period {year}/{period:02d}")
        row.closed, row.closed_learned_at = closed, at
        self.session.flush()
        return _period(row)
