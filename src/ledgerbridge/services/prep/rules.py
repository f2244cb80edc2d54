"""Use cases of coding rules: keep them (create, change, delete, reorder) and apply them.

- Every saved rule is checked: a well-formed rule (``domain.rules.make_rule``) whose
  codes exist in the synced dimensions and are not blocked (another company's code
  "does not exist"), and that matches some but not all of the company's transactions
  ("a rule that matches nothing or everything" is refused, with the count).
- ``apply_to_new`` runs inside the unit of work that stored new transactions (intake,
  CSV import), so the import stays atomic; ``apply_retroactively`` codes existing
  transactions still *to prepare* that were not coded by hand. Both are set-based
  (``RuleRepository.apply``) and write one ``rule.applied`` audit row per rule.
- Coding by hand (``coding.code_transaction``, ``coding.assign``) clears ``rule_id``.

Each change writes an audit row (``rule.created``/``changed``/``deleted``/``moved``).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from ledgerbridge.db.repositories.errors import NotFound
from ledgerbridge.db.repositories.rules import Coded, rule_json, to_rule
from ledgerbridge.domain.coding import CodingLine
from ledgerbridge.domain.dimensions import DimensionKind
from ledgerbridge.domain.export_status import ExportStatus
from ledgerbridge.domain.money import Money
from ledgerbridge.domain.rules import InvalidRule, Rule, explain, make_rule
from ledgerbridge.domain.transactions import BANK_ONLY_KINDS
from ledgerbridge.domain.validation import LINE_FIELDS, coding_problems, lookup_in
from ledgerbridge.domain.wording import N_, Phrase
from ledgerbridge.services.errors import InvalidRequest, ItemsRefused, NotFoundError
from ledgerbridge.services.ports import UnitOfWork, UnitOfWorkFactory

KINDS = {
    "gl_account": DimensionKind.GL_ACCOUNT,
    "vat_code": DimensionKind.VAT_CODE,
    "cost_center": DimensionKind.COST_CENTER,
    "cost_unit": DimensionKind.COST_UNIT,
    "project": DimensionKind.PROJECT,
}
MAX_RULES = 500


@dataclass(frozen=True, slots=True)
class RuleInput:
    """A rule as a user sends it: conditions ``{"field", "match", "value"/"values"}``."""

    name: str
    conditions: Sequence[dict[str, Any]]
    assignment: dict[str, str | None]
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class RuleView:
    """A rule as the list shows it: its plain-words explanation and current matches."""

    rule: Rule
    explanation: Phrase
    matches_to_prepare: int

    @property
    def id(self) -> uuid.UUID:
        assert self.rule.id is not None
        return self.rule.id


def list_rules(uow_factory: UnitOfWorkFactory, company_id: uuid.UUID) -> list[RuleView]:
    """The company's rules in order, each with how many *to prepare* transactions it
    matches now (one scan for all of them)."""
    with uow_factory() as uow:
        rules = uow.rules.all(company_id)
        counts, _ = (
            uow.rules.match_counts(company_id, rules, status=ExportStatus.TO_PREPARE)
            if rules
            else ([], 0)
        )
    return [RuleView(r, explain(r), n) for r, n in zip(rules, counts, strict=True)]


def get_rule(uow_factory: UnitOfWorkFactory, company_id: uuid.UUID, rule_id: uuid.UUID) -> Rule:
    with uow_factory() as uow:
        for rule in uow.rules.all(company_id):
            if rule.id == rule_id:
                return rule
    raise NotFoundError(f"rule {rule_id} not found")


def create_rule(
    uow_factory: UnitOfWorkFactory, company_id: uuid.UUID, data: RuleInput, *, actor: str
) -> Rule:
    """Save a new rule at the end of the order; refused (``ItemsRefused``) when it is
    not well formed, uses unknown or blocked codes, or matches nothing or everything."""
    with uow_factory() as uow:
        uow.rules.rows(company_id, lock=True)
        position = uow.rules.next_position(company_id)
        if position > MAX_RULES:
            raise InvalidRequest(f"at most {MAX_RULES} rules per company")
        rule = _checked(uow, company_id, data, position)
        stored = rule_json(rule)
        row = uow.rules.add(
            company_id,
            position=position,
            name=rule.name,
            conditions=stored["conditions"],
            assignment=stored["assignment"],
            enabled=rule.enabled,
            created_by=actor,
            updated_by=actor,
        )
        _audit(uow, company_id, row.id, "rule.created", actor, {"to": _summary(rule)})
        uow.commit()
        return to_rule(row)


def update_rule(
    uow_factory: UnitOfWorkFactory,
    company_id: uuid.UUID,
    rule_id: uuid.UUID,
    data: RuleInput,
    *,
    actor: str,
) -> Rule:
    """Change a rule (checked like a new one); the transactions it coded keep their coding."""
    with uow_factory() as uow:
        row = _row(uow, company_id, rule_id)
        before = _summary(_stored(row))
        rule = _checked(uow, company_id, data, row.position)
        stored = rule_json(rule)
        row.name, row.enabled = rule.name, rule.enabled
        row.conditions = list(stored["conditions"])
        row.assignment = dict(stored["assignment"])
        row.updated_by = actor
        after = _summary(rule)
        if before != after:
            changes = {"from": before, "to": after}
            _audit(uow, company_id, rule_id, "rule.changed", actor, changes)
        uow.commit()
        return _stored(row)


def delete_rule(
    uow_factory: UnitOfWorkFactory, company_id: uuid.UUID, rule_id: uuid.UUID, *, actor: str
) -> None:
    """Remove a rule; the transactions it coded keep their coding (``rule_id`` cleared)."""
    with uow_factory() as uow:
        row = _row(uow, company_id, rule_id)
        before = _summary(_stored(row))
        uow.rules.remove(company_id, rule_id)
        _audit(uow, company_id, rule_id, "rule.deleted", actor, {"from": before})
        uow.commit()


def move_rule(
    uow_factory: UnitOfWorkFactory,
    company_id: uuid.UUID,
    rule_id: uuid.UUID,
    direction: str,
    *,
    actor: str,
) -> list[uuid.UUID]:
    """Swap the rule with its neighbour above (``up``) or below (``down``); the new order.
    At the top (bottom) already, nothing changes and nothing is audited."""
    if direction not in ("up", "down"):
        raise InvalidRequest("direction: send up or down")
    with uow_factory() as uow:
        rows = uow.rules.rows(company_id, lock=True)
        index = next((i for i, row in enumerate(rows) if row.id == rule_id), None)
        if index is None:
            raise NotFoundError(f"rule {rule_id} not found")
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(rows):
            rows[index], rows[other] = rows[other], rows[index]
            for position, row in enumerate(rows, 1):
                row.position = position
            changes = {"position": {"from": index + 1, "to": other + 1}, "direction": direction}
            _audit(uow, company_id, rule_id, "rule.moved", actor, changes)
        order = [row.id for row in rows]
        uow.commit()
    return order


def pickable_codes(
    uow_factory: UnitOfWorkFactory, company_id: uuid.UUID
) -> dict[str, list[tuple[str, str]]]:
    """The synced codes a rule may assign, per coding field: (code, name), blocked ones
    left out (for the form's pickers: type a code or a name)."""
    with uow_factory() as uow:
        found = uow.dimensions.all(company_id, kinds=list(KINDS.values()))
    by_kind = {kind: name for name, kind in KINDS.items()}
    codes: dict[str, list[tuple[str, str]]] = {name: [] for name in KINDS}
    for value in found:
        if not value.blocked:
            codes[by_kind[value.kind]].append((value.code, value.name))
    return codes


# -- applying ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Applied:
    """How many transactions one rule coded."""

    rule_id: uuid.UUID
    name: str
    count: int


def apply_to_new(
    uow: UnitOfWork,
    company_id: uuid.UUID,
    txn_ids: Sequence[uuid.UUID] | None,
    *,
    actor: str,
) -> list[Applied]:
    """Code new transactions by the first matching rule, in the caller's unit of work (no
    commit here). ``txn_ids`` None: the transactions this database transaction created
    (a CSV import's, without holding their ids)."""
    rules = uow.rules.all(company_id)
    if not rules:
        return []
    if txn_ids is None:
        counts = uow.rules.apply(company_id, rules, created_now=True)
    else:
        counts = uow.rules.apply(company_id, rules, txn_ids=txn_ids)
    return _record(uow, company_id, rules, counts, actor, "intake")


def apply_retroactively(
    uow_factory: UnitOfWorkFactory,
    company_id: uuid.UUID,
    actor: str,
    rule_ids: Collection[uuid.UUID] | None = None,
) -> list[Applied]:
    """Apply the rules (``rule_ids`` only, when given) to existing transactions still *to
    prepare* that were not coded by hand; the count per rule. Never touches ready, queued,
    exporting, exported or failed ones."""
    with uow_factory() as uow:
        rules = uow.rules.all(company_id)
        known = {rule.id for rule in rules}
        if rule_ids is not None:
            missing = [rule_id for rule_id in rule_ids if rule_id not in known]
            if missing:
                items = [{"id": str(m), "message": f"rule {m} not found"} for m in missing]
                raise ItemsRefused("unknown rules; nothing was applied", items)
        counts = uow.rules.apply(company_id, rules, None if rule_ids is None else set(rule_ids))
        applied = _record(uow, company_id, rules, counts, actor, "retroactive")
        uow.commit()
    return applied


def _record(
    uow: UnitOfWork,
    company_id: uuid.UUID,
    rules: Sequence[Rule],
    coded: dict[uuid.UUID, list[Coded]],
    actor: str,
    trigger: str,
) -> list[Applied]:
    applied = []
    for rule in rules:
        if rule.id is None or rule.id not in coded:
            continue
        count = len(coded[rule.id])
        applied.append(Applied(rule.id, rule.name, count))
        if count:
            _keep_problems(uow, company_id, rule, coded[rule.id])
            details = {"count": count, "trigger": trigger}
            _audit(uow, company_id, rule.id, "rule.applied", actor, details)
    return applied


def _keep_problems(
    uow: UnitOfWork, company_id: uuid.UUID, rule: Rule, coded: Sequence[Coded]
) -> None:
    """What the rule engine finds in the rule's coding (a blocked account, a missing cost
    centre, an ended project …) kept as the reason, as for a coding by hand. The rule's
    one line is judged once per (date, purchase or bank line), not once per transaction.
    A rule without GL account completes lines of several codings: judged at mark ready."""
    values = rule.values
    if "gl_account" not in values:
        return
    line = CodingLine(
        gl_account=values["gl_account"],
        amount=Money(Decimal("-1"), "EUR"),  # the line rules do not depend on the amount
        vat_code=values.get("vat_code"),
        cost_center=values.get("cost_center"),
        cost_unit=values.get("cost_unit"),
        project=values.get("project"),
        description=values.get("description", ""),
    )
    keys = {(kind, code) for name, kind in LINE_FIELDS if (code := getattr(line, name))}
    lookup = lookup_in(uow.dimensions.matching(company_id, keys, ()))
    groups: dict[tuple[date, bool], list[uuid.UUID]] = defaultdict(list)
    for txn_id, day, kind in coded:
        groups[(day, kind not in BANK_ONLY_KINDS)].append(txn_id)
    for (day, for_purchase), ids in groups.items():
        problems = coding_problems([line], day, lookup, for_purchase=for_purchase)
        reason = "; ".join(p.reason for p in problems) or None
        if reason:
            uow.rules.set_reasons(company_id, ids, reason)


# -- checks --------------------------------------------------------------------------------------


def _checked(uow: UnitOfWork, company_id: uuid.UUID, data: RuleInput, position: int) -> Rule:
    try:
        rule = make_rule(
            data.name, data.conditions, data.assignment, position=position, enabled=data.enabled
        )
    except InvalidRule as error:
        items = [{"field": name, "message": why} for name, why in error.reasons]
        raise ItemsRefused(N_("the rule cannot be saved: %(why)s", why=str(error)), items) from None
    problems = _code_problems(uow, company_id, rule)
    if problems:
        raise ItemsRefused(N_("the rule uses codes that cannot be used"), problems)
    (matched,), total = uow.rules.match_counts(company_id, [rule])
    if matched == 0 or matched == total:
        message = (
            N_("the rule matches none of the company's %(total)s transactions", total=total)
            if matched == 0
            else N_(
                "the rule matches all %(total)s of the company's transactions; "
                "add a condition that tells them apart",
                total=total,
            )
        )
        refusal = N_("a rule that matches nothing or everything is refused: %(why)s", why=message)
        raise ItemsRefused(refusal, [{"field": "conditions", "message": message}])
    return rule


def _code_problems(uow: UnitOfWork, company_id: uuid.UUID, rule: Rule) -> list[dict[str, str]]:
    wanted = {(KINDS[k], v) for k, v in rule.assignment if k in KINDS}
    found = {(d.kind, d.code): d for d in uow.dimensions.matching(company_id, wanted, ())}
    problems = []
    for key, code in rule.assignment:
        if key not in KINDS:
            continue
        kind = KINDS[key]
        value = found.get((kind, code))
        if value is None:
            message = N_(
                "%(kind)s %(code)s does not exist in the synced dimensions; "
                "choose one from the list",
                kind=kind.label,
                code=code,
            )
        elif value.blocked:
            message = N_(
                "%(kind)s %(code)s is blocked in Exact Online; choose another",
                kind=kind.label,
                code=code,
            )
        else:
            continue
        problems.append({"field": f"assignment.{key}", "message": message})
    return problems


def _row(uow: UnitOfWork, company_id: uuid.UUID, rule_id: uuid.UUID) -> Any:
    try:
        return uow.rules.row(company_id, rule_id)
    except NotFound:
        raise NotFoundError(f"rule {rule_id} not found") from None


def _stored(row: Any) -> Rule:
    return to_rule(row)


def _summary(rule: Rule) -> dict[str, Any]:
    return {"name": rule.name, "enabled": rule.enabled, **rule_json(rule)}


def _audit(
    uow: UnitOfWork,
    company_id: uuid.UUID,
    rule_id: uuid.UUID,
    action: str,
    actor: str,
    details: dict[str, Any],
) -> None:
    uow.audit.record(
        action=action,
        actor=actor,
        company_id=company_id,
        subject_type="rule",
        subject_id=rule_id,
        details=details,
    )


__all__ = [
    "Applied",
    "RuleInput",
    "RuleView",
    "apply_retroactively",
    "apply_to_new",
    "create_rule",
    "delete_rule",
    "get_rule",
    "list_rules",
    "move_rule",
    "pickable_codes",
    "update_rule",
]
