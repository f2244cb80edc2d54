"""Use case: which company a request acts for.

Read-only: runs in the unit of work it is given and never commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from ledgerbridge.db.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class CompanyRef:
    """A company as plain values, safe outside any session."""

    id: uuid.UUID
    slug: str
    name: str
    base_currency: str


class UnknownCompany(LookupError):
    """No company has the slug that was given."""


class CompanyNotChosen(LookupError):
    """No slug was given and there is not exactly one company; ``count`` says how many."""

    def __init__(self, count: int) -> None:
        super().__init__(f"{count} companies exist")
        self.count = count


def company_for_request(uow: UnitOfWork, slug: str | None) -> CompanyRef:
    """The company with ``slug``, or (``slug`` is ``None``) the only one there is.

    Raises ``UnknownCompany`` or ``CompanyNotChosen``. An empty slug is looked up
    like any other (and found by no one).
    """
    with uow:
        companies = uow.companies
        if slug is not None:
            company = companies.by_slug(slug)
            if company is None:
                raise UnknownCompany(slug)
        else:
            found = companies.all()
            if len(found) != 1:
                raise CompanyNotChosen(len(found))
            company = found[0]
        return CompanyRef(company.id, company.slug, company.name, company.base_currency)
