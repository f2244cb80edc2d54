"""Run in a child process by the token chain tests: many threads ask for a token at once."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import httpx

from ledgerbridge.crypto import TokenCipher
from ledgerbridge.db.engine import make_engine, make_session_factory
from ledgerbridge.db.server import sqlalchemy_url
from ledgerbridge.gateway.token_chain import AppCredentials, ConnectionTokens


def tokens_from_threads(
    database_url: str, company_id: str, key: str, secret: str, now: str, threads: int
) -> list[str]:
    """``threads`` threads each ask a fresh provider for an access token at instant ``now``."""
    engine = make_engine(sqlalchemy_url(database_url), pool_size=threads)
    sessions = make_session_factory(engine)
    instant = datetime.fromisoformat(now)
    with httpx.Client(timeout=30) as http:

        def one(_: int) -> str:
            provider = ConnectionTokens(
                sessions,
                uuid.UUID(company_id),
                AppCredentials(secret, http),
                TokenCipher([key]),
                lambda: instant,
            )
            return provider.access_token()

        with ThreadPoolExecutor(max_workers=threads) as pool:
            found = list(pool.map(one, range(threads)))
    engine.dispose()
    return found
