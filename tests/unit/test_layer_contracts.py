"""The layer contracts of DESIGN.md, as import-linter checks them (pyproject.toml)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(project: Path) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"PYTHONPATH": str(project / "src")}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", str(project / "pyproject.toml")],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_code_keeps_every_layer_contract() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "offending_import", "contract"),
    [
        ("ledgerbridge/domain/_probe.py", "import ledgerbridge.db.uow", "domain imports only"),
        ("ledgerbridge/domain/_probe.py", "import sqlalchemy", "domain imports only"),
        ("ledgerbridge/services/_probe.py", "import ledgerbridge.bootstrap", "Services import"),
        ("ledgerbridge/db/_probe.py", "import ledgerbridge.exact.api", "database layer"),
        ("ledgerbridge/web/_probe.py", "import exact_sandbox.core", "Nothing but the demo"),
        ("exact_sandbox/_probe.py", "import ledgerbridge.config", "exact_sandbox imports nothing"),
    ],
)
def test_a_forbidden_import_breaks_its_contract(
    tmp_path: Path, module: str, offending_import: str, contract: str
) -> None:
    shutil.copytree(ROOT / "src", tmp_path / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "src" / module).write_text(f"{offending_import}\n")

    result = lint_imports(tmp_path)

    assert result.returncode != 0
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken, result.stdout
