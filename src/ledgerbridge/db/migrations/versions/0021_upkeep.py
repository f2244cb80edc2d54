"""Dimension upkeep: adaptive poll schedule, prep activity, webhooks, calls by purpose,
financial periods and the per-transaction period choice.

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def _company(primary_key: bool = True) -> sa.Column[object]:
    return sa.Column(
        "company_id",
        sa.Uuid(),
        sa.ForeignKey("companies.id", ondelete="CASCADE"),
        primary_key=primary_key,
        nullable=False,
    )


def _at(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "dimension_poll_schedule",
        _company(),
        sa.Column("resource", sa.String(32), primary_key=True),
        sa.Column("interval_seconds", sa.Integer(), nullable=False),
        _at("next_due_at", nullable=False),
        _at("last_polled_at"),
        _at("last_change_at"),
    )
    op.create_index("ix_dimension_poll_schedule_due", "dimension_poll_schedule", ["next_due_at"])
    op.create_table(
        "company_activity",
        _company(),
        _at("prep_seen_at"),
    )
    op.create_table(
        "exact_webhook_subscriptions",
        _company(),
        sa.Column("topic", sa.String(64), primary_key=True),
        sa.Column("division", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.String(64), nullable=False),
        sa.Column("callback_url", sa.Text(), nullable=False),
        _at("created_at", nullable=False),
        _at("last_delivery_at"),
    )
    op.create_table(
        "exact_webhook_deliveries",
        sa.Column("content_hash", sa.String(64), primary_key=True),
        _company(primary_key=False),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("entity_key", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        _at("received_at", nullable=False),
        _at("processed_at"),
    )
    op.create_index(
        "ix_exact_webhook_deliveries_company", "exact_webhook_deliveries", ["company_id"]
    )
    op.create_table(
        "exact_call_counts",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("purpose", sa.String(32), primary_key=True),
        sa.Column("calls", sa.Integer(), nullable=False),
    )
    op.create_table(
        "financial_periods",
        _company(),
        sa.Column("year", sa.Integer(), primary_key=True),
        sa.Column("period", sa.Integer(), primary_key=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=True),
        _at("closed_learned_at"),
        _at("synced_at", nullable=False),
    )
    op.add_column(
        "transactions",
        sa.Column(
            "post_in_first_open_period",
            sa.Boolean(),
            nullable=False,
            server_default=sa.false(),
        ),
    )


def downgrade() -> None:
    op.drop_column("transactions", "post_in_first_open_period")
    op.drop_table("financial_periods")
    op.drop_table("exact_call_counts")
    op.drop_index("ix_exact_webhook_deliveries_company", "exact_webhook_deliveries")
    op.drop_table("exact_webhook_deliveries")
    op.drop_table("exact_webhook_subscriptions")
    op.drop_table("company_activity")
    op.drop_index("ix_dimension_poll_schedule_due", "dimension_poll_schedule")
    op.drop_table("dimension_poll_schedule")
