"""Companies (the tenants). Their members are ``accounts.MembershipRepository``'s."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledgerbridge.db.models.core import Company


class CompanyRepository:
    """Companies are the tenants; looked up before any company is known."""

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
