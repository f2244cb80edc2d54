"""Exports to Exact Online (migration 0022).

- ``export_runs``: one per *Export to Exact Online* click (or CLI run): who, when, how many,
  where it stands (``running``, ``waiting`` for Exact's limits, ``paused`` until the
  connection is renewed, ``finished``) and why (``note``);
- ``transaction_exports``: the saga of one transaction, each step's result committed before
  the next step starts: the Exact ids it created (document, attachments, purchase entry,
  bank entry line), ``pending`` = the step whose write was sent but whose answer was not
  recorded (the next attempt looks it up first), the match status as read back, and the
  failure (class, plain reason, action, Exact's own message) while it waits in the queue.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ledgerbridge.db.base import Base

COMPANY_FK = "companies.id"


class ExportRunRow(Base):
    __tablename__ = "export_runs"
    __table_args__ = (Index("ix_export_runs_company", "company_id", "started_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(COMPANY_FK, ondelete="CASCADE"))
    division: Mapped[int] = mapped_column(Integer)
    started_by: Mapped[str] = mapped_column(String(320))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    total: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    # attempts in a row that moved no transaction on (the export's backoff exponent)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    calls: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class TransactionExportRow(Base):
    __tablename__ = "transaction_exports"
    __table_args__ = (
        Index("ix_transaction_exports_history", "company_id", "exported_at"),
        Index("ix_transaction_exports_run", "run_id"),
    )

    transaction_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("transactions.id", ondelete="CASCADE"), primary_key=True
    )
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(COMPANY_FK, ondelete="CASCADE"))
    run_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("export_runs.id", ondelete="SET NULL")
    )
    reference: Mapped[str] = mapped_column(String(128))
    step: Mapped[str] = mapped_column(String(24))
    pending: Mapped[str | None] = mapped_column(String(24))
    supplier_id: Mapped[str | None] = mapped_column(String(64))
    document_id: Mapped[str | None] = mapped_column(String(64))
    document_url: Mapped[str | None] = mapped_column(Text)
    # The document is linked to the purchase entry (at its creation, or by a late push).
    document_linked: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default="[]"
    )
    entry_id: Mapped[str | None] = mapped_column(String(64))
    entry_number: Mapped[int | None] = mapped_column(Integer)
    journal: Mapped[str | None] = mapped_column(String(64))
    bank_reference: Mapped[str | None] = mapped_column(String(128))
    bank_line_number: Mapped[int | None] = mapped_column(Integer)
    bank_entry_id: Mapped[str | None] = mapped_column(String(64))
    match_status: Mapped[str | None] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    failure_class: Mapped[str | None] = mapped_column(String(16))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    failure_action: Mapped[str | None] = mapped_column(Text)
    exact_message: Mapped[str | None] = mapped_column(Text)
    failed_step: Mapped[str | None] = mapped_column(String(24))
    exported_by: Mapped[str | None] = mapped_column(String(320))
    exported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    booked_manually: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
