"""Coding rules per company; which rule set a transaction's coding; merchant history index.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rules",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "company_id",
            sa.Uuid(),
            sa.ForeignKey("companies.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("conditions", postgresql.JSONB(), nullable=False),
        sa.Column("assignment", postgresql.JSONB(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False, server_default="true"),
        sa.Column("created_by", sa.String(320), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("updated_by", sa.String(320), nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_index("ix_rules_company_position", "rules", ["company_id", "position"])
    op.add_column(
        "transactions",
        sa.Column("rule_id", sa.Uuid(), sa.ForeignKey("rules.id", ondelete="SET NULL")),
    )
    op.create_index(
        "ix_transactions_merchant_history",
        "transactions",
        ["company_id", sa.text("lower((merchant_name)::text)"), sa.text("booking_date DESC")],
    )


def downgrade() -> None:
    op.drop_index("ix_transactions_merchant_history", table_name="transactions")
    op.drop_column("transactions", "rule_id")
    op.drop_index("ix_rules_company_position", table_name="rules")
    op.drop_table("rules")
