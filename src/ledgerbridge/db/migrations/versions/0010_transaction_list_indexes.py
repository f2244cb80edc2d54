"""Indexes for the Transactions page at a million rows: tabs, their counts, text search.

- ``ix_transactions_status_keyset`` (company, status, booking date desc, id): a tab's
  first and deeper pages walk it in list order, and the tab counts are one index-only
  GROUP BY.
- Trigram GIN indexes (``pg_trgm``) on merchant, cardholder, description and external
  id, so "part of the name, any case" (``ILIKE '%…%'``) needs no scan of every row.
  Skipped where the server has no ``pg_trgm`` (the filters still work, only slower).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TEXT_COLUMNS = ("merchant_name", "cardholder", "description", "external_id")


def upgrade() -> None:
    op.execute(
        "CREATE INDEX ix_transactions_status_keyset "
        "ON transactions (company_id, status, booking_date DESC, id)"
    )
    bind = op.get_bind()
    available = bind.execute(
        text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
    ).scalar()
    if not available:
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in TEXT_COLUMNS:
        op.execute(
            f"CREATE INDEX ix_transactions_{column}_trgm "
            f"ON transactions USING gin ({column} gin_trgm_ops)"
        )


def downgrade() -> None:
    for column in TEXT_COLUMNS:
        op.execute(f"DROP INDEX IF EXISTS ix_transactions_{column}_trgm")
    op.execute("DROP INDEX IF EXISTS ix_transactions_status_keyset")
