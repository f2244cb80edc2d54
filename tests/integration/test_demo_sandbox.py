"""The demo wiring (``ledgerbridge.demo.sandbox``): the built-in sandbox needs no
configuration, a configured Exact app wins, real Exact still asks for one."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL
from typer.testing import CliRunner

from exact_sandbox.core import Sandbox
from exact_sandbox.persistence import clear_persisted
from exact_sandbox.seed import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from exact_sandbox.tls import TlsFiles
from ledgerbridge import bootstrap as bootstrapping
from ledgerbridge.bootstrap import Container, bootstrap
from ledgerbridge.cli import app
from ledgerbridge.config import Settings
from ledgerbridge.demo import sandbox as demo_sandbox
from ledgerbridge.services.errors import ConnectionNotReady


def container_for(database_url: URL, tmp_path: Path, **overrides: object) -> Container:
    settings = Settings(data_dir=tmp_path, **overrides)
    return bootstrap(settings, database_url=database_url, upgrade=False)


def _credentials(container: Container) -> tuple[str, str]:
    app = container.exact_app()
    return app.client_id, app.client_secret


def test_the_built_in_sandbox_brings_its_demo_app(database_url: URL, tmp_path: Path) -> None:
    container = container_for(database_url, tmp_path)
    assert _credentials(container) == (DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
    container.engine.dispose()


def test_a_configured_app_wins_over_the_demo_app(database_url: URL, tmp_path: Path) -> None:
    container = container_for(database_url, tmp_path, exact_client_id="ours")
    assert _credentials(container) == ("ours", DEMO_CLIENT_SECRET)
    container.engine.dispose()


@pytest.mark.parametrize(
    ("settings", "missing"),
    [
        ({"exact_region": "nl"}, "LEDGERBRIDGE_EXACT_CLIENT_ID"),
        ({"exact_base_url": "https://exact.test"}, "LEDGERBRIDGE_EXACT_CLIENT_ID"),
        ({"exact_region": "be", "exact_client_id": "ours"}, "LEDGERBRIDGE_EXACT_CLIENT_SECRET"),
    ],
)
def test_real_exact_without_a_configured_app_is_not_ready(
    database_url: URL, tmp_path: Path, settings: dict[str, str], missing: str
) -> None:
    container = container_for(database_url, tmp_path, **settings)
    with pytest.raises(ConnectionNotReady, match=missing):
        container.exact_app()
    container.engine.dispose()


def test_the_sandbox_command_serves_the_sandbox_persisted_in_our_database(
    database_url: URL, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[Sandbox] = []
    container = container_for(database_url, tmp_path)
    monkeypatch.setattr(bootstrapping, "bootstrap", lambda upgrade: container)
    monkeypatch.setattr(
        demo_sandbox, "serve", lambda host, port, sandbox, tls=None: served.append(sandbox)
    )
    url = database_url.render_as_string(hide_password=False)
    try:
        result = CliRunner().invoke(app, ["sandbox", "--port", "8799", "--fresh"])
        assert result.exit_code == 0, result.output
        assert "http://127.0.0.1:8799/_sandbox/state" in result.output
        assert len(served) == 1 and DEMO_CLIENT_ID in served[0].apps
        with container.engine.connect() as conn:
            count = conn.execute(text("SELECT count(*) FROM exact_sandbox.records"))
            assert count.scalar_one() > 200
    finally:
        for sandbox in served:
            sandbox.close()
        clear_persisted(url)
        container.engine.dispose()


def test_the_sandbox_command_with_tls_serves_https_and_prints_the_ca_file(
    database_url: URL, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[tuple[Sandbox, TlsFiles | None]] = []
    container = container_for(database_url, tmp_path)
    monkeypatch.setattr(bootstrapping, "bootstrap", lambda upgrade: container)
    monkeypatch.setattr(
        demo_sandbox, "serve", lambda host, port, sandbox, tls=None: served.append((sandbox, tls))
    )
    url = database_url.render_as_string(hide_password=False)
    ca_file = container.settings.data_dir / "exact-sandbox-ca.pem"
    try:
        result = CliRunner().invoke(app, ["sandbox", "--port", "8443", "--tls"])
        assert result.exit_code == 0, result.output
        assert "https://127.0.0.1:8443/_sandbox/state" in result.output
        assert f"CA certificate: {ca_file}" in result.output.splitlines()
        ((_, files),) = served
        assert files is not None and files.ca_file == ca_file and files.key_file.is_file()
    finally:
        for sandbox, _ in served:
            sandbox.close()
        clear_persisted(url)
        container.engine.dispose()
