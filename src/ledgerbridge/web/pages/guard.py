"""The admin pages' gate: a signed-in user without the admin role gets a 403 page."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from ledgerbridge.services.access.principal import require_role
from ledgerbridge.services.companies import CompanyRef
from ledgerbridge.services.errors import Forbidden, InvalidRequest
from ledgerbridge.web.pages.common import Viewer, render, viewer


class AdminOnly(Exception):
    """A page for admins was asked for by someone else: answered with ``forbidden.html``."""

    def __init__(self, who: Viewer) -> None:
        super().__init__("this page needs the admin role")
        self.who = who


def admin_viewer(request: Request) -> tuple[Viewer, CompanyRef]:
    """The signed-in admin and the company; ``SignInFirst`` or ``AdminOnly`` otherwise."""
    who = viewer(request)
    try:
        return who, require_role(who.principal, "admin")
    except (Forbidden, InvalidRequest) as error:
        raise AdminOnly(who) from error


async def admin_only_page(request: Request, error: Exception) -> HTMLResponse:
    who = error.who if isinstance(error, AdminOnly) else None
    return render(request, "forbidden.html", who, 403)
