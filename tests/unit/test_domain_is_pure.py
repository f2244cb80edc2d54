"""The domain must stay pure: no framework or I/O library imports."""

from __future__ import annotations

import ast
from pathlib import Path

import ledgerbridge.domain

FORBIDDEN = {"sqlalchemy", "httpx", "fastapi", "starlette", "procrastinate", "psycopg", "requests"}
DOMAIN = Path(ledgerbridge.domain.__file__).parent


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_domain_modules_import_no_framework_or_io_library() -> None:
    modules = sorted(DOMAIN.rglob("*.py"))
    assert modules, "the domain package has no modules"
    offenders = {
        str(m.relative_to(DOMAIN)): sorted(imported_roots(m) & FORBIDDEN)
        for m in modules
        if imported_roots(m) & FORBIDDEN
    }
    assert offenders == {}


def test_the_purity_check_catches_a_forbidden_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from sqlalchemy import select\nimport httpx.client\n")
    assert imported_roots(bad) & FORBIDDEN == {"sqlalchemy", "httpx"}
