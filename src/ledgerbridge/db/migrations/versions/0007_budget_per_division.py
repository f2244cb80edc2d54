"""Rate budgets live only per app and division; the copy on each connection row goes.

The copy (``exact_connections.minute_*``/``day_*``) was written for every company
on the same app and division after each call, so one company's call could rewrite
another's row. The health report now reads ``exact_rate_budgets``.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

COLUMNS = ("minute_limit", "minute_remaining", "day_limit", "day_remaining")
STAMPS = ("minute_reset_at", "day_reset_at")


def upgrade() -> None:
    for name in COLUMNS + STAMPS:
        op.drop_column("exact_connections", name)


def downgrade() -> None:
    for name in COLUMNS:
        op.add_column("exact_connections", sa.Column(name, sa.Integer(), nullable=True))
    for name in STAMPS:
        op.add_column(
            "exact_connections", sa.Column(name, sa.DateTime(timezone=True), nullable=True)
        )
