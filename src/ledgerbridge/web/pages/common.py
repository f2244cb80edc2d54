"""What every page shares: the templates, who is signed in, the CSRF check of forms."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from ledgerbridge import logs
from ledgerbridge.bootstrap import Container
from ledgerbridge.i18n import N_, Formats, choose_language, message_of, translate, translations
from ledgerbridge.services.access import secrets, signin
from ledgerbridge.services.access.principal import Principal, at_least
from ledgerbridge.services.errors import Forbidden, NotAuthenticated
from ledgerbridge.web.deps import SESSION_COOKIE

TEMPLATES = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent.parent / "templates"),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
    )
)
TEMPLATES.env.filters["first_upper"] = lambda text: str(text)[:1].upper() + str(text)[1:]
TEMPLATES.env.newstyle_gettext = True  # type: ignore[attr-defined]  # set by jinja2.ext.i18n
STATIC_DIR = Path(__file__).parent.parent / "static"
CSRF_FIELD = "csrf_token"
# The roles as the header names them (shown through ``tr``: a msgid look-up).
ROLE_LABELS = (N_("admin"), N_("bookkeeper"), N_("viewer"))


class SignInFirst(Exception):
    """A page was asked for without a valid session: answered with a redirect to /login."""


@dataclass(frozen=True)
class Viewer:
    """The signed-in user of a page, with the memberships for the company switcher."""

    principal: Principal
    memberships: list[tuple[Any, str]]
    language: str | None = None  # the user's choice; None follows the browser

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
    if principal.company is not None:
        logs.note(company=principal.company.id)
    found = signin.me(app.uow, principal)
    return Viewer(principal, found.memberships, found.language)


def check_csrf(request: Request, who: Viewer, sent: str) -> None:
    """A posted form's CSRF token (hidden field, else the htmx header) must be the session's.

    Page handlers are plain ``def`` (run in the thread pool): the services they call
    block, and the in-process sandbox is served by the same event loop.
    """
    sent = sent or request.headers.get("X-CSRF-Token", "")
    expected = who.principal.csrf_token
    if not sent or expected is None or not secrets.same(sent, expected):
        raise Forbidden(N_("the form's security token is missing or out of date; reload the page"))


def page_gettext(lang: str) -> tuple[Callable[..., Markup], Callable[..., Markup]]:
    """``gettext``/``ngettext`` for templates, new style: ``_("Hello %(name)s", name=who)``.

    The translation is ours (trusted); the values put into it are escaped.
    """
    catalogue = translations(lang)

    def gettext(message: str, **values: Any) -> Markup:
        return (
            Markup(catalogue.gettext(message)) % values
            if values
            else Markup(catalogue.gettext(message))
        )

    def ngettext(singular: str, plural: str, num: int, **values: Any) -> Markup:
        values.setdefault("num", num)
        return Markup(catalogue.ngettext(singular, plural, num)) % values

    return gettext, ngettext


def language(request: Request, who: Viewer | None) -> str:
    """The reader's language: the user's own choice, else the browser's."""
    preferred = getattr(who, "language", None) if who else None
    return choose_language(preferred, request.headers.get("accept-language"))


def render(
    request: Request, template: str, who: Viewer | None, status: int = 200, **context: Any
) -> HTMLResponse:
    """``template`` in the reader's language: ``_``/``gettext``/``ngettext`` and ``{% trans %}``
    translate, ``fmt`` (``ledgerbridge.i18n.Formats``) formats money, numbers and dates,
    ``tr(text)`` translates a text from a service (``ledgerbridge.i18n.translate``)."""
    lang = language(request, who)
    gettext, ngettext = page_gettext(lang)
    tools = {"lang": lang, "fmt": Formats(lang), "gettext": gettext, "_": gettext}
    tools["ngettext"] = ngettext
    tools["tr"] = lambda text: translate(text, lang)
    return TEMPLATES.TemplateResponse(
        request, template, {"who": who, **tools, **context}, status_code=status
    )


# What a page shows for a service's error: its message, kept translatable.
problem_of = message_of


def back_to(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)
