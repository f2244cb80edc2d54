"""Formerly the Exact Online sandbox's tables (schema sandbox); now does nothing.

The sandbox became its own package and keeps its data in a schema it creates
and migrates itself (``exact_sandbox``), outside this chain. The revision stays
because existing databases are at it; 0006 drops what it once created.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
