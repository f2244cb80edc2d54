"""Rules API: coding rules (viewer reads; bookkeeper and admin change) and suggestions.

Thin: the rules live in ``services.prep.rules`` and ``services.prep.suggestions``. A rule
that cannot be saved answers ``422`` with ``errors`` per field and saves nothing.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from ledgerbridge.bootstrap import Container
from ledgerbridge.domain.rules import ASSIGNABLE, Rule, explain
from ledgerbridge.services.prep import rules, suggestions
from ledgerbridge.web.deps import CurrentCompany, container, current_actor, current_company
from ledgerbridge.web.text_input import StrictJsonRoute

router = APIRouter(prefix="/api/v1", tags=["rules"], route_class=StrictJsonRoute)


class ConditionBody(BaseModel):
    """``field`` (merchant, mcc, cardholder, description) ``match`` (equals, contains,
    starts_with) ``value``; the MCC takes ``values`` (equals one of them)."""

    field: str = Field(max_length=32)
    match: str = Field(default="equals", max_length=32)
    value: str | None = Field(default=None, max_length=255)
    values: list[str] | None = Field(default=None, max_length=100)


class RuleBody(BaseModel):
    name: str = Field(max_length=120)
    conditions: list[ConditionBody] = Field(max_length=20)
    assignment: dict[str, str | None] = Field(
        description="any of " + ", ".join(ASSIGNABLE) + " (at least one)"
    )
    enabled: bool = True

    def data(self) -> rules.RuleInput:
        conditions = [
            {"field": c.field, "match": c.match, "values": c.values if c.values else c.value or ""}
            for c in self.conditions
        ]
        return rules.RuleInput(self.name, conditions, self.assignment, self.enabled)


class MoveBody(BaseModel):
    direction: Literal["up", "down"]


class ApplyBody(BaseModel):
    rule_ids: list[uuid.UUID] | None = Field(default=None, max_length=rules.MAX_RULES)


def rule_json(rule: Rule, matches: int | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {
        "id": str(rule.id),
        "position": rule.position,
        "name": rule.name,
        "enabled": rule.enabled,
        "conditions": [c.as_json() for c in rule.conditions],
        "assignment": dict(rule.assignment),
        "explanation": explain(rule),
    }
    if matches is not None:
        found["matches_to_prepare"] = matches
    return found


@router.get("/rules", summary="The company's coding rules, in order")
def get_rules(
    company: CurrentCompany = Depends(current_company), app: Container = Depends(container)
) -> dict[str, Any]:
    views = rules.list_rules(app.uow, company.id)
    return {"rules": [rule_json(v.rule, v.matches_to_prepare) for v in views]}


@router.post("/rules", status_code=201, summary="Add a rule at the end of the order")
def post_rule(
    body: RuleBody,
    company: CurrentCompany = Depends(current_company),
    actor: str = Depends(current_actor),
    app: Container = Depends(container),
) -> dict[str, Any]:
    return rule_json(rules.create_rule(app.uow, company.id, body.data(), actor=actor))


@router.put("/rules/{rule_id}", summary="Change a rule")
def put_rule(
    rule_id: uuid.UUID,
    body: RuleBody,
    company: CurrentCompany = Depends(current_company),
    actor: str = Depends(current_actor),
    app: Container = Depends(container),
) -> dict[str, Any]:
    return rule_json(rules.update_rule(app.uow, company.id, rule_id, body.data(), actor=actor))


@router.delete("/rules/{rule_id}", status_code=204, summary="Delete a rule")
def delete_rule(
    rule_id: uuid.UUID,
    company: CurrentCompany = Depends(current_company),
    actor: str = Depends(current_actor),
    app: Container = Depends(container),
) -> None:
    rules.delete_rule(app.uow, company.id, rule_id, actor=actor)


@router.post("/rules/{rule_id}/move", summary="Move a rule up or down the order")
def post_move(
    rule_id: uuid.UUID,
    body: MoveBody,
    company: CurrentCompany = Depends(current_company),
    actor: str = Depends(current_actor),
    app: Container = Depends(container),
) -> dict[str, Any]:
    order = rules.move_rule(app.uow, company.id, rule_id, body.direction, actor=actor)
    return {"order": [str(rule_id) for rule_id in order]}


@router.post("/rules/apply", summary="Apply rules to transactions still to prepare")
def post_apply(
    body: ApplyBody,
    company: CurrentCompany = Depends(current_company),
    actor: str = Depends(current_actor),
    app: Container = Depends(container),
) -> dict[str, Any]:
    """Only transactions still *to prepare* and not coded by hand; the count per rule."""
    applied = rules.apply_retroactively(app.uow, company.id, actor, body.rule_ids)
    return {
        "applied": sum(a.count for a in applied),
        "rules": [{"id": str(a.rule_id), "name": a.name, "count": a.count} for a in applied],
    }


@router.get(
    "/transactions/{transaction_id}/suggestions",
    summary="A coding suggested by the company's own history (never applied by itself)",
)
def get_suggestions(
    transaction_id: uuid.UUID,
    company: CurrentCompany = Depends(current_company),
    app: Container = Depends(container),
) -> dict[str, Any]:
    found = suggestions.suggestions_for(app.uow, company.id, transaction_id)
    suggestion = found.suggestion
    return {
        "transaction_id": str(found.transaction_id),
        "rule": {"id": str(found.rule_id), "name": found.rule_name} if found.rule_id else None,
        "suggestions": []
        if suggestion is None
        else [
            {
                "gl_account": suggestion.gl_account,
                "vat_code": suggestion.vat_code,
                "cost_center": suggestion.cost_center,
                "agreed": suggestion.agreed,
                "count": suggestion.count,
                "reason": suggestion.reason,
            }
        ],
    }
