"""Dimensions pulled from Exact Online, sync state and sync runs.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _company(primary_key: bool = False) -> sa.Column:
    return sa.Column(
        "company_id",
        sa.Uuid(),
        sa.ForeignKey("companies.id", ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
    )


def upgrade() -> None:
    op.create_table(
        "dimensions",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        _company(),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("exact_id", sa.String(64)),
        sa.Column("blocked", sa.Boolean(), nullable=False),
        sa.Column("valid_from", sa.Date()),
        sa.Column("valid_until", sa.Date()),
        sa.Column("attributes", postgresql.JSONB(), nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("company_id", "kind", "code"),
    )
    op.create_index(
        "ix_dimensions_company_kind_exact_id", "dimensions", ["company_id", "kind", "exact_id"]
    )
    op.create_table(
        "dimension_sync_state",
        _company(primary_key=True),
        sa.Column("resource", sa.String(32), primary_key=True),
        sa.Column("last_timestamp", sa.BigInteger()),
        sa.Column("last_modified", sa.DateTime(timezone=True)),
        sa.Column("division", sa.Integer()),
        sa.Column("division_move_date", sa.DateTime(timezone=True)),
        sa.Column("last_full_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "dimension_sync_runs",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        _company(),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("summary", postgresql.JSONB(), nullable=False),
        sa.Column("api_calls", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text()),
        sa.Column("flagged_transactions", postgresql.JSONB(), nullable=False),
    )
    op.create_index(
        "ix_dimension_sync_runs_company_started",
        "dimension_sync_runs",
        ["company_id", "started_at"],
    )


def downgrade() -> None:
    op.drop_table("dimension_sync_runs")
    op.drop_table("dimension_sync_state")
    op.drop_table("dimensions")
