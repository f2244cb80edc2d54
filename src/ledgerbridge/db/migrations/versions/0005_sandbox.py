"""The Exact Online sandbox's own tables, in schema sandbox.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Filled by the owner of this area."""


def downgrade() -> None:
    """Filled by the owner of this area."""
