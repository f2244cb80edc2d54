"""Alembic, driven from code: the only way the schema is created or changed."""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL, Connection

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: URL) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option(
        "sqlalchemy.url", url.render_as_string(hide_password=False).replace("%", "%%")
    )
    return config


def upgrade(url: URL, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision`` (idempotent)."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: URL, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


@lru_cache(maxsize=1)
def _scripts() -> tuple[str, frozenset[str]]:
    """This code's head and every revision it knows (read once per process)."""
    scripts = ScriptDirectory(str(MIGRATIONS))
    head = scripts.get_current_head()
    if head is None:  # pragma: no cover - there are migrations
        raise RuntimeError("no Alembic migrations found")
    return head, frozenset(script.revision for script in scripts.walk_revisions())


def head_revision() -> str:
    """The newest migration of this code."""
    return _scripts()[0]


def revision_status(connection: Connection) -> str:
    """``"ok"`` when the database is at this code's head, else what it is: ``"behind: 0021 <
    0022"``, ``"not migrated"``, or a revision this code does not know (newer code migrated
    it)."""
    current = MigrationContext.configure(connection).get_current_revision()
    head, known = _scripts()
    if current == head:
        return "ok"
    if current is None:
        return f"not migrated (head is {head})"
    if current in known:
        return f"behind: {current} < {head}"
    return f"unknown revision {current} (this code's head is {head}; newer code migrated it?)"


def schema_checks(engine: Engine) -> dict[str, str]:
    """For ``/ready``: ``{"database": …, "migrations": …}``, each ``"ok"`` or a few words
    on what is wrong (never the URL); the cause goes to the log."""
    checks: dict[str, str] = {}
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            checks["database"] = "ok"
            checks["migrations"] = revision_status(connection)
    except Exception:
        log.warning("readiness: the database check failed", exc_info=True)
        if "database" in checks:
            checks["migrations"] = "unknown (the schema version could not be read)"
        else:
            checks["database"] = "unreachable"
            checks["migrations"] = "unknown (the database does not answer)"
    return checks
