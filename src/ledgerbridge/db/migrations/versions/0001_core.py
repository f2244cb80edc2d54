"""Core: companies, users, transactions, coding lines, receipts, audit log.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Filled by the owner of this area."""


def downgrade() -> None:
    """Filled by the owner of this area."""
