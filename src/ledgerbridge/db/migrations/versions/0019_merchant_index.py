"""An index per merchant name for the Transactions page's merchant filter.

As for cardholders (0016): the merchant filter first finds the merchant names that
contain the text (a skip scan of this index), then takes their rows by
``merchant_name IN (…)``; the leaves hold status and ``receipt_count``, so the tab
counts of a filter that matches a third of a million rows read the index alone.

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX ix_transactions_merchant ON transactions "
        "(company_id, merchant_name, status, booking_date DESC, id) INCLUDE (receipt_count)"
    )


def downgrade() -> None:
    op.execute("DROP INDEX ix_transactions_merchant")
