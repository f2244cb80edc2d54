"""Use case: which company a request or a command acts for — the one resolver.

Read-only: never commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from ledgerbridge.services.errors import CompanyNotChosen, UnknownCompany
from ledgerbridge.services.ports import UnitOfWorkFactory

__all__ = ["CompanyNotChosen", "CompanyRef", "UnknownCompany", "resolve_company"]


@dataclass(frozen=True, slots=True)
class CompanyRef:
    """A company as plain values, safe outside any session."""

    id: uuid.UUID
    slug: str
    name: str
    base_currency: str


def resolve_company(
    uow_factory: UnitOfWorkFactory, slug: str | None, *, how_to_name: str = ""
) -> CompanyRef:
    """The company with ``slug``, or (``slug`` is ``None``) the only one there is.

    Raises ``UnknownCompany`` or ``CompanyNotChosen``; both messages end with
    ``how_to_name`` (how the caller names a company: "--company SLUG", a header…).
    An empty slug is looked up like any other (and found by no one).
    """
    hint = f"name an existing one with {how_to_name}" if how_to_name else ""
    with uow_factory() as uow:
        if slug is not None:
            company = uow.companies.by_slug(slug)
            if company is None:
                raise UnknownCompany(f"no company {slug!r}" + (f"; {hint}" if hint else ""))
        else:
            found = uow.companies.all()
            if len(found) != 1:
                raise CompanyNotChosen(len(found), _none_or_many(len(found), how_to_name))
            company = found[0]
        return CompanyRef(company.id, company.slug, company.name, company.base_currency)


def _none_or_many(count: int, how_to_name: str) -> str:
    if count == 0:
        return (
            "there is no company yet: `ledgerbridge run` creates the demo company "
            "(LEDGERBRIDGE_DEMO=true)"
        )
    return f"name one with {how_to_name}" if how_to_name else ""
