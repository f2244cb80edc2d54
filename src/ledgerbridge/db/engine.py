"""Engine and session factory for one database."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: URL, *, pool_size: int = 10) -> Engine:
    """A psycopg 3 engine; connections are checked before use (embedded server restarts)."""
    return create_engine(url, pool_size=pool_size, max_overflow=20, pool_pre_ping=True)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)
