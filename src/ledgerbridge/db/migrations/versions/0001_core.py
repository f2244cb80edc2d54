"""Core: companies, users, transactions, coding lines, receipts, audit log.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

MONEY = sa.Numeric(18, 3)
NOW = sa.text("now()")


def _id() -> sa.Column[object]:
    return sa.Column("id", sa.Uuid(), nullable=False)


def _company_id(nullable: bool = False) -> sa.Column[object]:
    return sa.Column("company_id", sa.Uuid(), nullable=nullable)


def _company_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["company_id"],
        ["companies.id"],
        name=f"fk_{table}_company_id_companies",
        ondelete="CASCADE",
    )


def _transaction_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["transaction_id"],
        ["transactions.id"],
        name=f"fk_{table}_transaction_id_transactions",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "companies",
        _id(),
        sa.Column("slug", sa.String(63), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("base_currency", sa.String(3), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_companies"),
        sa.UniqueConstraint("slug", name="uq_companies_slug"),
    )
    op.create_table(
        "users",
        _id(),
        _company_id(),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        _company_fk("users"),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("company_id", "email", name="uq_users_company_id_email"),
        sa.CheckConstraint("role IN ('admin', 'bookkeeper', 'viewer')", name="ck_users_role_known"),
    )
    _create_transactions()
    _create_coding_lines()
    _create_receipts()
    _create_audit_log()


def _create_transactions() -> None:
    op.create_table(
        "transactions",
        _id(),
        _company_id(),
        sa.Column("external_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("booking_date", sa.Date(), nullable=False),
        sa.Column("settlement_date", sa.Date(), nullable=True),
        sa.Column("merchant_name", sa.String(255), nullable=False),
        sa.Column("merchant_country", sa.String(2), nullable=True),
        sa.Column("mcc", sa.String(4), nullable=True),
        sa.Column("cardholder", sa.String(255), nullable=False),
        sa.Column("card_last4", sa.String(4), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("original_amount", MONEY, nullable=False),
        sa.Column("original_currency", sa.String(3), nullable=False),
        sa.Column("fx_rate", sa.Numeric(20, 10), nullable=True),
        sa.Column("status", sa.String(16), server_default="to_prepare", nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        _company_fk("transactions"),
        sa.PrimaryKeyConstraint("id", name="pk_transactions"),
        sa.UniqueConstraint(
            "company_id", "external_id", name="uq_transactions_company_id_external_id"
        ),
        sa.CheckConstraint(
            "kind IN ('card_payment', 'refund', 'fee', 'transfer')",
            name="ck_transactions_kind_known",
        ),
        sa.CheckConstraint(
            "status IN ('to_prepare', 'ready', 'queued', 'exporting', 'exported', 'failed')",
            name="ck_transactions_status_known",
        ),
        sa.CheckConstraint(
            "amount <> 0 AND original_amount <> 0", name="ck_transactions_amount_not_zero"
        ),
    )
    op.create_index(
        "ix_transactions_keyset",
        "transactions",
        ["company_id", sa.text("booking_date DESC"), "id"],
    )


def _create_coding_lines() -> None:
    op.create_table(
        "coding_lines",
        _id(),
        _company_id(),
        sa.Column("transaction_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("gl_account", sa.String(64), nullable=True),
        sa.Column("vat_code", sa.String(64), nullable=True),
        sa.Column("cost_center", sa.String(64), nullable=True),
        sa.Column("cost_unit", sa.String(64), nullable=True),
        sa.Column("project", sa.String(64), nullable=True),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        _company_fk("coding_lines"),
        _transaction_fk("coding_lines"),
        sa.PrimaryKeyConstraint("id", name="pk_coding_lines"),
        sa.UniqueConstraint(
            "transaction_id", "position", name="uq_coding_lines_transaction_id_position"
        ),
    )
    op.create_index(
        "ix_coding_lines_transaction_id", "coding_lines", ["transaction_id"], unique=False
    )


def _create_receipts() -> None:
    op.create_table(
        "receipts",
        _id(),
        _company_id(),
        sa.Column("transaction_id", sa.Uuid(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("uploaded_by", sa.String(320), nullable=True),
        _company_fk("receipts"),
        _transaction_fk("receipts"),
        sa.PrimaryKeyConstraint("id", name="pk_receipts"),
    )
    op.create_index("ix_receipts_transaction_id", "receipts", ["transaction_id"], unique=False)


def _create_audit_log() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        _company_id(nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("actor", sa.String(320), nullable=False),
        sa.Column("action", sa.String(128), nullable=False),
        sa.Column("subject_type", sa.String(64), nullable=True),
        sa.Column("subject_id", sa.String(128), nullable=True),
        sa.Column("details", postgresql.JSONB(), nullable=False),
        _company_fk("audit_log"),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_company_at", "audit_log", ["company_id", "at"], unique=False)


def downgrade() -> None:
    for table in ("audit_log", "receipts", "coding_lines", "transactions", "users", "companies"):
        op.drop_table(table)
