"""``exact-sandbox``: the simulator's own command, configured by ``EXACT_SANDBOX_*``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL
from typer.testing import CliRunner

from exact_sandbox import cli
from exact_sandbox.core import Sandbox
from exact_sandbox.persistence import clear_persisted
from exact_sandbox.seed import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from exact_sandbox.tls import TlsFiles

served_tls: list[TlsFiles | None] = []  # the TLS files each serve call got


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[list[tuple[str, int]]]:
    """Where the command would serve (the server itself is not started)."""
    calls: list[tuple[str, int]] = []
    opened: list[Sandbox] = []
    served_tls.clear()

    def serve(host: str, port: int, sandbox: Sandbox, tls: TlsFiles | None = None) -> None:
        calls.append((host, port))
        opened.append(sandbox)
        served_tls.append(tls)

    monkeypatch.setattr(cli, "serve", serve)
    for name in ("DATABASE_URL", "HOST", "PORT"):
        monkeypatch.delenv(f"EXACT_SANDBOX_{name}", raising=False)
    monkeypatch.setenv("EXACT_SANDBOX_DATA_DIR", str(tmp_path / "data"))
    yield calls
    for sandbox in opened:
        sandbox.close()


def test_without_a_database_it_serves_in_memory_and_says_so(
    served: list[tuple[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXACT_SANDBOX_PORT", "8799")
    result = CliRunner().invoke(cli.app, [], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert served == [("127.0.0.1", 8799)]
    assert "http://127.0.0.1:8799/_sandbox/state" in result.output
    assert DEMO_CLIENT_ID in result.output and DEMO_CLIENT_SECRET in result.output
    assert "in memory only" in result.output


def test_with_a_database_url_it_persists_in_its_own_schema(
    served: list[tuple[str, int]], database_url: URL, engine: Engine, tmp_path: Path
) -> None:
    url = database_url.render_as_string(hide_password=False)
    args = ["--database-url", url, "--port", "9001", "--host", "0.0.0.0", "--fresh"]
    try:
        result = CliRunner().invoke(cli.app, args, terminal_width=200)
        assert result.exit_code == 0, result.output
        assert served == [("0.0.0.0", 9001)]
        assert "Persisted in schema exact_sandbox" in result.output
        assert str(tmp_path / "data" / "sandbox-tokens.json") in result.output
        with engine.connect() as conn:
            query = "SELECT count(*) FROM exact_sandbox.records WHERE resource = 'crm/Accounts'"
            assert conn.execute(text(query)).scalar_one() > 200
    finally:
        clear_persisted(url)


def test_with_tls_it_serves_https_and_prints_the_ca_file_a_client_must_trust(
    served: list[tuple[str, int]], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    result = CliRunner().invoke(cli.app, ["--tls", "--port", "8443"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert served == [("127.0.0.1", 8443)]
    assert "https://127.0.0.1:8443/_sandbox/state" in result.output
    assert f"CA certificate: {data / 'exact-sandbox-ca.pem'}" in result.output.splitlines()
    (files,) = served_tls
    assert files is not None and files.ca_file == data / "exact-sandbox-ca.pem"
    assert files.cert_file.is_file() and files.key_file.is_file()
    ca = files.ca_file.read_bytes()
    again = CliRunner().invoke(cli.app, ["--tls"], terminal_width=200)
    assert again.exit_code == 0, again.output
    assert served_tls[-1] == files and files.ca_file.read_bytes() == ca  # reused, not remade


def test_without_tls_no_certificate_is_made(served: list[tuple[str, int]], tmp_path: Path) -> None:
    result = CliRunner().invoke(cli.app, [], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "CA certificate" not in result.output and served_tls == [None]
    assert not (tmp_path / "data" / "exact-sandbox-ca.pem").exists()
