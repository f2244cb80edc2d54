"""Prep API: code a transaction, mark transactions ready, reopen them, choose the period
(bookkeeper or admin).

Thin: the rules live in ``services.prep.coding``. A selection that cannot be changed
as a whole answers ``422`` with ``errors`` per transaction and changes nothing.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field, model_validator

from ledgerbridge.bootstrap import Container
from ledgerbridge.domain.export_status import ExportStatus
from ledgerbridge.services.dimensions import upkeep
from ledgerbridge.services.prep import coding
from ledgerbridge.services.transactions.query import TransactionFilter
from ledgerbridge.web.deps import CurrentCompany, container, current_actor, current_company
from ledgerbridge.web.text_input import StrictJsonRoute


def in_prep(
    company: CurrentCompany = Depends(current_company), app: Container = Depends(container)
) -> None:
    """Working in prep keeps dimension polling quick for a while (``domain.upkeep``)."""
    upkeep.note_prep_activity(app.uow, company.id, app.now)


router = APIRouter(
    prefix="/api/v1/transactions",
    tags=["prep"],
    route_class=StrictJsonRoute,
    dependencies=[Depends(in_prep)],
)
CODE = Field(default=None, max_length=64)


class LineBody(BaseModel):
    """One coding line; ``amount`` is the gross part, signed like the transaction."""

    gl_account: str = Field(min_length=1, max_length=64)
    amount: Decimal = Field(max_digits=18, decimal_places=2)
    vat_code: str | None = CODE
    cost_center: str | None = CODE
    cost_unit: str | None = CODE
    project: str | None = CODE
    description: str = Field(default="", max_length=255)


class CodingBody(BaseModel):
    lines: list[LineBody] = Field(min_length=1, max_length=100)
    note: str | None = Field(default=None, max_length=coding.NOTE_MAX)


class FilterBody(BaseModel):
    """The list's filters: "all N matching this filter" (amounts signed, money out < 0)."""

    status: ExportStatus | None = None
    date_from: date | None = None
    date_to: date | None = None
    merchant: str | None = Field(default=None, max_length=255)
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    has_receipt: bool | None = None


class SelectionBody(BaseModel):
    """Either ``ids`` or ``filter`` (all transactions matching it)."""

    ids: list[uuid.UUID] | None = Field(default=None, min_length=1, max_length=coding.MAX_SELECTION)
    filter: FilterBody | None = None

    @model_validator(mode="after")
    def _one_of(self) -> SelectionBody:
        if (self.ids is None) == (self.filter is None):
            raise ValueError("send either ids or filter")
        return self

    def resolve(self, app: Container, company: CurrentCompany) -> list[uuid.UUID]:
        if self.ids is not None:
            return self.ids
        assert self.filter is not None
        filters = TransactionFilter(**self.filter.model_dump())
        return coding.matching_ids(app.uow, company.id, filters)


class AssignBody(SelectionBody):
    values: dict[str, str | None] = Field(
        description="any of " + ", ".join(coding.ASSIGNABLE) + "; null clears a value"
    )


def problem_json(problem: coding.Problem) -> dict[str, Any]:
    return {
        "line": problem.line or None,
        "field": problem.field,
        "code": problem.code,
        "message": problem.message,
    }


@router.put("/{transaction_id}/coding", summary="Set the coding lines (and note) of one")
def put_coding(
    transaction_id: uuid.UUID,
    body: CodingBody,
    company: CurrentCompany = Depends(current_company),
    actor: str = Depends(current_actor),
    app: Container = Depends(container),
) -> dict[str, Any]:
    """Stores the lines when they add up and use synced codes (else 400/422, nothing
    saved); answers the rule engine's ``problems``, each beside its line and field."""
    lines = [coding.LineInput(**line.model_dump()) for line in body.lines]
    outcome = coding.code_transaction(
        app.uow, company.id, transaction_id, lines, note=body.note, actor=actor
    )
    return {
        "id": str(outcome.transaction_id),
        "status": outcome.status,
        "problems": [problem_json(p) for p in outcome.problems],
    }


class PeriodChoiceBody(BaseModel):
    post_in_first_open_period: bool = Field(
        description="true: post in the first open period, the date's period being closed; "
        "false: post in the date's own period (always allowed)"
    )


@router.put(
    "/{transaction_id}/period-choice",
    summary="Post one in the first open period when its date's period is closed (or not)",
)
def put_period_choice(
    transaction_id: uuid.UUID,
    body: PeriodChoiceBody,
    company: CurrentCompany = Depends(current_company),
    actor: str = Depends(current_actor),
    app: Container = Depends(container),
) -> dict[str, Any]:
    """Only while the coding may change (*to prepare*, *ready*; else ``409``). Choosing
    needs the date's period known closed in Exact Online (learned when Exact refused a
    posting) and a later period open, else ``422`` with the reason in ``errors``.
    Turning it off is always allowed; a *ready* one whose period is closed then goes
    back to *to prepare*. Answers the status and the rule engine's ``problems``;
    audited from → to (``transaction.period_choice``)."""
    outcome = coding.set_period_choice(
        app.uow, company.id, transaction_id, body.post_in_first_open_period, actor=actor
    )
    return {
        "id": str(outcome.transaction_id),
        "status": outcome.status,
        "post_in_first_open_period": outcome.chosen,
        "problems": [problem_json(p) for p in outcome.problems],
    }


@router.post("/mark-ready", summary="Mark transactions ready to export (judged one by one)")
def post_mark_ready(
    body: SelectionBody,
    company: CurrentCompany = Depends(current_company),
    actor: str = Depends(current_actor),
    app: Container = Depends(container),
) -> dict[str, Any]:
    """Bookable ones become ``ready``; the others stay with their ``problems``."""
    outcomes = coding.mark_ready(app.uow, company.id, body.resolve(app, company), actor=actor)
    return {
        "ready": sum(1 for o in outcomes if o.ready),
        "kept_back": sum(1 for o in outcomes if not o.ready),
        "results": [
            {
                "id": str(o.transaction_id),
                "ready": o.ready,
                "status": o.status,
                "problems": [problem_json(p) for p in o.problems],
            }
            for o in outcomes
        ],
    }


@router.post("/reopen", summary="Take ready (or failed) transactions back to prepare")
def post_reopen(
    body: SelectionBody,
    company: CurrentCompany = Depends(current_company),
    actor: str = Depends(current_actor),
    app: Container = Depends(container),
) -> dict[str, Any]:
    moved = coding.reopen(app.uow, company.id, body.resolve(app, company), actor=actor)
    return {"reopened": [str(txn_id) for txn_id in moved]}


@router.post("/assign", summary="Assign pre-accounting values to a selection (all or nothing)")
def post_assign(
    body: AssignBody,
    company: CurrentCompany = Depends(current_company),
    actor: str = Depends(current_actor),
    app: Container = Depends(container),
) -> dict[str, Any]:
    """Every line of every selected transaction gets ``values``; answers per transaction
    its status and the rule engine's ``problems``. Refused whole (422) when any cannot."""
    ids = body.resolve(app, company)
    outcomes = coding.assign(app.uow, company.id, ids, body.values, actor=actor)
    return {
        "assigned": len(outcomes),
        "with_problems": sum(1 for o in outcomes if o.problems),
        "results": [
            {
                "id": str(o.transaction_id),
                "status": o.status,
                "problems": [problem_json(p) for p in o.problems],
            }
            for o in outcomes
        ],
    }
