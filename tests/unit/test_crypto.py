"""Tokens at rest: encrypted with Fernet keys from settings or a generated key file."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from ledgerbridge.config import Settings
from ledgerbridge.crypto import SecretUnreadable, TokenCipher, cipher_from_settings


def test_a_token_round_trips_and_its_ciphertext_does_not_contain_it() -> None:
    cipher = TokenCipher([Fernet.generate_key().decode()])
    sealed = cipher.encrypt("refresh-token-secret")
    assert "refresh-token-secret" not in sealed
    assert cipher.decrypt(sealed) == "refresh-token-secret"


def test_without_a_configured_key_one_is_generated_with_owner_only_permissions(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path, secret_key=None)
    sealed = cipher_from_settings(settings).encrypt("abc")
    key_file = tmp_path / "secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    # A second process (a new cipher) reuses the same key file.
    assert cipher_from_settings(settings).decrypt(sealed) == "abc"


def test_rotation_reencrypts_with_the_newest_key_so_the_old_key_can_be_dropped() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    sealed_with_old = TokenCipher([old]).encrypt("token")
    both = cipher_from_settings(Settings(secret_key=f"{new},{old}"))
    rotated = both.rotate(sealed_with_old)
    assert TokenCipher([new]).decrypt(rotated) == "token"
    with pytest.raises(SecretUnreadable):
        TokenCipher([new]).decrypt(sealed_with_old)


def test_a_malformed_secret_key_setting_is_refused_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match="Fernet keys"):
        cipher_from_settings(Settings(secret_key="not-a-key"))
