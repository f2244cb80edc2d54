"""Drop schema sandbox, where the Exact Online sandbox used to keep its rows.

Databases migrated before 0005 became a no-op have it; fresh ones do not
(``IF EXISTS``). The sandbox now keeps its data in its own schema
``exact_sandbox``, which this chain never touches. The rows dropped are
simulator demo data: a demo started afterwards seeds its sandbox again.

The downgrade recreates nothing: no code of ours reads schema sandbox any more.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DROP SCHEMA IF EXISTS sandbox CASCADE")


def downgrade() -> None:
    pass
