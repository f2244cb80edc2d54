"""Bookkeeping › Rules: the company's coding rules in order, and suggestions in the drawer.

- ``/rules``: each rule in plain words with how many *to prepare* transactions it matches
  now; add and edit (conditions with their match type, assignment with pickers of the
  synced codes: type a code or a name), delete after a confirmation, move up / down, and
  "Apply to transactions still to prepare" with its result per rule.
- ``/transactions/{id}/suggestions``: an HTML fragment (the drawer loads it with htmx, it
  also works on its own) with the suggestion from the merchant's history and its reason,
  a "Use this coding" button, and which rule coded the transaction, if one did.

Viewers read; bookkeepers and admins change (checked here, server-side). Every form
carries the CSRF token. Another company's rule or transaction answers 404.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from ledgerbridge.domain.rules import ConditionField, MatchType, Rule
from ledgerbridge.domain.wording import N_
from ledgerbridge.services.access.principal import require_role
from ledgerbridge.services.errors import ItemsRefused
from ledgerbridge.services.prep import rules, suggestions
from ledgerbridge.web.pages.common import (
    Viewer,
    back_to,
    check_csrf,
    container,
    problem_of,
    render,
    viewer,
)

router = APIRouter()
TEXT_FIELDS = (ConditionField.MERCHANT, ConditionField.CARDHOLDER, ConditionField.DESCRIPTION)
CODE_FIELDS = ("gl_account", "vat_code", "cost_center", "cost_unit", "project")
MATCH_NAMES = {
    MatchType.EQUALS.value: N_("is exactly"),
    MatchType.CONTAINS.value: N_("contains"),
    MatchType.STARTS_WITH.value: N_("starts with"),
}
NOTICES = {
    "created": N_("The rule was added."),
    "changed": N_("The rule was changed."),
    "deleted": N_("The rule was deleted."),
    "moved": N_("The order was changed."),
}


@dataclass
class RuleForm:
    """The add/edit form as sent (and shown again with its errors)."""

    name: str = ""
    matches: dict[str, str] = field(default_factory=dict)  # condition field -> match type
    values: dict[str, str] = field(default_factory=dict)  # condition field -> pattern
    assignment: dict[str, str] = field(default_factory=dict)
    enabled: bool = True

    @classmethod
    def sent(
        cls,
        name: str = Form(""),
        merchant_match: str = Form(""),
        merchant_value: str = Form(""),
        mcc_value: str = Form(""),
        cardholder_match: str = Form(""),
        cardholder_value: str = Form(""),
        description_match: str = Form(""),
        description_value: str = Form(""),
        gl_account: str = Form(""),
        vat_code: str = Form(""),
        cost_center: str = Form(""),
        cost_unit: str = Form(""),
        project: str = Form(""),
        line_description: str = Form(""),
        enabled: str = Form(""),
    ) -> RuleForm:
        return cls(
            name=name,
            matches={
                "merchant": merchant_match,
                "cardholder": cardholder_match,
                "description": description_match,
                "mcc": MatchType.EQUALS.value,
            },
            values={
                "merchant": merchant_value,
                "mcc": mcc_value,
                "cardholder": cardholder_value,
                "description": description_value,
            },
            assignment={
                "gl_account": gl_account,
                "vat_code": vat_code,
                "cost_center": cost_center,
                "cost_unit": cost_unit,
                "project": project,
                "description": line_description,
            },
            enabled=bool(enabled),
        )

    @classmethod
    def of(cls, rule: Rule) -> RuleForm:
        form = cls(name=rule.name, enabled=rule.enabled, assignment=dict(rule.assignment))
        for condition in rule.conditions:
            form.matches[condition.field.value] = condition.match.value
            form.values[condition.field.value] = ", ".join(condition.values)
        return form

    def used(self) -> list[str]:
        """The condition fields filled in, in the order they are sent."""
        return [f.value for f in ConditionField if self.values.get(f.value, "").strip()]

    def data(self) -> rules.RuleInput:
        conditions = [
            {
                "field": name,
                "match": self.matches.get(name) or MatchType.CONTAINS.value,
                "value": self.values[name],
            }
            for name in self.used()
        ]
        assignment: dict[str, str | None] = {k: v for k, v in self.assignment.items() if v}
        return rules.RuleInput(self.name, conditions, assignment, self.enabled)

    def errors_of(self, error: ItemsRefused) -> dict[str, list[str]]:
        """The refusal's reasons by form control (``conditions.2.value`` → the second
        condition filled in; ``assignment.vat_code`` → ``vat_code``)."""
        used = self.used()
        found: dict[str, list[str]] = {}
        for item in error.items:
            name = item.get("field", "")
            parts = name.split(".")
            control = "form"
            if parts[0] == "conditions" and len(parts) >= 2 and parts[1].isdigit():
                index = int(parts[1]) - 1
                control = used[index] if 0 <= index < len(used) else "conditions"
            elif parts[0] == "assignment" and len(parts) == 2:
                control = "line_description" if parts[1] == "description" else parts[1]
            elif parts[0] in ("name", "conditions", "assignment"):
                control = parts[0]
            found.setdefault(control, []).append(item.get("message", ""))
        return found


def _choices(request: Request, company_id: uuid.UUID) -> dict[str, list[tuple[str, str]]]:
    """The synced codes for the pickers, per assignable field (blocked ones left out)."""
    return rules.pickable_codes(container(request).uow, company_id)


def _page(
    request: Request,
    who: Viewer,
    company_id: uuid.UUID,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    app = container(request)
    context.setdefault("form", RuleForm())
    context.setdefault("errors", {})
    return render(
        request,
        "rules.html",
        who,
        status,
        active="rules",
        views=rules.list_rules(app.uow, company_id),
        choices=_choices(request, company_id) if who.can_change else {},
        match_names=MATCH_NAMES,
        text_fields=TEXT_FIELDS,
        **context,
    )


@router.get("/rules", response_model=None)
def rules_page(request: Request, notice: str = "") -> HTMLResponse:
    who = viewer(request)
    company = require_role(who.principal, "viewer")
    return _page(request, who, company.id, notice=NOTICES.get(notice))


@router.post("/rules", response_model=None)
def create(
    request: Request, csrf_token: str = Form(""), form: RuleForm = Depends(RuleForm.sent)
) -> Response:
    who = viewer(request)
    check_csrf(request, who, csrf_token)
    company = require_role(who.principal, "bookkeeper")
    app = container(request)
    try:
        rules.create_rule(app.uow, company.id, form.data(), actor=who.principal.actor)
    except ItemsRefused as error:
        return _page(
            request,
            who,
            company.id,
            422,
            form=form,
            errors=form.errors_of(error),
            problem=problem_of(error),
        )
    return back_to("/rules?notice=created")


@router.post("/rules/apply", response_model=None)
def apply(request: Request, csrf_token: str = Form("")) -> HTMLResponse:
    who = viewer(request)
    check_csrf(request, who, csrf_token)
    company = require_role(who.principal, "bookkeeper")
    app = container(request)
    applied = rules.apply_retroactively(app.uow, company.id, who.principal.actor)
    return _page(request, who, company.id, applied=applied)


@router.get("/rules/{rule_id}/edit", response_model=None)
def edit_form(request: Request, rule_id: uuid.UUID) -> HTMLResponse:
    who = viewer(request)
    company = require_role(who.principal, "bookkeeper")
    rule = rules.get_rule(container(request).uow, company.id, rule_id)
    return _edit(request, who, company.id, rule, RuleForm.of(rule))


def _edit(
    request: Request,
    who: Viewer,
    company_id: uuid.UUID,
    rule: Rule,
    form: RuleForm,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    return render(
        request,
        "rule_edit.html",
        who,
        status,
        active="rules",
        rule=rule,
        form=form,
        errors=context.pop("errors", {}),
        choices=_choices(request, company_id),
        match_names=MATCH_NAMES,
        text_fields=TEXT_FIELDS,
        **context,
    )


@router.post("/rules/{rule_id}/edit", response_model=None)
def update(
    request: Request,
    rule_id: uuid.UUID,
    csrf_token: str = Form(""),
    form: RuleForm = Depends(RuleForm.sent),
) -> Response:
    who = viewer(request)
    check_csrf(request, who, csrf_token)
    company = require_role(who.principal, "bookkeeper")
    app = container(request)
    rule = rules.get_rule(app.uow, company.id, rule_id)
    try:
        rules.update_rule(app.uow, company.id, rule_id, form.data(), actor=who.principal.actor)
    except ItemsRefused as error:
        errors = form.errors_of(error)
        return _edit(
            request, who, company.id, rule, form, 422, errors=errors, problem=problem_of(error)
        )
    return back_to("/rules?notice=changed")


@router.post("/rules/{rule_id}/move", response_model=None)
def move(
    request: Request, rule_id: uuid.UUID, csrf_token: str = Form(""), direction: str = Form("")
) -> Response:
    who = viewer(request)
    check_csrf(request, who, csrf_token)
    company = require_role(who.principal, "bookkeeper")
    app = container(request)
    rules.get_rule(app.uow, company.id, rule_id)
    rules.move_rule(app.uow, company.id, rule_id, direction, actor=who.principal.actor)
    return back_to("/rules?notice=moved")


@router.get("/rules/{rule_id}/delete", response_model=None)
def delete_confirm(request: Request, rule_id: uuid.UUID) -> HTMLResponse:
    who = viewer(request)
    company = require_role(who.principal, "bookkeeper")
    rule = rules.get_rule(container(request).uow, company.id, rule_id)
    return render(request, "rule_delete.html", who, active="rules", rule=rule)


@router.post("/rules/{rule_id}/delete", response_model=None)
def delete(request: Request, rule_id: uuid.UUID, csrf_token: str = Form("")) -> Response:
    who = viewer(request)
    check_csrf(request, who, csrf_token)
    company = require_role(who.principal, "bookkeeper")
    rules.delete_rule(container(request).uow, company.id, rule_id, actor=who.principal.actor)
    return back_to("/rules?notice=deleted")


# -- suggestions in the drawer -------------------------------------------------------------------


@router.get("/transactions/{transaction_id}/suggestions", response_model=None)
def suggestion_fragment(request: Request, transaction_id: uuid.UUID) -> HTMLResponse:
    who = viewer(request)
    company = require_role(who.principal, "viewer")
    found = suggestions.suggestions_for(container(request).uow, company.id, transaction_id)
    return render(request, "transaction_suggestions.html", who, found=found)


@router.post("/transactions/{transaction_id}/suggestions/use", response_model=None)
def use_suggestion(
    request: Request, transaction_id: uuid.UUID, csrf_token: str = Form("")
) -> Response:
    who = viewer(request)
    check_csrf(request, who, csrf_token)
    company = require_role(who.principal, "bookkeeper")
    app = container(request)
    suggestions.use_suggestion(app.uow, company.id, transaction_id, actor=who.principal.actor)
    target = f"/transactions/{transaction_id}"
    if request.headers.get("HX-Request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": target})
    return back_to(target)
