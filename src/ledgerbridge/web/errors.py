"""The one table that turns service and Exact errors into HTTP answers.

Services raise errors named by meaning (``services.errors``); the client raises
``ExactError``s. Routes let them pass; the handlers below answer with the status
of the first matching class (most specific first) and the error's own message
as ``detail``. A page request (see ``is_page_request``) gets the same status
and message as an HTML page (``error.html``) with a link back, never JSON.
"""

from __future__ import annotations

import contextlib
import math

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from ledgerbridge.domain.wording import N_
from ledgerbridge.exact.errors import ExactAuthLost, ExactError
from ledgerbridge.i18n import message_of
from ledgerbridge.services import errors

STATUS: tuple[tuple[type[Exception], int], ...] = (
    (errors.NotAuthenticated, 401),
    (errors.Forbidden, 403),
    (errors.SignInLocked, 429),
    (errors.Gone, 410),
    (errors.TooLarge, 413),
    (errors.UnsupportedContent, 415),
    (errors.ItemsRefused, 422),
    (errors.NotFoundError, 404),
    (errors.ConflictError, 409),
    (errors.InvalidRequest, 400),
    (errors.ConnectRefused, 400),
    (errors.CompanyNotChosen, 400),
    (ExactAuthLost, 409),
    (ExactError, 502),
    (errors.ServiceError, 400),
)


def status_for(error: Exception) -> int:
    return next(status for kind, status in STATUS if isinstance(error, kind))


def detail_for(error: Exception) -> str:
    if isinstance(error, ExactAuthLost):
        return f"Exact Online needs a new sign-in: {error.reason}"
    if isinstance(error, ExactError) and not isinstance(error, errors.ServiceError):
        return f"Exact Online: {error}"
    return str(error)


PAGES_PACKAGE = "ledgerbridge.web.pages"


def is_page_request(request: Request) -> bool:
    """A page's request (a handler in ``web.pages``, or a browser asking for HTML
    outside ``/api``) is answered in HTML; the JSON API keeps its JSON."""
    endpoint = request.scope.get("endpoint")
    if getattr(endpoint, "__module__", "").startswith(PAGES_PACKAGE + "."):
        return True
    asks_html = "text/html" in request.headers.get("accept", "")
    return asks_html and not request.url.path.startswith("/api/")


async def _answer(request: Request, error: Exception) -> Response:
    status, page = status_for(error), is_page_request(request)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 and not page else {}
    if isinstance(error, errors.SignInLocked):
        wait = (error.until - request.app.state.container.now()).total_seconds()
        headers["Retry-After"] = str(max(1, math.ceil(wait)))
    if page:
        shown = message_of(error) if isinstance(error, errors.ServiceError) else detail_for(error)
        answer = await run_in_threadpool(_page, request, status, shown)
        answer.headers.update(headers)
        return answer
    body: dict[str, object] = {"detail": detail_for(error)}
    if isinstance(error, errors.ItemsRefused):
        body["errors"] = error.items
    return JSONResponse(body, status_code=status, headers=headers)


# Where an error page links back to: the section the request was in (path prefix, name).
SECTIONS: tuple[tuple[str, str], ...] = (
    ("/transactions", N_("Back to Transactions")),
    ("/exports/history", N_("Back to the export history")),
    ("/exports", N_("Back to the export queue")),
    ("/rules", N_("Back to Rules")),
    ("/dimensions", N_("Back to Dimensions")),
    ("/team", N_("Back to Team")),
    ("/audit", N_("Back to the audit log")),
    ("/", N_("Back to Integrations")),
)


def _page(request: Request, status: int, message: str) -> Response:
    """The error as a page; the header shows the signed-in user when there is one."""
    from ledgerbridge.web.pages.common import SignInFirst, render, viewer  # pages import us

    who = None
    with contextlib.suppress(SignInFirst, errors.ServiceError):
        who = viewer(request)
    section = next((s for s in SECTIONS if request.url.path.startswith(s[0])), SECTIONS[-1])
    return render(request, "error.html", who, status, problem=message, back=section)


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    for kind in (errors.ServiceError, ExactError):
        app.add_exception_handler(kind, _answer)
