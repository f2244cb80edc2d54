"""Credentials for API tests: an API key of a company, as request headers."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from ledgerbridge.db.uow import UnitOfWork
from ledgerbridge.services.access.admin import create_api_key


def bearer(
    session_factory: sessionmaker[Session], slug: str, role: str = "admin"
) -> dict[str, str]:
    """``Authorization`` headers with a new ``role`` key of the company ``slug``."""
    with UnitOfWork(session_factory) as uow:
        company = uow.companies.by_slug(slug)
        assert company is not None, f"no company {slug!r} to make a key for"
        company_id = company.id
    made = create_api_key(
        lambda: UnitOfWork(session_factory),
        lambda: datetime.now(UTC),
        company_id,
        f"test {role}",
        role,
        actor="tests",
    )
    return {"Authorization": f"Bearer {made.key}"}
