"""The product's migration chain owns schema public only; the sandbox's schema is not in it."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import URL

from ledgerbridge.db import migrate
from ledgerbridge.db.testing import scratch_database

# What revision 0005 created before the sandbox became its own package.
OLD_SANDBOX_SCHEMA = [
    "CREATE SCHEMA sandbox",
    "CREATE TABLE sandbox.records (division integer NOT NULL, resource varchar(100) NOT NULL,"
    ' key varchar(100) NOT NULL, data jsonb NOT NULL, "timestamp" bigint NOT NULL,'
    " CONSTRAINT pk_records PRIMARY KEY (division, resource, key))",
    "INSERT INTO sandbox.records VALUES (3101010, 'crm/Accounts', 'k', '{}', 1)",
]


def schemas(conn: Connection) -> set[str]:
    return set(conn.execute(text("SELECT nspname FROM pg_namespace")).scalars())


def revision(conn: Connection) -> str:
    return str(conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one())


def head(url: URL) -> str:
    found = ScriptDirectory.from_config(migrate.alembic_config(url)).get_current_head()
    assert found is not None
    return found


def test_a_fresh_database_at_head_has_no_sandbox_schema() -> None:
    with scratch_database("lb_mig") as url:
        engine = create_engine(url)
        with engine.connect() as conn:
            assert revision(conn) == head(url)
            assert not {"sandbox", "exact_sandbox"} & schemas(conn)
        engine.dispose()


def test_upgrading_a_database_from_0005_drops_the_old_sandbox_schema() -> None:
    with scratch_database("lb_mig") as url:
        migrate.downgrade(url, "0005")
        engine = create_engine(url)
        with engine.begin() as conn:
            for statement in OLD_SANDBOX_SCHEMA:
                conn.execute(text(statement))
        migrate.upgrade(url)
        with engine.connect() as conn:
            assert revision(conn) == head(url)
            assert "sandbox" not in schemas(conn)
            assert conn.execute(text("SELECT count(*) FROM companies")).scalar_one() == 0
        engine.dispose()


def test_upgrading_from_0008_keeps_each_old_user_as_one_user_with_a_membership_per_company() -> (
    None
):
    with scratch_database("lb_mig") as url:
        migrate.downgrade(url, "0008")
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO companies (id, slug, name, base_currency) VALUES "
                    "('00000000-0000-0000-0000-00000000000a', 'a', 'A', 'EUR'), "
                    "('00000000-0000-0000-0000-00000000000b', 'b', 'B', 'EUR')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO users (id, company_id, email, role) VALUES "
                    "(gen_random_uuid(), '00000000-0000-0000-0000-00000000000a', 'Anna@x.nl', "
                    "'admin'), (gen_random_uuid(), '00000000-0000-0000-0000-00000000000b', "
                    "'anna@x.nl', 'viewer'), (gen_random_uuid(), "
                    "'00000000-0000-0000-0000-00000000000b', 'bob@x.nl', 'bookkeeper')"
                )
            )
        migrate.upgrade(url)
        with engine.connect() as conn:
            found = conn.execute(
                text(
                    "SELECT u.email, c.slug, m.role FROM memberships m JOIN users u ON "
                    "u.id = m.user_id JOIN companies c ON c.id = m.company_id ORDER BY 1, 2"
                )
            ).all()
            assert [tuple(row) for row in found] == [
                ("anna@x.nl", "a", "admin"),
                ("anna@x.nl", "b", "viewer"),
                ("bob@x.nl", "b", "bookkeeper"),
            ]
            assert conn.execute(text("SELECT count(*) FROM users")).scalar_one() == 2
        migrate.downgrade(url, "0008")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM users")).scalar_one() == 3
        engine.dispose()
