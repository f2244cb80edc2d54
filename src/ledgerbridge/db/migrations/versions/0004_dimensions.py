"""Dimensions pulled from Exact Online, sync state and sync runs.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Filled by the owner of this area."""


def downgrade() -> None:
    """Filled by the owner of this area."""
