"""When Exact last refused a connection's access token (401), so a refresh that does not
help ends in needs_reauth instead of a loop.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "exact_connections",
        sa.Column("access_rejected_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("exact_connections", "access_rejected_at")
