"""Every setting is documented in the README's configuration table, and only settings are."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ledgerbridge.config import Settings

README = Path(__file__).parents[2] / "README.md"
TESTS_ONLY = {"LEDGERBRIDGE_TEST_DATABASE_URL"}


def configuration_table() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Configuration", 1)[1]
    return section.split("\n## ", 1)[0]


def test_every_setting_has_a_row_in_the_readme_configuration_table() -> None:
    documented = set(re.findall(r"`(LEDGERBRIDGE_[A-Z0-9_]+)`", configuration_table()))
    settings = {f"LEDGERBRIDGE_{name.upper()}" for name in Settings.model_fields}
    assert settings - documented == set()
    assert documented - settings - TESTS_ONLY == set()


def test_settings_are_read_from_prefixed_environment_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LEDGERBRIDGE_RECEIPT_MAX_BYTES", "1234")
    monkeypatch.setenv("RECEIPT_WARN_BYTES", "1")  # without the prefix: not ours
    settings = Settings()
    assert (settings.receipt_max_bytes, settings.receipt_warn_bytes) == (1234, 7 * 1024 * 1024)
