"""What every page shares: the templates, who is signed in, the CSRF check of forms."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from ledgerbridge.bootstrap import Container
from ledgerbridge.services.access import secrets, signin
from ledgerbridge.services.access.principal import Principal, at_least
from ledgerbridge.services.errors import Forbidden, NotAuthenticated
from ledgerbridge.web.deps import SESSION_COOKIE

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent.parent / "templates")
TEMPLATES.env.filters["first_upper"] = lambda text: str(text)[:1].upper() + str(text)[1:]
STATIC_DIR = Path(__file__).parent.parent / "static"
CSRF_FIELD = "csrf_token"


class SignInFirst(Exception):
    """A page was asked for without a valid session: answered with a redirect to /login."""


@dataclass(frozen=True)
class Viewer:
    """The signed-in user of a page, with the memberships for the company switcher."""

    principal: Principal
    memberships: list[tuple[Any, str]]

    @property
    def is_admin(self) -> bool:
        return at_least(self.principal.role, "admin")

    @property
    def can_change(self) -> bool:
        return at_least(self.principal.role, "bookkeeper")


def container(request: Request) -> Container:
    found: Container = request.app.state.container
    return found


def viewer(request: Request) -> Viewer:
    """The session's user; ``SignInFirst`` without one (a page redirects, never 401s)."""
    app = container(request)
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise SignInFirst
    try:
        principal = signin.session_principal(app.uow, app.now, token)
    except NotAuthenticated as error:
        raise SignInFirst from error
    found = signin.me(app.uow, principal)
    return Viewer(principal, found.memberships)


def check_csrf(request: Request, who: Viewer, sent: str) -> None:
    """A posted form's CSRF token (hidden field, else the htmx header) must be the session's.

    Page handlers are plain ``def`` (run in the thread pool): the services they call
    block, and the in-process sandbox is served by the same event loop.
    """
    sent = sent or request.headers.get("X-CSRF-Token", "")
    expected = who.principal.csrf_token
    if not sent or expected is None or not secrets.same(sent, expected):
        raise Forbidden("the form's security token is missing or out of date; reload the page")


def render(
    request: Request, template: str, who: Viewer | None, status: int = 200, **context: Any
) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(
        request, template, {"who": who, **context}, status_code=status
    )


def back_to(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)
