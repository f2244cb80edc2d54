"""The audit page pages a company's rows newest first by id: an index on (company_id, id).

Revision ID: 0011
Revises: 0009 (0010 is a colleague's; the merge rechains this one after it)
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_log_company_id", "audit_log", ["company_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_company_id", table_name="audit_log")
