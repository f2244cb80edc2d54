"""Dimensions: list (with source, locked, last sync), local edits, Sync now, sync runs.

Exact-sourced values are locked: POST/PUT/DELETE on one answers 409 "managed in
Exact Online"; local values can be kept by hand until the company connects.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response
from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from ledgerbridge.bootstrap import Container
from ledgerbridge.domain.dimension_facts import DimensionFacts, VatRate
from ledgerbridge.domain.dimensions import Dimension, DimensionKind, DimensionSource
from ledgerbridge.domain.text import json_problem, text_problem
from ledgerbridge.services.dimensions import editing
from ledgerbridge.services.dimensions.requests import request_sync
from ledgerbridge.services.dimensions.sync import preview_replacement
from ledgerbridge.web.deps import CurrentCompany, container, current_actor, current_company
from ledgerbridge.web.text_input import KeepableText, StrictJsonRoute, keepable

router = APIRouter(prefix="/api/v1/dimensions", tags=["dimensions"], route_class=StrictJsonRoute)
# A large administration has tens of thousands of suppliers: lists come in pages.
PAGE_SIZE, MAX_PAGE_SIZE = 200, 1000
# Sync run ids are PostgreSQL bigints; a larger id names no run.
MAX_RUN_ID = 2**63 - 1


class DimensionIn(BaseModel):
    """A local value; code and name are trimmed before their lengths are checked."""

    kind: DimensionKind
    code: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
        AfterValidator(keepable),
    ]
    name: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=255),
        AfterValidator(keepable),
    ]
    blocked: bool = False
    valid_from: date | None = None
    valid_until: date | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)

    @field_validator("attributes")
    @classmethod
    def _storable_attributes(cls, attributes: dict[str, Any]) -> dict[str, Any]:
        if found := json_problem(attributes, text_problem):
            where = ".".join(str(part) for part in ("attributes", *found[0]))
            raise ValueError(f"{where} {found[1]}")
        if attributes:
            raise ValueError(
                "attributes must be empty: a local value carries no Exact facts (GL type, "
                "VAT rates…); they arrive with Exact Online's dimensions on connect"
            )
        return attributes

    @model_validator(mode="after")
    def _valid_from_before_until(self) -> DimensionIn:
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValueError(
                f"valid_until {self.valid_until} is before valid_from {self.valid_from}"
            )
        return self

    def to_dimension(self) -> Dimension:
        return Dimension(
            kind=self.kind,
            code=self.code.strip(),
            name=self.name.strip(),
            blocked=self.blocked,
            valid_from=self.valid_from,
            valid_until=self.valid_until,
        )


class SyncIn(BaseModel):
    full: bool = False


def dimension_json(d: Dimension) -> dict[str, Any]:
    return {
        "kind": d.kind.value,
        "code": d.code,
        "name": d.name,
        "source": d.source.value,
        "locked": d.locked,
        "exact_id": d.exact_id,
        "blocked": d.blocked,
        "valid_from": d.valid_from,
        "valid_until": d.valid_until,
        "attributes": _facts_json(d.facts),
        "synced_at": d.synced_at,
    }


def _facts_json(facts: DimensionFacts | None) -> dict[str, Any]:
    """Exact's facts of a value, in the layout the API has always shown."""
    return {} if facts is None else {f.name: _plain(getattr(facts, f.name)) for f in fields(facts)}


def _plain(value: object) -> object:
    if isinstance(value, VatRate):
        return {"percentage": str(value.fraction), "start": value.start, "end": value.end}
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    return str(value) if isinstance(value, Decimal) else value


def run_json(run: editing.SyncRunView, *, full: bool = False) -> dict[str, Any]:
    found = {
        "id": run.id,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "mode": run.mode,
        "status": run.status,
        "lines": (run.summary or {}).get("lines", []),
        "api_calls": run.api_calls,
        "error": run.error,
        "flagged_count": len(run.flagged_transactions or []),
    }
    if full:
        found |= {"summary": run.summary, "flagged_transactions": run.flagged_transactions}
    return found


