"""Companies and their users."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledgerbridge.db.models.core import ROLES, Company, User


class CompanyRepository:
    """Companies are the tenants; users belong to exactly one company."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, company_id: uuid.UUID) -> Company | None:
        return self.session.get(Company, company_id)

    def by_slug(self, slug: str) -> Company | None:
        return self.session.scalar(select(Company).where(Company.slug == slug))

    def all(self) -> list[Company]:
        return list(self.session.scalars(select(Company).order_by(Company.slug)))

    def count(self) -> int:
        return self.session.scalar(select(func.count()).select_from(Company)) or 0

    def add(self, slug: str, name: str, base_currency: str = "EUR") -> Company:
        company = Company(id=uuid.uuid4(), slug=slug, name=name, base_currency=base_currency)
        self.session.add(company)
        self.session.flush()
        return company

    def add_user(self, company_id: uuid.UUID, email: str, role: str) -> User:
        """Add a user to the company; ``role`` is admin, bookkeeper or viewer."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r} (expected one of {sorted(ROLES)})")
        user = User(id=uuid.uuid4(), company_id=company_id, email=email.lower(), role=role)
        self.session.add(user)
        self.session.flush()
        return user

    def users(self, company_id: uuid.UUID) -> list[User]:
        query = select(User).where(User.company_id == company_id).order_by(User.email)
        return list(self.session.scalars(query))

    def user_by_email(self, company_id: uuid.UUID, email: str) -> User | None:
        query = select(User).where(User.company_id == company_id, User.email == email.lower())
        return self.session.scalar(query)
