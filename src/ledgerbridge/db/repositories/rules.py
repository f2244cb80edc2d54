"""Coding rules of one company, and the set-based SQL that matches and applies them.

Matching is done in SQL (``lower(x) = lower(v)``, ``ILIKE``), so applying a rule to
100,000 transactions is a few statements, not a query per row.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    delete,
    exists,
    false,
    func,
    insert,
    literal,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from ledgerbridge.db.models.core import CodingLineRow, TransactionRow
from ledgerbridge.db.models.rules import RuleRow
from ledgerbridge.db.repositories.errors import NotFound
from ledgerbridge.domain.export_status import ExportStatus
from ledgerbridge.domain.rules import ATTRIBUTE, Condition, MatchType, Rule, rule_from_json

LINE_FIELDS = ("gl_account", "vat_code", "cost_center", "cost_unit", "project")
Coded = tuple[uuid.UUID, date, str]  # a transaction a rule coded: id, booking date, kind


def to_rule(row: RuleRow) -> Rule:
    return rule_from_json(
        row.name,
        row.conditions,
        row.assignment,
        position=row.position,
        enabled=row.enabled,
        rule_id=row.id,
    )


def rule_matches(rule: Rule) -> ColumnElement[bool]:
    """The SQL condition "``rule`` matches this transaction"."""
    return and_(*(_condition(c) for c in rule.conditions))


def _condition(condition: Condition) -> ColumnElement[bool]:
    column = getattr(TransactionRow, ATTRIBUTE[condition.field])
    options: list[ColumnElement[bool]] = []
    for value in condition.values:
        if condition.match is MatchType.EQUALS:
            options.append(func.lower(column) == value.lower())
        elif condition.match is MatchType.CONTAINS:
            options.append(column.icontains(value, autoescape=True))
        else:
            options.append(column.istartswith(value, autoescape=True))
    return or_(*options)


def _has_lines() -> ColumnElement[bool]:
    return exists().where(
        CodingLineRow.company_id == TransactionRow.company_id,
        CodingLineRow.transaction_id == TransactionRow.id,
    )


def _hand_coded() -> ColumnElement[bool]:
    return and_(TransactionRow.rule_id.is_(None), _has_lines())


class RuleRepository:
    """Every method takes ``company_id`` first and touches only that company's rules."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def all(self, company_id: uuid.UUID) -> list[Rule]:
        return [to_rule(row) for row in self.rows(company_id)]

    def rows(self, company_id: uuid.UUID, *, lock: bool = False) -> list[RuleRow]:
        query = (
            select(RuleRow)
            .where(RuleRow.company_id == company_id)
            .order_by(RuleRow.position, RuleRow.created_at, RuleRow.id)
        )
        if lock:
            query = query.with_for_update()
        return list(self.session.scalars(query))

    def row(self, company_id: uuid.UUID, rule_id: uuid.UUID) -> RuleRow:
        """The rule's row, or ``NotFound`` (also for another company's)."""
        query = select(RuleRow).where(RuleRow.company_id == company_id, RuleRow.id == rule_id)
        found = self.session.scalar(query.with_for_update())
        if found is None:
            raise NotFound(f"rule {rule_id} not found")
        return found

    def names(self, company_id: uuid.UUID, rule_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, str]:
        if not rule_ids:
            return {}
        query = select(RuleRow.id, RuleRow.name).where(
            RuleRow.company_id == company_id, RuleRow.id.in_(list(rule_ids))
        )
        return {rule_id: name for rule_id, name in self.session.execute(query)}

    def add(self, company_id: uuid.UUID, **values: Any) -> RuleRow:
        row = RuleRow(id=uuid.uuid4(), company_id=company_id, **values)
        self.session.add(row)
        self.session.flush()
        return row

    def remove(self, company_id: uuid.UUID, rule_id: uuid.UUID) -> None:
        self.session.delete(self.row(company_id, rule_id))
        self.session.flush()

    def next_position(self, company_id: uuid.UUID) -> int:
        query = select(func.max(RuleRow.position)).where(RuleRow.company_id == company_id)
        return (self.session.scalar(query) or 0) + 1

    # -- matching ------------------------------------------------------------------------------

    def match_counts(
        self, company_id: uuid.UUID, rules: Sequence[Rule], *, status: ExportStatus | None = None
    ) -> tuple[list[int], int]:
        """How many of the company's transactions (of ``status``, when given) each rule
        matches, and how many there are: one scan, one ``count(*) FILTER`` per rule."""
        conditions = [TransactionRow.company_id == company_id]
        if status is not None:
            conditions.append(TransactionRow.status == status.value)
        columns = [func.count().filter(rule_matches(rule)) for rule in rules]
        query = select(func.count(), *columns).where(*conditions)
        found = self.session.execute(query).one()
        return [int(n) for n in found[1:]], int(found[0])

    def apply(
        self,
        company_id: uuid.UUID,
        rules: Sequence[Rule],
        chosen: Collection[uuid.UUID] | None = None,
        *,
        txn_ids: Sequence[uuid.UUID] | None = None,
        created_now: bool = False,
    ) -> dict[uuid.UUID, list[Coded]]:
        """Code the matching transactions still *to prepare* and not coded by hand, each by
        the first enabled rule that matches it (``rules`` in order); only the ``chosen``
        rules are applied (all when None), an earlier rule still taking precedence. A rule
        without a GL account cannot make a coding line: it only completes the lines a
        rule set before (uncoded transactions are left to the rules after it).

        Scope: ``txn_ids``, or the transactions created in this database transaction
        (``created_now``), or all. One line of the full amount with the rule's values;
        ``rule_id`` recorded. Returns the count per applied rule. Set-based: per rule one
        DELETE, one INSERT … SELECT and one UPDATE.
        """
        scope: list[ColumnElement[bool]] = [
            TransactionRow.company_id == company_id,
            TransactionRow.status == ExportStatus.TO_PREPARE.value,
            not_(_hand_coded()),
        ]
        if txn_ids is not None:
            if not txn_ids:
                return {}
            scope.append(TransactionRow.id.in_(list(txn_ids)))
        if created_now:
            scope.append(TransactionRow.created_at == func.now())
        counts: dict[uuid.UUID, list[Coded]] = {}
        earlier: list[ColumnElement[bool]] = []
        for rule in rules:
            if not rule.enabled or rule.id is None:
                continue
            matches = rule_matches(rule)
            if "gl_account" not in rule.values:  # it can only complete a coding: lines needed
                matches = and_(matches, _has_lines())
            if chosen is None or rule.id in chosen:
                taken = or_(*earlier) if earlier else false()
                counts[rule.id] = self._apply_one(company_id, rule, [*scope, matches, not_(taken)])
            earlier.append(matches)
        return counts

    def _apply_one(
        self, company_id: uuid.UUID, rule: Rule, where: Sequence[ColumnElement[bool]]
    ) -> list[Coded]:
        assert rule.id is not None
        picked_rows = select(TransactionRow.id, TransactionRow.booking_date, TransactionRow.kind)
        coded = [
            (row_id, day, kind)
            for row_id, day, kind in self.session.execute(
                picked_rows.where(*where).with_for_update()
            )
        ]
        ids = [row_id for row_id, _, _ in coded]
        if not ids:
            return []
        values = rule.values
        for chunk in _chunks(ids, 10_000):
            if "gl_account" not in values:  # complete the rule-set lines with its values
                self.session.execute(
                    update(CodingLineRow)
                    .where(
                        CodingLineRow.company_id == company_id,
                        CodingLineRow.transaction_id.in_(chunk),
                    )
                    .values(**values)
                    .execution_options(synchronize_session=False)
                )
                self._mark(company_id, rule, chunk)
                continue
            self.session.execute(
                delete(CodingLineRow).where(
                    CodingLineRow.company_id == company_id, CodingLineRow.transaction_id.in_(chunk)
                )
            )
            picked = select(
                func.gen_random_uuid(),
                TransactionRow.company_id,
                TransactionRow.id,
                literal(1),
                TransactionRow.amount,
                literal(values.get("description", "")),
                *(literal(values.get(name)) for name in LINE_FIELDS),
            ).where(TransactionRow.company_id == company_id, TransactionRow.id.in_(chunk))
            self.session.execute(
                insert(CodingLineRow).from_select(
                    [
                        "id",
                        "company_id",
                        "transaction_id",
                        "position",
                        "amount",
                        "description",
                        *LINE_FIELDS,
                    ],
                    picked,
                )
            )
            self._mark(company_id, rule, chunk)
        self.session.expire_all()
        return coded

    def _mark(self, company_id: uuid.UUID, rule: Rule, chunk: list[uuid.UUID]) -> None:
        self.session.execute(
            update(TransactionRow)
            .where(TransactionRow.company_id == company_id, TransactionRow.id.in_(chunk))
            .values(rule_id=rule.id, status_reason=None)
            .execution_options(synchronize_session=False)
        )

    def set_reasons(
        self, company_id: uuid.UUID, txn_ids: Sequence[uuid.UUID], reason: str | None
    ) -> None:
        """Keep ``reason`` (what the rule engine found) on these transactions to prepare."""
        for chunk in _chunks(txn_ids, 10_000):
            self.session.execute(
                update(TransactionRow)
                .where(
                    TransactionRow.company_id == company_id,
                    TransactionRow.id.in_(chunk),
                    TransactionRow.status == ExportStatus.TO_PREPARE.value,
                )
                .values(status_reason=reason)
                .execution_options(synchronize_session=False)
            )

    def matching_ids(self, company_id: uuid.UUID, rule: Rule, limit: int) -> list[uuid.UUID]:
        query = (
            select(TransactionRow.id)
            .where(TransactionRow.company_id == company_id, rule_matches(rule))
            .limit(limit)
        )
        return list(self.session.scalars(query))


def _chunks(ids: Sequence[uuid.UUID], size: int) -> Iterable[list[uuid.UUID]]:
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def rule_json(rule: Rule) -> Mapping[str, Any]:
    return {
        "conditions": [c.as_json() for c in rule.conditions],
        "assignment": dict(rule.assignment),
    }
