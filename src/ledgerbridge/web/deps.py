"""FastAPI dependencies shared by the routers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from fastapi import Depends, Header, HTTPException, Request

from ledgerbridge.bootstrap import Container
from ledgerbridge.db.repositories import CompanyRepository


def container(request: Request) -> Container:
    found: Container = request.app.state.container
    return found


@dataclass(frozen=True, slots=True)
class CurrentCompany:
    """The company a request acts for (a plain value, safe outside any session)."""

    id: uuid.UUID
    slug: str
    name: str
    base_currency: str


def current_company(
    x_company: str | None = Header(
        default=None, description="Company slug; optional when exactly one company exists."
    ),
    app: Container = Depends(container),
) -> CurrentCompany:
    """The company named by the ``X-Company`` header, or the only one there is.

    404 for an unknown slug; 400 when the header is missing and there is not
    exactly one company.
    """
    with app.uow() as uow:
        companies = CompanyRepository(uow.session)
        if x_company:
            company = companies.by_slug(x_company.strip())
            if company is None:
                raise HTTPException(404, f"unknown company {x_company!r} (X-Company header)")
        else:
            found = companies.all()
            if len(found) != 1:
                raise HTTPException(
                    400,
                    f"{len(found)} companies exist; name one with the X-Company header "
                    "(the company slug)",
                )
            company = found[0]
        return CurrentCompany(company.id, company.slug, company.name, company.base_currency)
