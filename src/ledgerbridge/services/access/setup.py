"""Use cases for a self-hosting admin at the command line: a company, a user with a
password (or an invitation), a password reset, a first API key.

Each commits once; errors name what to fix.
"""

from __future__ import annotations

import re

from ledgerbridge.services.access import secrets as tokens
from ledgerbridge.services.access.admin import clean_email, known_role
from ledgerbridge.services.companies import CompanyRef
from ledgerbridge.services.errors import ConflictError, InvalidRequest, NotFoundError
from ledgerbridge.services.ports import UnitOfWorkFactory

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def create_company(
    uow_factory: UnitOfWorkFactory, slug: str, name: str, base_currency: str = "EUR"
) -> CompanyRef:
    """Raises ``InvalidRequest`` for a malformed slug, ``ConflictError`` for a taken one."""
    if not SLUG.match(slug):
        raise InvalidRequest(f"{slug!r}: a slug is lower-case letters, digits and dashes")
    currency = base_currency.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise InvalidRequest(f"{base_currency!r} is no ISO 4217 currency code")
    with uow_factory() as uow:
        if uow.companies.by_slug(slug) is not None:
            raise ConflictError(f"a company {slug!r} exists already")
        company = uow.companies.add(slug, name.strip() or slug, currency)
        uow.audit.record(company.id, action="company.created", actor="cli")
        uow.commit()
        return CompanyRef(company.id, company.slug, company.name, company.base_currency)


def add_user(
    uow_factory: UnitOfWorkFactory, company_slug: str, email: str, role: str, password: str
) -> None:
    """Create the user with ``password`` (or reuse the existing one, password kept) and
    make it a member with ``role``. Raises ``NotFoundError`` for an unknown company,
    ``ConflictError`` for a member already."""
    email, role = clean_email(email), known_role(role)
    with uow_factory() as uow:
        company = uow.companies.by_slug(company_slug)
        if company is None:
            raise NotFoundError(f"no company {company_slug!r}; create it first")
        user = uow.users.by_email(email)
        if user is None:
            user = uow.users.add(email, tokens.hash_password(password))
        if uow.members.role_of(company.id, user.id) is not None:
            raise ConflictError(f"{email} is already a member of {company_slug!r}")
        uow.members.add(company.id, user.id, role)
        uow.audit.record(
            company.id,
            action="user.added",
            actor="cli",
            subject_type="user",
            subject_id=user.id,
            details={"role": role},
        )
        uow.commit()


def reset_password(uow_factory: UnitOfWorkFactory, email: str, password: str) -> None:
    """Set the password, end the lock-out and every session of the user."""
    with uow_factory() as uow:
        user = uow.users.by_email(email)
        if user is None:
            raise NotFoundError(f"no user {email!r}")
        user.password_hash = tokens.hash_password(password)
        user.failed_sign_ins, user.locked_until = 0, None
        uow.sessions.close_all_of_user(user.id)
        uow.audit.record(None, action="user.password_reset", actor="cli", subject_id=user.id)
        uow.commit()
