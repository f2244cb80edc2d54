"""The sandbox over HTTPS: a local CA generated once, clients that trust it get through."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx
import pytest
from cryptography import x509

from exact_sandbox.core import Sandbox
from exact_sandbox.serve import running
from exact_sandbox.tls import CA_FILE, tls_files


def trusting(ca_file: Path) -> ssl.SSLContext:
    """httpx's ``verify=<CA path>`` (the string form is deprecated in httpx 0.28)."""
    return ssl.create_default_context(cafile=str(ca_file))


def test_over_tls_a_client_trusting_the_ca_gets_through_and_one_without_it_does_not(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    with running(sandbox, tls=True, data_dir=tmp_path) as url:
        assert url.startswith("https://127.0.0.1:")
        assert url.ca_file == tmp_path / CA_FILE
        with httpx.Client(verify=trusting(tmp_path / CA_FILE)) as client:
            assert client.get(f"{url}/_sandbox/state").status_code == 200
        with httpx.Client() as client, pytest.raises(httpx.ConnectError, match="CERTIFICATE"):
            client.get(f"{url}/_sandbox/state")


def test_ssl_cert_file_makes_an_unchanged_client_trust_the_sandbox(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running(sandbox, tls=True) as url:
        assert url.ca_file is not None
        monkeypatch.setenv("SSL_CERT_FILE", str(url.ca_file))
        localhost = url.replace("127.0.0.1", "localhost")
        assert httpx.get(f"{localhost}/_sandbox/state").status_code == 200


def test_the_certificates_are_generated_once_and_reused(tmp_path: Path) -> None:
    first = tls_files(tmp_path)
    contents = [p.read_bytes() for p in (first.ca_file, first.cert_file, first.key_file)]
    again = tls_files(tmp_path)
    assert again == first
    assert [p.read_bytes() for p in (again.ca_file, again.cert_file, again.key_file)] == contents
    assert first.key_file.stat().st_mode & 0o077 == 0
    leaf = x509.load_pem_x509_certificates(first.cert_file.read_bytes())[0]
    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {str(ip) for ip in names.get_values_for_type(x509.IPAddress)} >= {"127.0.0.1"}
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    assert first.ca_line() == f"CA certificate: {tmp_path / CA_FILE}"


def test_plain_http_stays_the_default(sandbox: Sandbox) -> None:
    with running(sandbox) as url:
        assert url.startswith("http://") and url.ca_file is None
        assert httpx.get(f"{url}/_sandbox/state").status_code == 200
