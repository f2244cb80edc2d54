"""How many receipts a transaction has, kept on the transaction by a trigger.

The "has receipt" filter of the Transactions page was an EXISTS over ``receipts``;
with a million transactions and a sparse filter beside it (one cardholder) PostgreSQL
hashed every receipt of the company first (~170 ms warm). ``receipt_count`` turns it
into a column test. The trigger keeps it true on every path that inserts or deletes a
receipt row (uploads, removal, cascades, bulk SQL); the column is filled once here.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "transactions",
        sa.Column("receipt_count", sa.Integer(), nullable=False, server_default="0"),
    )
    op.execute(
        """
        UPDATE transactions t SET receipt_count = r.n
        FROM (SELECT transaction_id, count(*) AS n FROM receipts GROUP BY transaction_id) r
        WHERE r.transaction_id = t.id
        """
    )
    op.execute(
        """
        CREATE FUNCTION lb_count_receipts() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                UPDATE transactions SET receipt_count = receipt_count + 1
                WHERE id = NEW.transaction_id;
            ELSE
                UPDATE transactions SET receipt_count = greatest(receipt_count - 1, 0)
                WHERE id = OLD.transaction_id;
            END IF;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER receipts_counted AFTER INSERT OR DELETE ON receipts "
        "FOR EACH ROW EXECUTE FUNCTION lb_count_receipts()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER receipts_counted ON receipts")
    op.execute("DROP FUNCTION lb_count_receipts()")
    op.drop_column("transactions", "receipt_count")
