"""Encryption of secrets at rest (Exact tokens) with Fernet / MultiFernet.

Keys come from ``settings.secret_key`` (comma-separated Fernet keys, newest
first). Without it, one key is generated into ``data_dir/secret.key`` (mode
0600) on first use and reused afterwards — fine for the embedded single-machine
set-up; several machines must share ``LEDGERBRIDGE_SECRET_KEY``.

Rotation: put a new key first in the list, keep the old ones after it, and run
``ledgerbridge exact rotate-key`` (``rotate_token_encryption`` in
``services.connection``, which applies ``TokenCipher.rotate`` to every stored
token); then drop the old keys.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from ledgerbridge.config import Settings

KEY_FILE = "secret.key"


class SecretUnreadable(Exception):
    """A stored secret cannot be decrypted with any configured key."""


class TokenCipher:
    """Encrypts and decrypts short secrets; the first key encrypts, every key decrypts."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one Fernet key is needed")
        try:
            self._fernet = MultiFernet([Fernet(key.strip().encode()) for key in keys])
        except ValueError as exc:
            raise ValueError(
                "LEDGERBRIDGE_SECRET_KEY must hold Fernet keys (32 url-safe base64 bytes), "
                "comma-separated, newest first"
            ) from exc

    def encrypt(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode()).decode()

    def decrypt(self, token: str) -> str:
        """The plain text; raises ``SecretUnreadable`` when no key fits (key lost or wrong)."""
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise SecretUnreadable(
                "stored secret cannot be decrypted with the configured keys"
            ) from exc

    def rotate(self, token: str) -> str:
        """``token`` re-encrypted with the newest key (unchanged plain text)."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken as exc:
            raise SecretUnreadable(
                "stored secret cannot be decrypted with the configured keys"
            ) from exc


def generated_key(data_dir: Path) -> str:
    """The key in ``data_dir/secret.key``, created (mode 0600) when missing.

    Safe when several processes start at once: the key is written to a private
    temporary file and hard-linked into place, so nobody reads a half-written key.
    """
    path = data_dir / KEY_FILE
    data_dir.mkdir(parents=True, exist_ok=True)
    if path.exists():
        return path.read_text().strip()
    temporary = data_dir / f".{KEY_FILE}.{os.getpid()}"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(Fernet.generate_key().decode())
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
    return path.read_text().strip()


def cipher_from_settings(settings: Settings) -> TokenCipher:
    """The cipher for this process: configured keys, else the generated key file."""
    if settings.secret_key:
        keys = [key for key in settings.secret_key.split(",") if key.strip()]
        return TokenCipher(keys)
    return TokenCipher([generated_key(settings.data_dir)])
