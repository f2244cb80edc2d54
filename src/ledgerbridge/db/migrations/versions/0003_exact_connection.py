"""Exact Online connection: tokens (encrypted), division, status, rate budget.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _int(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.Integer(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "exact_connections",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("region", sa.String(16), nullable=False),
        sa.Column("base_url", sa.String(255), nullable=False),
        sa.Column("client_id", sa.String(255), nullable=False),
        _int("division"),
        sa.Column("division_name", sa.String(255), nullable=True),
        sa.Column("exact_user_id", sa.String(64), nullable=True),
        sa.Column("exact_user_name", sa.String(255), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("access_token_encrypted", sa.Text(), nullable=True),
        sa.Column("refresh_token_encrypted", sa.Text(), nullable=True),
        _ts("access_expires_at"),
        _ts("access_issued_at"),
        _ts("refresh_issued_at"),
        _ts("refresh_retry_at"),
        _ts("token_calls_day"),
        _int("token_calls_count", nullable=False),
        _ts("last_success_at"),
        sa.Column("access_problem", sa.Text(), nullable=True),
        _ts("access_problem_at"),
        _int("minute_limit"),
        _int("minute_remaining"),
        _ts("minute_reset_at"),
        _int("day_limit"),
        _int("day_remaining"),
        _ts("day_reset_at"),
        sa.Column("oauth_state_hash", sa.String(64), nullable=True),
        _ts("oauth_state_created_at"),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name="fk_exact_connections_company_id_companies",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_exact_connections"),
        sa.UniqueConstraint("company_id", name="uq_exact_connections_company_id"),
    )
    op.create_table(
        "exact_rate_budgets",
        sa.Column("key", sa.String(255), nullable=False),
        _int("minute_limit", nullable=False),
        _int("minute_remaining", nullable=False),
        _ts("minute_reset_at"),
        _int("day_limit", nullable=False),
        _int("day_remaining", nullable=False),
        _ts("day_reset_at"),
        _ts("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_exact_rate_budgets"),
    )
    op.create_table(
        "exact_endpoint_errors",
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("endpoint", sa.String(255), nullable=False),
        _ts("minute", nullable=False),
        _int("count", nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name="fk_exact_endpoint_errors_company_id_companies",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "company_id", "endpoint", "minute", name="pk_exact_endpoint_errors"
        ),
    )


def downgrade() -> None:
    op.drop_table("exact_endpoint_errors")
    op.drop_table("exact_rate_budgets")
    op.drop_table("exact_connections")
