"""HTTPS for the served sandbox: a local CA and a server certificate made by ``trustme``.

Exact is only reachable over HTTPS, and client libraries for it refuse a plain
``http://`` base URL; with ``--tls`` (``exact-sandbox``, ``ledgerbridge sandbox``) or
``serve.running(sandbox, tls=True)`` such clients run against the sandbox unchanged
once they trust its CA (``SSL_CERT_FILE=<CA file>``, or ``verify=`` in httpx).

``tls_files(data_dir)`` generates the CA (``exact-sandbox-ca.pem``) and a certificate
with its key for ``127.0.0.1``, ``localhost`` and ``::1`` into the data directory
once, and reuses them on later starts, so a client configured with the CA file once
keeps working. Only this module imports ``trustme``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

CA_FILE = "exact-sandbox-ca.pem"
CERT_FILE = "exact-sandbox-cert.pem"  # the server certificate (then the CA's): the chain
KEY_FILE = "exact-sandbox-key.pem"
HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class TlsFiles:
    """Where the sandbox's CA certificate, server certificate chain and key are."""

    ca_file: Path
    cert_file: Path
    key_file: Path

    def ca_line(self) -> str:
        """The line printed at start: the CA file a client must trust."""
        return f"CA certificate: {self.ca_file}"


def tls_files(data_dir: Path) -> TlsFiles:
    """The CA, certificate and key in ``data_dir``, generated when any is missing."""
    files = TlsFiles(data_dir / CA_FILE, data_dir / CERT_FILE, data_dir / KEY_FILE)
    if all(path.is_file() for path in (files.ca_file, files.cert_file, files.key_file)):
        return files
    import trustme

    data_dir.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="exact-sandbox", organization_unit_name="local CA")
    server = ca.issue_cert(*HOSTS, organization_name="exact-sandbox")
    _write(files.key_file, server.private_key_pem.bytes(), private=True)
    _write(files.cert_file, b"".join(blob.bytes() for blob in server.cert_chain_pems))
    _write(files.ca_file, ca.cert_pem.bytes())  # last: its presence means a complete set
    return files


def _write(path: Path, content: bytes, *, private: bool = False) -> None:
    """Write via a temporary file and rename, so a crash leaves no half file."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(content)
    if private:
        os.chmod(partial, 0o600)
    partial.replace(path)
