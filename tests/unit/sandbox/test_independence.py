"""The simulator is a package of its own: it imports nothing of ours, and of ours only the
demo wiring imports it (so a production install never loads it)."""

from __future__ import annotations

import ast
from pathlib import Path

import exact_sandbox
import ledgerbridge

SANDBOX = Path(exact_sandbox.__file__).parent
PRODUCT = Path(ledgerbridge.__file__).parent


def imported_packages(path: Path) -> set[str]:
    """Top-level packages a module imports, anywhere in it (relative imports excluded)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def test_the_sandbox_imports_nothing_of_ledgerbridge() -> None:
    offenders = [
        str(path.relative_to(SANDBOX))
        for path in sorted(SANDBOX.rglob("*.py"))
        if "ledgerbridge" in imported_packages(path)
    ]
    assert offenders == []


def test_only_the_demo_wiring_imports_the_sandbox() -> None:
    importers = [
        str(path.relative_to(PRODUCT))
        for path in sorted(PRODUCT.rglob("*.py"))
        if "exact_sandbox" in imported_packages(path)
    ]
    assert importers == ["demo/sandbox.py"]
