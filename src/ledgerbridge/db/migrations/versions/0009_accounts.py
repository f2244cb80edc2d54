"""Accounts and access: users belong to the installation, memberships give a role per
company; sign-in sessions, invitations and API keys.

The old per-company ``users`` rows become one user per email with a membership for
each company it was in (same role). Downgrading keeps one row per membership and
drops passwords, sessions, invitations and keys.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ROLE_CHECK = "role IN ('admin', 'bookkeeper', 'viewer')"


def _stamp(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _company(
    table: str, nullable: bool = False, ondelete: str = "CASCADE"
) -> list[sa.schema.SchemaItem]:
    return [
        sa.Column("company_id", sa.Uuid(), nullable=nullable),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=f"fk_{table}_company_id_companies",
            ondelete=ondelete,
        ),
    ]


def _user(table: str) -> list[sa.schema.SchemaItem]:
    return [
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=f"fk_{table}_user_id_users", ondelete="CASCADE"
        ),
    ]


def upgrade() -> None:
    _memberships_from_users()
    op.create_table(
        "sign_in_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        *_user("sign_in_sessions"),
        *_company("sign_in_sessions", nullable=True, ondelete="SET NULL"),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        _stamp("created_at", False),
        _stamp("expires_at", False),
        sa.PrimaryKeyConstraint("id", name="pk_sign_in_sessions"),
        sa.UniqueConstraint("token_hash", name="uq_sign_in_sessions_token_hash"),
    )
    op.create_index("ix_sign_in_sessions_user_id", "sign_in_sessions", ["user_id"])
    op.create_table(
        "invitations",
        sa.Column("id", sa.Uuid(), nullable=False),
        *_company("invitations"),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("invited_by", sa.String(320), nullable=False),
        _stamp("created_at", False),
        _stamp("expires_at", False),
        _stamp("accepted_at"),
        _stamp("revoked_at"),
        sa.PrimaryKeyConstraint("id", name="pk_invitations"),
        sa.UniqueConstraint("token_hash", name="uq_invitations_token_hash"),
        sa.CheckConstraint(ROLE_CHECK, name="ck_invitations_role_known"),
    )
    op.create_index("ix_invitations_company_id", "invitations", ["company_id"])
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        *_company("api_keys"),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("created_by", sa.String(320), nullable=False),
        _stamp("created_at", False),
        _stamp("last_used_at"),
        _stamp("revoked_at"),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
        sa.UniqueConstraint("key_hash", name="uq_api_keys_key_hash"),
        sa.CheckConstraint(ROLE_CHECK, name="ck_api_keys_role_known"),
    )
    op.create_index("ix_api_keys_company_id", "api_keys", ["company_id"])


def _memberships_from_users() -> None:
    op.create_table(
        "memberships",
        sa.Column("id", sa.Uuid(), nullable=False),
        *_company("memberships"),
        *_user("memberships"),
        sa.Column("role", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_memberships"),
        sa.UniqueConstraint("company_id", "user_id", name="uq_memberships_company_id_user_id"),
        sa.CheckConstraint(ROLE_CHECK, name="ck_memberships_role_known"),
    )
    op.create_index("ix_memberships_user_id", "memberships", ["user_id"])
    op.execute("UPDATE users SET email = lower(email)")
    # One user per email: the first row of each email stands for all of them.
    op.execute(
        "INSERT INTO memberships (id, company_id, user_id, role) "
        "SELECT u.id, u.company_id, k.id, u.role FROM users u JOIN "
        "(SELECT DISTINCT ON (email) email, id FROM users ORDER BY email, id) k "
        "ON k.email = u.email"
    )
    op.execute(
        "DELETE FROM users u WHERE u.id NOT IN "
        "(SELECT DISTINCT ON (email) id FROM users ORDER BY email, id)"
    )
    op.drop_constraint("uq_users_company_id_email", "users", type_="unique")
    op.drop_constraint("ck_users_role_known", "users", type_="check")
    op.drop_constraint("fk_users_company_id_companies", "users", type_="foreignkey")
    op.drop_column("users", "company_id")
    op.drop_column("users", "role")
    op.create_unique_constraint("uq_users_email", "users", ["email"])
    op.add_column("users", sa.Column("password_hash", sa.String(255), nullable=True))
    op.add_column(
        "users",
        sa.Column("failed_sign_ins", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column("users", _stamp("locked_until"))
    op.add_column(
        "users",
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )


def downgrade() -> None:
    for table in ("api_keys", "invitations", "sign_in_sessions"):
        op.drop_table(table)
    op.create_table(
        "old_users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
    )
    op.execute(
        "INSERT INTO old_users SELECT m.id, m.company_id, u.email, m.role "
        "FROM memberships m JOIN users u ON u.id = m.user_id"
    )
    op.drop_table("memberships")
    op.drop_table("users")
    op.rename_table("old_users", "users")
    op.create_primary_key("pk_users", "users", ["id"])
    op.create_unique_constraint("uq_users_company_id_email", "users", ["company_id", "email"])
    op.create_check_constraint("ck_users_role_known", "users", ROLE_CHECK)
    op.create_foreign_key(
        "fk_users_company_id_companies",
        "users",
        "companies",
        ["company_id"],
        ["id"],
        ondelete="CASCADE",
    )
