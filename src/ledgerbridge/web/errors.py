"""The one table that turns service and Exact errors into HTTP answers.

Services raise errors named by meaning (``services.errors``); the client raises
``ExactError``s. Routes let them pass; the handlers below answer with the status
of the first matching class (most specific first) and the error's own message
as ``detail``.
"""

from __future__ import annotations

import math

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ledgerbridge.exact.errors import ExactAuthLost, ExactError
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


async def _answer(request: Request, error: Exception) -> JSONResponse:
    status = status_for(error)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    if isinstance(error, errors.SignInLocked):
        wait = (error.until - request.app.state.container.now()).total_seconds()
        headers["Retry-After"] = str(max(1, math.ceil(wait)))
    body: dict[str, object] = {"detail": detail_for(error)}
    if isinstance(error, errors.ItemsRefused):
        body["errors"] = error.items
    return JSONResponse(body, status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    for kind in (errors.ServiceError, ExactError):
        app.add_exception_handler(kind, _answer)
