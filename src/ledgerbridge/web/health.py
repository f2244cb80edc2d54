"""``/health`` and ``/ready`` for load balancers and orchestrators (no sign-in).

``/health`` says the process answers, and touches nothing else. ``/ready`` says this
node can serve: the database answers, its schema is at this code's newest migration,
and the receipt store takes files; else 503 naming each check that is not ``ok``.
The answers name what is wrong in a few words, never a host, a URL or a credential.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ledgerbridge import __version__
from ledgerbridge.bootstrap import Container

router = APIRouter(tags=["system"])
NO_STORE = {"Cache-Control": "no-store"}


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    version: str


class Readiness(BaseModel):
    status: Literal["ready", "not ready"]
    checks: dict[str, str] = Field(
        description="database, migrations, receipts: each `ok` or what is wrong",
        examples=[{"database": "ok", "migrations": "behind: 0021 < 0022", "receipts": "ok"}],
    )


@router.get("/health", summary="The process is up (no database call)", response_model=Health)
def health() -> JSONResponse:
    return JSONResponse(Health(version=__version__).model_dump(), headers=NO_STORE)


@router.get(
    "/ready",
    summary="This node can serve: database, migrations and receipt store",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "Not ready: the checks say why"}},
)
def ready(request: Request) -> JSONResponse:
    container: Container = request.app.state.container
    checks = container.readiness()
    ok = all(answer == "ok" for answer in checks.values())
    body = Readiness(status="ready" if ok else "not ready", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503, headers=NO_STORE)
