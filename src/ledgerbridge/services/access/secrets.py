"""Random tokens, their stored hashes, and password hashing (argon2).

Tokens (session, invitation, API key) are 256-bit random and stored only as
SHA-256: a database dump cannot be replayed. Passwords use argon2id with the
library's defaults.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ledgerbridge.domain.wording import N_
from ledgerbridge.services.errors import InvalidRequest

API_KEY_PREFIX = "lbk_"
MIN_PASSWORD_LENGTH = 10
_hasher = PasswordHasher()
# Verified against when the email is unknown, so both answers take the same time.
_DUMMY_HASH = _hasher.hash("not a password anyone has")


def new_token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def hash_password(password: str) -> str:
    """Raises ``InvalidRequest`` for a password too short to keep."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidRequest(
            N_("a password needs at least %(count)s characters", count=MIN_PASSWORD_LENGTH)
        )
    return _hasher.hash(password)


def password_matches(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False