@router.get("")
def list_dimensions(
    kind: DimensionKind | None = Query(default=None),
    source: DimensionSource | None = Query(default=None),
    blocked: bool | None = Query(default=None),
    q: KeepableText | None = Query(
        default=None, max_length=100, description="Part of code or name."
    ),
    after: KeepableText | None = Query(
        default=None, description="The `next_after` of the last page."
    ),
    limit: int = Query(default=PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),
    company: CurrentCompany = Depends(current_company),
    app: Container = Depends(container),
) -> dict[str, Any]:
    """One page of the company's dimensions by kind and code, and the last successful sync.

    ``next_after`` is the cursor of the next page (``None`` on the last one); pass it
    back as ``after`` with the same filters.
    """
    filters = editing.DimensionFilter(kind=kind, source=source, blocked=blocked, search=q)
    page = editing.list_dimensions(app.uow, company.id, filters, after=_cursor(after), limit=limit)
    return {
        "items": [dimension_json(d) for d in page.items],
        "next_after": _next_after(page.items) if page.more else None,
        "last_sync": run_json(page.last_sync) if page.last_sync is not None else None,
    }


def _cursor(after: str | None) -> tuple[DimensionKind, str] | None:
    """``kind:code`` → (kind, code); 422 when it is not one."""
    if after is None:
        return None
    kind, _, code = after.partition(":")
    if kind not in {k.value for k in DimensionKind} or not code:
        raise HTTPException(422, f"after must be a next_after cursor, not {after!r}")
    return DimensionKind(kind), code


def _next_after(items: list[Dimension]) -> str:
    return f"{items[-1].kind.value}:{items[-1].code}"


@router.post("", status_code=201)
def create_dimension(
    body: DimensionIn,
    company: CurrentCompany = Depends(current_company),
    actor: str = Depends(current_actor),
    app: Container = Depends(container),
) -> dict[str, Any]:
    """Add a local value; 409 when Exact manages it (or all values, while connected)."""
    saved = editing.create_local(app.uow, company.id, body.to_dimension(), actor)
    return dimension_json(saved)


@router.put("/{kind}/{code}")
def update_dimension(
    kind: DimensionKind,
    code: KeepableText,
    body: DimensionIn,
    company: CurrentCompany = Depends(current_company),
    actor: str = Depends(current_actor),
    app: Container = Depends(container),
) -> dict[str, Any]:
    """Change a local value; 409 for Exact-sourced values; 404 when unknown."""
    if (body.kind, body.code.strip()) != (kind, code):
        raise HTTPException(422, "kind and code in the body must match the URL")
    saved = editing.update_local(app.uow, company.id, body.to_dimension(), actor)
    return dimension_json(saved)


@router.delete("/{kind}/{code}", status_code=204)
def delete_dimension(
    kind: DimensionKind,
    code: KeepableText,
    company: CurrentCompany = Depends(current_company),
    actor: str = Depends(current_actor),
    app: Container = Depends(container),
) -> Response:
    """Delete a local value; 409 for Exact-sourced values; 404 when unknown."""
    editing.delete_local(app.uow, company.id, kind, code, actor)
    return Response(status_code=204)


@router.post("/sync", status_code=202)
def sync_now(
    body: SyncIn | None = None,
    company: CurrentCompany = Depends(current_company),
    app: Container = Depends(container),
) -> dict[str, Any]:
    """Sync now: queue a sync (incremental unless ``full``); 409 when not connected."""
    full = body.full if body is not None else False
    queued = request_sync(app.uow, app.queue, company.id, full=full)
    return {"queued": queued.job_id is not None, "job_id": queued.job_id, "full": full}


@router.get("/replacement-preview")
def replacement_preview(
    company: CurrentCompany = Depends(current_company),
    app: Container = Depends(container),
) -> dict[str, Any]:
    """What connecting will replace: local values and the open transactions using them."""
    preview = preview_replacement(app.uow, company.id)
    return {
        "message": preview.message,
        "confirmation_required": bool(preview.local_dimensions),
        "local_dimensions": [dimension_json(d) for d in preview.local_dimensions],
        "transactions": sorted({str(u.transaction_id) for u in preview.transactions}),
    }


@router.get("/sync-runs")
def sync_runs(
    limit: int = Query(default=50, ge=1, le=500),
    company: CurrentCompany = Depends(current_company),
    app: Container = Depends(container),
) -> list[dict[str, Any]]:
    """The latest sync runs, newest first, with their summary lines."""
    return [run_json(r) for r in editing.sync_runs(app.uow, company.id, limit)]


@router.get("/sync-runs/{run_id}")
def sync_run(
    run_id: int = Path(ge=1, le=MAX_RUN_ID),
    company: CurrentCompany = Depends(current_company),
    app: Container = Depends(container),
) -> dict[str, Any]:
    """One run in full: summary, changed values and flagged transactions."""
    run = editing.sync_run(app.uow, company.id, run_id)
    if run is None:
        raise HTTPException(404, f"no sync run {run_id}")
    return run_json(run, full=True)
