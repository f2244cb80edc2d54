"""Text the API accepts: JSON bodies in valid Unicode, parameters that can be kept.

JSON may spell an unpaired UTF-16 surrogate (``"\\ud800"``) or a number too
large for a float (``1e400``); Python decodes them into values that can be
neither stored nor echoed back in an error answer. ``StrictJsonRoute`` refuses
such a body with a 422 naming the place (``["body", "attributes", "note"]``)
before any model sees it. ``KeepableText`` refuses a query or path parameter
PostgreSQL cannot hold (a NUL character) with a 422 naming the parameter.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import HTTPException, Request, Response
from fastapi.routing import APIRoute
from pydantic import AfterValidator

from ledgerbridge.domain.text import Location, json_problem, surrogate_problem, text_problem


def invalid_text_at(value: Any) -> tuple[Location, str] | None:
    """Where decoded JSON ``value`` holds text or a number no answer could echo, and why."""
    return json_problem(value, surrogate_problem)


def keepable(text: str) -> str:
    """``text`` unchanged; ``ValueError`` (a 422 naming the field) when it cannot be kept."""
    if problem := text_problem(text):
        raise ValueError(problem)
    return text


KeepableText = Annotated[str, AfterValidator(keepable)]


class _StrictJsonRequest(Request):
    async def json(self) -> Any:
        data = await super().json()
        if found := invalid_text_at(data):
            location, problem = found
            raise HTTPException(
                422, [{"type": "invalid_text", "loc": ["body", *location], "msg": problem}]
            )
        return data


class StrictJsonRoute(APIRoute):
    """A route whose JSON body is refused (422) when it holds invalid text or numbers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict_handler(request: Request) -> Response:
            return await handler(_StrictJsonRequest(request.scope, request.receive))

        return strict_handler
