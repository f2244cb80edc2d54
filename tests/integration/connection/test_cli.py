"""``ledgerbridge exact status|probe|disconnect|rotate-key`` print what a person needs to know."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from exact_sandbox.seed import DEMO_DIVISION
from ledgerbridge import cli_exact
from ledgerbridge.cli import app

from .conftest import World


@pytest.fixture
def connected(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    world.connect()
    world.container.connections.choose_division(world.company_id, DEMO_DIVISION)
    monkeypatch.setattr(cli_exact, "bootstrap", lambda: world.container)
    return world


def test_status_shows_the_division_and_the_chain_expiry(connected: World) -> None:
    result = CliRunner().invoke(app, ["exact", "status"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "connected" in result.output
    assert f"{DEMO_DIVISION} Demo B.V." in result.output
    assert "chain expires" in result.output and "2026-12-02" in result.output


def test_the_read_only_probe_reports_its_checks(connected: World) -> None:
    result = CliRunner().invoke(app, ["exact", "probe"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "document type 20" in result.output
    assert "ExternalLinkReference" in result.output


def test_disconnect_then_status_says_so(connected: World) -> None:
    assert CliRunner().invoke(app, ["exact", "disconnect"]).exit_code == 0
    result = CliRunner().invoke(app, ["exact", "status"], terminal_width=200)
    assert "disconnected" in result.output


def _with_new_keys(world: World) -> None:
    """As a restart with the changed settings would: adapters built with the old keys go."""
    for built in ("cipher", "gateway", "connections"):
        world.container.__dict__.pop(built, None)


def test_rotate_key_reencrypts_the_tokens_so_the_old_key_can_be_dropped(connected: World) -> None:
    settings = connected.container.settings
    old_key, new_key = settings.secret_key, Fernet.generate_key().decode()
    settings.secret_key = f"{new_key},{old_key}"
    _with_new_keys(connected)

    result = CliRunner().invoke(app, ["exact", "rotate-key"])
    assert result.exit_code == 0, result.output
    assert "1 connection" in result.output

    settings.secret_key = new_key  # the old key is gone
    _with_new_keys(connected)
    assert connected.container.gateway.api(connected.company_id).me().user_name == "demo"


def test_rotate_key_with_keys_that_fit_no_token_changes_nothing(connected: World) -> None:
    settings = connected.container.settings
    old_key = settings.secret_key
    settings.secret_key = Fernet.generate_key().decode()
    _with_new_keys(connected)
    result = CliRunner().invoke(app, ["exact", "rotate-key"])
    assert result.exit_code == 1
    assert "cannot be decrypted" in result.output

    settings.secret_key = old_key
    _with_new_keys(connected)
    assert connected.container.gateway.api(connected.company_id).me().user_name == "demo"
