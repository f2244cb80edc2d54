"""A GL account's default cost centre and cost unit among its facts.

Exact's GLAccounts carry ``Costcenter``/``Costunit`` (the defaults); the coding form
proposes them with the default VAT code. Facts are read strictly, so the rows already
synced get both keys (null) here; the next sync fills them in.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        UPDATE dimensions
        SET attributes = attributes || '{"default_cost_center": null, "default_cost_unit": null}'
        WHERE kind = 'gl_account' AND source = 'exact'
        """
    )


def downgrade() -> None:
    op.execute(
        "UPDATE dimensions SET attributes = attributes - 'default_cost_center' "
        "- 'default_cost_unit' WHERE kind = 'gl_account'"
    )
