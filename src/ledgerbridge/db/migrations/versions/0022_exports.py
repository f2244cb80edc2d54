"""Exports: one row per export run, one per exported (or exporting) transaction.

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def _company() -> sa.Column[object]:
    return sa.Column(
        "company_id", sa.Uuid(), sa.ForeignKey("companies.id", ondelete="CASCADE"), nullable=False
    )


def _at(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "export_runs",
        sa.Column("id", sa.Uuid(), primary_key=True),
        _company(),
        sa.Column("division", sa.Integer(), nullable=False),
        sa.Column("started_by", sa.String(320), nullable=False),
        _at("started_at", nullable=False),
        _at("finished_at"),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("calls", sa.Integer(), nullable=False, server_default="0"),
    )
    op.create_index("ix_export_runs_company", "export_runs", ["company_id", "started_at"])
    op.create_table(
        "transaction_exports",
        sa.Column(
            "transaction_id",
            sa.Uuid(),
            sa.ForeignKey("transactions.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        _company(),
        sa.Column(
            "run_id", sa.Uuid(), sa.ForeignKey("export_runs.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("reference", sa.String(128), nullable=False),
        sa.Column("step", sa.String(24), nullable=False),
        sa.Column("pending", sa.String(24), nullable=True),
        sa.Column("supplier_id", sa.String(64), nullable=True),
        sa.Column("document_id", sa.String(64), nullable=True),
        sa.Column("document_url", sa.Text(), nullable=True),
        sa.Column("document_linked", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("attachments", postgresql.JSONB(), nullable=False, server_default="[]"),
        sa.Column("entry_id", sa.String(64), nullable=True),
        sa.Column("entry_number", sa.Integer(), nullable=True),
        sa.Column("journal", sa.String(64), nullable=True),
        sa.Column("bank_reference", sa.String(128), nullable=True),
        sa.Column("bank_line_number", sa.Integer(), nullable=True),
        sa.Column("bank_entry_id", sa.String(64), nullable=True),
        sa.Column("match_status", sa.String(16), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("failure_class", sa.String(16), nullable=True),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("failure_action", sa.Text(), nullable=True),
        sa.Column("exact_message", sa.Text(), nullable=True),
        sa.Column("failed_step", sa.String(24), nullable=True),
        sa.Column("exported_by", sa.String(320), nullable=True),
        _at("exported_at"),
        sa.Column("booked_manually", sa.Boolean(), nullable=False, server_default=sa.false()),
        _at("updated_at", nullable=False),
    )
    op.create_index(
        "ix_transaction_exports_history", "transaction_exports", ["company_id", "exported_at"]
    )
    op.create_index("ix_transaction_exports_run", "transaction_exports", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_transaction_exports_run", "transaction_exports")
    op.drop_index("ix_transaction_exports_history", "transaction_exports")
    op.drop_table("transaction_exports")
    op.drop_index("ix_export_runs_company", "export_runs")
    op.drop_table("export_runs")
