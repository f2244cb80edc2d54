"""Coding rules that explain themselves (pure).

A rule says: *when* every one of its conditions holds for a transaction (the merchant,
MCC, cardholder or description equals / contains / starts with a text, any case; the
MCC is one of a list), *assign* these coding values (any of GL account, VAT code, cost
centre, cost unit, project, line description). Rules are ordered: the first enabled
rule that matches a transaction wins (``first_match``). ``explain`` says a rule in plain
words: "When the merchant contains "coolblue", assign GL account 4230 and VAT code 5".

``make_rule`` refuses a rule without condition, with an empty pattern or without
assignment (``InvalidRule`` with a reason per field).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from ledgerbridge.domain.errors import DomainError
from ledgerbridge.domain.wording import N_, Phrase

NAME_MAX = 120
PATTERN_MAX = 255


class ConditionField(StrEnum):
    MERCHANT = "merchant"
    MCC = "mcc"
    CARDHOLDER = "cardholder"
    DESCRIPTION = "description"


class MatchType(StrEnum):
    EQUALS = "equals"
    CONTAINS = "contains"
    STARTS_WITH = "starts_with"


# The transaction attribute each condition field reads.
ATTRIBUTE = {
    ConditionField.MERCHANT: "merchant_name",
    ConditionField.MCC: "mcc",
    ConditionField.CARDHOLDER: "cardholder",
    ConditionField.DESCRIPTION: "description",
}
FIELD_LABELS = {
    ConditionField.MERCHANT: N_("the merchant"),
    ConditionField.MCC: N_("the MCC"),
    ConditionField.CARDHOLDER: N_("the cardholder"),
    ConditionField.DESCRIPTION: N_("the description"),
}
# The coding fields a rule may assign, in the order a line shows them.
ASSIGNABLE = ("gl_account", "vat_code", "cost_center", "cost_unit", "project", "description")
ASSIGNMENT_LABELS = {
    "gl_account": N_("GL account"),
    "vat_code": N_("VAT code"),
    "cost_center": N_("cost centre"),
    "cost_unit": N_("cost unit"),
    "project": N_("project"),
}


class InvalidRule(DomainError):
    """A rule that cannot be: ``reasons`` lists (field, reason) pairs."""

    def __init__(self, reasons: Sequence[tuple[str, str]]) -> None:
        self.reasons = list(reasons)
        super().__init__("; ".join(f"{name}: {why}" for name, why in self.reasons))


class Matchable(Protocol):
    """What a rule reads of a transaction (``TransactionRow`` fits)."""

    @property
    def merchant_name(self) -> str: ...
    @property
    def mcc(self) -> str | None: ...
    @property
    def cardholder(self) -> str: ...
    @property
    def description(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Condition:
    """``field`` ``match`` one of ``values`` (any case); the MCC only ``equals``."""

    field: ConditionField
    match: MatchType
    values: tuple[str, ...]

    def holds(self, txn: Matchable) -> bool:
        seen = (getattr(txn, ATTRIBUTE[self.field]) or "").lower()
        for value in self.values:
            wanted = value.lower()
            if self.match is MatchType.EQUALS and seen == wanted:
                return True
            if self.match is MatchType.CONTAINS and wanted in seen:
                return True
            if self.match is MatchType.STARTS_WITH and seen.startswith(wanted):
                return True
        return False

    def as_json(self) -> dict[str, Any]:
        return {"field": self.field.value, "match": self.match.value, "values": list(self.values)}


@dataclass(frozen=True, slots=True)
class Rule:
    """An ordered rule; build one with ``make_rule`` (which checks it)."""

    name: str
    conditions: tuple[Condition, ...]
    assignment: tuple[tuple[str, str], ...]
    position: int = 0
    enabled: bool = True
    id: uuid.UUID | None = field(default=None, compare=False)

    def matches(self, txn: Matchable) -> bool:
        return all(condition.holds(txn) for condition in self.conditions)

    @property
    def values(self) -> dict[str, str]:
        return dict(self.assignment)


def make_rule(
    name: str,
    conditions: Iterable[Mapping[str, Any]],
    assignment: Mapping[str, Any],
    *,
    position: int = 0,
    enabled: bool = True,
    rule_id: uuid.UUID | None = None,
) -> Rule:
    """A checked rule from plain values (as the API and the form send them).

    A condition is ``{"field": …, "match": …, "values": [...]}`` (or ``"value": "…"``);
    ``assignment`` maps coding fields to codes (empty ones are left out).
    Raises ``InvalidRule`` naming every problem.
    """
    reasons: list[tuple[str, str]] = []
    clean_name = (name or "").strip()
    if not clean_name:
        reasons.append(("name", N_("give the rule a name")))
    elif len(clean_name) > NAME_MAX:
        reasons.append(("name", N_("at most %(max)s characters", max=NAME_MAX)))
    built = []
    for number, raw in enumerate(conditions, 1):
        made = _condition(number, raw, reasons)
        if made is not None:
            built.append(made)
    if not built and not any(name.startswith("conditions") for name, _ in reasons):
        reasons.append(("conditions", N_("a rule needs at least one condition")))
    values = []
    for key, value in assignment.items():
        if key not in ASSIGNABLE:
            reasons.append(
                (f"assignment.{key}", N_("%(field)s cannot be assigned", field=str(key)))
            )
            continue
        text = str(value).strip() if value is not None else ""
        if text:
            values.append((key, text))
    if not values and not any(name.startswith("assignment") for name, _ in reasons):
        reasons.append(("assignment", N_("a rule needs at least one value to assign")))
    if reasons:
        raise InvalidRule(reasons)
    ordered = tuple(sorted(values, key=lambda pair: ASSIGNABLE.index(pair[0])))
    return Rule(clean_name, tuple(built), ordered, position, enabled, rule_id)


def _condition(
    number: int, raw: Mapping[str, Any], reasons: list[tuple[str, str]]
) -> Condition | None:
    where = f"conditions.{number}"
    try:
        kind = ConditionField(str(raw.get("field", "")))
    except ValueError:
        choices = ", ".join(ConditionField)
        reasons.append((f"{where}.field", N_("choose one of %(choices)s", choices=choices)))
        return None
    try:
        match = MatchType(str(raw.get("match", MatchType.EQUALS.value)))
    except ValueError:
        choices = ", ".join(MatchType)
        reasons.append((f"{where}.match", N_("choose one of %(choices)s", choices=choices)))
        return None
    sent = raw.get("values", raw.get("value", ""))
    if isinstance(sent, str):
        sent = sent.split(",") if kind is ConditionField.MCC else [sent]
    values = tuple(dict.fromkeys(str(v).strip() for v in sent if str(v).strip()))
    if not values:
        reasons.append((f"{where}.value", N_("the pattern cannot be empty")))
        return None
    if any(len(v) > PATTERN_MAX for v in values):
        reasons.append((f"{where}.value", N_("at most %(max)s characters", max=PATTERN_MAX)))
        return None
    if kind is ConditionField.MCC:
        if match is not MatchType.EQUALS:
            reasons.append((f"{where}.match", N_("an MCC can only equal one of a list")))
            return None
        bad = [v for v in values if not (len(v) == 4 and v.isdigit())]
        if bad:
            reasons.append(
                (f"{where}.value", N_("%(mcc)s is not an MCC (four digits)", mcc=bad[0]))
            )
            return None
    elif len(values) > 1:
        reasons.append((f"{where}.value", N_("only the MCC takes a list of values")))
        return None
    return Condition(kind, match, values)


def rule_from_json(
    name: str,
    conditions: Sequence[Mapping[str, Any]],
    assignment: Mapping[str, Any],
    *,
    position: int = 0,
    enabled: bool = True,
    rule_id: uuid.UUID | None = None,
) -> Rule:
    """A stored rule (trusted: it was checked when it was saved)."""
    built = tuple(
        Condition(ConditionField(c["field"]), MatchType(c["match"]), tuple(c["values"]))
        for c in conditions
    )
    values = tuple((k, str(assignment[k])) for k in ASSIGNABLE if assignment.get(k))
    return Rule(name, built, values, position, enabled, rule_id)


def first_match(rules: Iterable[Rule], txn: Matchable) -> Rule | None:
    """The first enabled rule (by position) whose conditions all hold for ``txn``."""
    for rule in sorted(rules, key=lambda r: r.position):
        if rule.enabled and rule.matches(txn):
            return rule
    return None


# -- explanation ---------------------------------------------------------------------------------


def explain(rule: Rule) -> Phrase:
    """The rule in plain words, translatable."""
    when = _joined([_explain_condition(c) for c in rule.conditions])
    what = _joined([_explain_value(k, v) for k, v in rule.assignment])
    return N_("When %(conditions)s, assign %(assignment)s", conditions=when, assignment=what)


def _explain_condition(condition: Condition) -> Phrase:
    label = FIELD_LABELS[condition.field]
    if condition.field is ConditionField.MCC:
        if len(condition.values) == 1:
            return N_("%(field)s is %(value)s", field=label, value=condition.values[0])
        return N_("%(field)s is one of %(values)s", field=label, values=", ".join(condition.values))
    value = condition.values[0]
    if condition.match is MatchType.CONTAINS:
        return N_('%(field)s contains "%(value)s"', field=label, value=value)
    if condition.match is MatchType.STARTS_WITH:
        return N_('%(field)s starts with "%(value)s"', field=label, value=value)
    return N_('%(field)s is "%(value)s"', field=label, value=value)


def _explain_value(key: str, value: str) -> Phrase:
    if key == "description":
        return N_('the description "%(text)s"', text=value)
    return N_("%(kind)s %(code)s", kind=ASSIGNMENT_LABELS[key], code=value)


def _joined(parts: Sequence[Phrase]) -> Phrase:
    """``a``, ``a and b``, ``a, b and c``: every piece stays translatable."""
    if len(parts) == 1:
        return parts[0]
    head = parts[0]
    for part in parts[1:-1]:
        head = N_("%(first)s, %(next)s", first=head, next=part)
    return N_("%(first)s and %(last)s", first=head, last=parts[-1])


__all__ = [
    "ASSIGNABLE",
    "Condition",
    "ConditionField",
    "InvalidRule",
    "MatchType",
    "Matchable",
    "Rule",
    "explain",
    "first_match",
    "make_rule",
    "rule_from_json",
]
