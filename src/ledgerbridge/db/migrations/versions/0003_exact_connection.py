"""Exact Online connection: tokens (encrypted), division, status, rate budget.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Filled by the owner of this area."""


def downgrade() -> None:
    """Filled by the owner of this area."""
