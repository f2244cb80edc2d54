"""Entry points stay thin: web, CLI and jobs reach the database only through services."""

from __future__ import annotations

import ast
from pathlib import Path

import ledgerbridge

PACKAGE = Path(ledgerbridge.__file__).parent
ENTRY_POINTS = [
    *sorted((PACKAGE / "web").rglob("*.py")),
    PACKAGE / "cli.py",
    PACKAGE / "cli_exact.py",
    PACKAGE / "cli_export.py",
    *sorted((PACKAGE / "jobs").rglob("*.py")),
]
DATABASE_LAYER = ("ledgerbridge.db", "sqlalchemy")
# Wiring, not data access: each entry names the one import it allows, and why.
ALLOWED = {
    # The job queue lives in the application's PostgreSQL; its connector needs the
    # same database URL in libpq form. No rows are read or written through it.
    ("jobs/app.py", "ledgerbridge.db.server"),
}


def in_database_layer(name: str) -> bool:
    return any(name == layer or name.startswith(f"{layer}.") for layer in DATABASE_LAYER)


def database_imports(path: Path, root: Path = PACKAGE.parent) -> set[str]:
    """The database modules (``ledgerbridge.db…``, ``sqlalchemy…``) that the module under
    ``root`` imports, anywhere in it, relative imports resolved."""
    package = ".".join(path.relative_to(root).parts[:-1])
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(part for part in (base, node.module) if part)
            # ``from ledgerbridge import db`` imports the module ``ledgerbridge.db``.
            names = [f"{module}.{alias.name}" for alias in node.names]
            found.update([module] if in_database_layer(module) else names)
    return {name for name in found if in_database_layer(name)}


def test_entry_points_import_neither_the_db_package_nor_sqlalchemy() -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(forbidden)
        for path in ENTRY_POINTS
        if (
            forbidden := {
                name
                for name in database_imports(path)
                if (str(path.relative_to(PACKAGE)), name) not in ALLOWED
            }
        )
    }
    assert offenders == {}


def test_every_allowed_import_is_still_made() -> None:
    # A stale entry would silently allow a future import of the same module.
    made = {(str(p.relative_to(PACKAGE)), n) for p in ENTRY_POINTS for n in database_imports(p)}
    assert ALLOWED - made == set()


def test_the_layer_check_catches_every_way_of_importing_the_database(tmp_path: Path) -> None:
    web = tmp_path / "ledgerbridge" / "web" / "api"
    web.mkdir(parents=True)
    bad = web / "bad.py"
    bad.write_text(
        "import sqlalchemy.orm\n"
        "from ledgerbridge import db\n"
        "from ...db.repositories import NotFound\n"
        "def route():\n"
        "    from ledgerbridge.db.uow import UnitOfWork\n"
        "from ledgerbridge.services import intake\n"
    )
    found = database_imports(bad, root=tmp_path)
    assert found == {
        "sqlalchemy.orm",
        "ledgerbridge.db",
        "ledgerbridge.db.repositories",
        "ledgerbridge.db.uow",
    }
