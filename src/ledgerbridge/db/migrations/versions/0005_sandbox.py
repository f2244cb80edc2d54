"""The Exact Online sandbox's own tables, in schema sandbox.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE SCHEMA IF NOT EXISTS sandbox")
    op.create_table(
        "records",
        sa.Column("division", sa.Integer(), nullable=False),
        sa.Column("resource", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("division", "resource", "key", name=op.f("pk_records")),
        schema="sandbox",
    )


def downgrade() -> None:
    op.drop_table("records", schema="sandbox")
    op.execute("DROP SCHEMA IF EXISTS sandbox")
