"""The domain must stay pure: no framework or I/O library imports."""

from __future__ import annotations

import ast
import subprocess
import sys
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


def imported_ledgerbridge_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("ledgerbridge"))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.update([node.module] if node.module.startswith("ledgerbridge") else [])
    return found


def test_the_domain_imports_no_adapter_or_service_of_its_own_package() -> None:
    # Importing ledgerbridge.db (or services, exact, web…) brings SQLAlchemy in by the back door.
    offenders = {
        str(m.relative_to(DOMAIN)): sorted(outside)
        for m in sorted(DOMAIN.rglob("*.py"))
        if (
            outside := {
                name
                for name in imported_ledgerbridge_modules(m)
                if not name.startswith("ledgerbridge.domain")
            }
        )
    }
    assert offenders == {}


def test_importing_the_domain_loads_no_framework() -> None:
    # A fresh interpreter: this test process has long imported SQLAlchemy for other tests.
    code = """
import importlib, pkgutil, sys
import ledgerbridge.domain as domain
for module in pkgutil.iter_modules(domain.__path__):
    importlib.import_module(f"ledgerbridge.domain.{module.name}")
print(" ".join(sorted({name.split(".")[0] for name in sys.modules})))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(out.stdout.split())
    assert "ledgerbridge" in loaded
    assert loaded & FORBIDDEN == set()
