"""The audit page pages a company's rows newest first by id: an index on (company_id, id).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_log_company_id", "audit_log", ["company_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_company_id", table_name="audit_log")
