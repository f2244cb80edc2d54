"""FastAPI dependencies shared by the routers."""

from __future__ import annotations

from fastapi import Depends, Header, Request

from ledgerbridge.bootstrap import Container
from ledgerbridge.services import companies


def container(request: Request) -> Container:
    found: Container = request.app.state.container
    return found


# The company a request acts for (a plain value, safe outside any session).
CurrentCompany = companies.CompanyRef


def current_company(
    x_company: str | None = Header(
        default=None, description="Company slug; optional when exactly one company exists."
    ),
    app: Container = Depends(container),
) -> CurrentCompany:
    """The company named by the ``X-Company`` header, or the only one there is.

    404 for an unknown slug; 400 when the header is missing and there is not
    exactly one company (``web.errors``).
    """
    slug = x_company.strip() if x_company else None
    return companies.resolve_company(
        app.uow, slug, how_to_name="the X-Company header (the company slug)"
    )
