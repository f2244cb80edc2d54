"""Dimensions (local or pulled from Exact Online), per-resource sync state, sync runs.

Migration 0004 creates exactly these tables; keep the two in step.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ledgerbridge.db.base import Base

COMPANY_FK = "companies.id"


class DimensionRow(Base):
    """One dimension value of one company; (company, kind, code) is unique."""

    __tablename__ = "dimensions"
    __table_args__ = (
        UniqueConstraint("company_id", "kind", "code"),
        Index("ix_dimensions_company_kind_exact_id", "company_id", "kind", "exact_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    company_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(COMPANY_FK, ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    code: Mapped[str] = mapped_column(String(64), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    source: Mapped[str] = mapped_column(String(8), nullable=False)  # local | exact
    exact_id: Mapped[str | None] = mapped_column(String(64))
    blocked: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DimensionSyncStateRow(Base):
    """Where the incremental sync of one Exact resource stands, for one company.

    ``last_timestamp``: highest Exact row version seen (sync/ endpoints);
    ``last_modified``: latest ``Modified`` seen (polled resources). ``division``
    and ``division_move_date`` say which administration the position belongs
    to: a different division or a new move date makes the position worthless.
    """

    __tablename__ = "dimension_sync_state"

    company_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(COMPANY_FK, ondelete="CASCADE"), primary_key=True
    )
    resource: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_timestamp: Mapped[int | None] = mapped_column(BigInteger)
    last_modified: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    division: Mapped[int | None] = mapped_column(Integer)
    division_move_date: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_full_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DimensionSyncRunRow(Base):
    """One sync run: when, full or incremental, outcome, summary lines, calls, flagged txns."""

    __tablename__ = "dimension_sync_runs"
    __table_args__ = (Index("ix_dimension_sync_runs_company_started", "company_id", "started_at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    company_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(COMPANY_FK, ondelete="CASCADE"), nullable=False
    )
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    mode: Mapped[str] = mapped_column(String(16), nullable=False)  # full | incremental
    status: Mapped[str] = mapped_column(String(16), nullable=False)  # running | ok | failed
    summary: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    api_calls: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    flagged_transactions: Mapped[list[Any]] = mapped_column(JSONB, nullable=False, default=list)
