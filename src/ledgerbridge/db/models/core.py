"""Core tables: companies, transactions, coding lines, receipts, audit log.

Every row but a company's own carries ``company_id``; repositories filter by it.
Money columns are ``Numeric`` (never float); timestamps are ``timestamptz``.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ledgerbridge.db.base import Base
from ledgerbridge.domain.export_status import ExportStatus
from ledgerbridge.domain.transactions import TransactionKind

# Enough for any ISO 4217 minor unit (up to 3 decimals) and very large amounts.
MONEY = Numeric(18, 3)
RATE = Numeric(20, 10)
COMPANY_FK = "companies.id"
ROLES = ("admin", "bookkeeper", "viewer")  # strongest first


def one_of(column: str, values: tuple[str, ...]) -> CheckConstraint:
    """The column holds one of ``values`` (a typo in code must not reach the books)."""
    listed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({listed})", name=f"{column}_known")


def _company_fk() -> Mapped[uuid.UUID]:
    return mapped_column(ForeignKey(COMPANY_FK, ondelete="CASCADE"), nullable=False)


class Company(Base):
    __tablename__ = "companies"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    base_currency: Mapped[str] = mapped_column(String(3), default="EUR")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class TransactionRow(Base):
    """One transaction; signed amounts, money out < 0 (see domain.transactions)."""

    __tablename__ = "transactions"
    __table_args__ = (
        UniqueConstraint("company_id", "external_id"),
        one_of("kind", tuple(TransactionKind)),
        one_of("status", tuple(ExportStatus)),
        CheckConstraint("amount <> 0 AND original_amount <> 0", name="amount_not_zero"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    company_id: Mapped[uuid.UUID] = _company_fk()
    external_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    booking_date: Mapped[date] = mapped_column(Date)
    settlement_date: Mapped[date | None] = mapped_column(Date)
    merchant_name: Mapped[str] = mapped_column(String(255), default="")
    merchant_country: Mapped[str | None] = mapped_column(String(2))
    mcc: Mapped[str | None] = mapped_column(String(4))
    cardholder: Mapped[str] = mapped_column(String(255), default="")
    card_last4: Mapped[str | None] = mapped_column(String(4))
    description: Mapped[str] = mapped_column(Text, default="")
    amount: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))
    original_amount: Mapped[Decimal] = mapped_column(MONEY)
    original_currency: Mapped[str] = mapped_column(String(3))
    fx_rate: Mapped[Decimal | None] = mapped_column(RATE)
    status: Mapped[str] = mapped_column(
        String(16), default=ExportStatus.TO_PREPARE.value, server_default="to_prepare"
    )
    status_reason: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The user chose to post in the first open period when the date's period is closed.
    post_in_first_open_period: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    # Kept by the database (trigger receipts_counted, migration 0015); never set here.
    receipt_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The rule that set the coding (None when coded by hand or not coded); see models.rules.
    rule_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("rules.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


# Keyset pagination: newest booking date first, id as the tie-breaker.
Index(
    "ix_transactions_keyset",
    TransactionRow.company_id,
    TransactionRow.booking_date.desc(),
    TransactionRow.id,
)
# A tab (one status) in list order, and the tab counts (migration 0010, with the
# trigram indexes for text search).
Index(
    "ix_transactions_status_keyset",
    TransactionRow.company_id,
    TransactionRow.status,
    TransactionRow.booking_date.desc(),
    TransactionRow.id,
)
# One cardholder's transactions (the names a cardholder filter matched, then IN): list
# order within a tab, and the tab counts with "has receipt" read from the index alone
# (migration 0016).
Index(
    "ix_transactions_cardholder",
    TransactionRow.company_id,
    TransactionRow.cardholder,
    TransactionRow.status,
    TransactionRow.booking_date.desc(),
    TransactionRow.id,
    postgresql_include=["receipt_count"],
)
# The same for one merchant's transactions (migration 0019).
Index(
    "ix_transactions_merchant",
    TransactionRow.company_id,
    TransactionRow.merchant_name,
    TransactionRow.status,
    TransactionRow.booking_date.desc(),
    TransactionRow.id,
    postgresql_include=["receipt_count"],
)
# Suggestions: the same merchant's latest transactions (migration 0018).
Index(
    "ix_transactions_merchant_history",
    TransactionRow.company_id,
    func.lower(TransactionRow.merchant_name),
    TransactionRow.booking_date.desc(),
)
# "Part of the name, any case" (ILIKE '%…%') by trigrams, where the server has pg_trgm.
for _column in ("merchant_name", "cardholder", "description", "external_id"):
    Index(
        f"ix_transactions_{_column}_trgm",
        getattr(TransactionRow, _column),
        postgresql_using="gin",
        postgresql_ops={_column: "gin_trgm_ops"},
    )


class CodingLineRow(Base):
    """One coding line; dimension values are stored as CODES, not Exact GUIDs."""

    __tablename__ = "coding_lines"
    __table_args__ = (UniqueConstraint("transaction_id", "position"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    company_id: Mapped[uuid.UUID] = _company_fk()
    transaction_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("transactions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    gl_account: Mapped[str | None] = mapped_column(String(64))
    vat_code: Mapped[str | None] = mapped_column(String(64))
    cost_center: Mapped[str | None] = mapped_column(String(64))
    cost_unit: Mapped[str | None] = mapped_column(String(64))
    project: Mapped[str | None] = mapped_column(String(64))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    description: Mapped[str] = mapped_column(Text, default="")


class ReceiptRow(Base):
    """A receipt file attached to a transaction; the bytes live in the receipt store."""

    __tablename__ = "receipts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    company_id: Mapped[uuid.UUID] = _company_fk()
    transaction_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("transactions.id", ondelete="CASCADE"), index=True
    )
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    uploaded_by: Mapped[str | None] = mapped_column(String(320))


class AuditLogRow(Base):
    """Who did what to which subject, when; ``action`` is dotted (``transaction.created``)."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_company_at", "company_id", "at"),
        # The audit page's keyset: newest first within one company.
        Index("ix_audit_log_company_id", "company_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    company_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey(COMPANY_FK, ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(128))
    subject_type: Mapped[str | None] = mapped_column(String(64))
    subject_id: Mapped[str | None] = mapped_column(String(128))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
