"""The rule repository stays within one company: another company's id finds, matches,
changes and applies nothing of the first's (every public method is walked)."""

from __future__ import annotations

import inspect
import uuid
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from ledgerbridge.db.repositories.errors import NotFound
from ledgerbridge.db.repositories.rules import RuleRepository, rule_json
from ledgerbridge.db.uow import UnitOfWork
from ledgerbridge.domain.rules import make_rule

RULE = make_rule(
    "Jumbo", [{"field": "merchant", "match": "contains", "value": "jumbo"}], {"gl_account": "4000"}
)


def _txn(external_id: str) -> dict[str, Any]:
    return {
        "external_id": external_id,
        "kind": "card_payment",
        "booking_date": date(2026, 11, 2),
        "amount": Decimal("-10.00"),
        "currency": "EUR",
        "original_amount": Decimal("-10.00"),
        "original_currency": "EUR",
        "merchant_name": "Jumbo",
    }


@pytest.fixture
def world(session_factory: sessionmaker[Session]) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    with UnitOfWork(session_factory) as uow:
        own, other = uow.companies.add("a", "A B.V.").id, uow.companies.add("b", "B B.V.").id
        uow.transactions.add(own, _txn("shared"))
        row = uow.rules.add(
            own,
            position=1,
            name=RULE.name,
            enabled=True,
            created_by="t",
            updated_by="t",
            **rule_json(RULE),
        )
        uow.commit()
        return own, other, row.id


CASES = {
    "all": lambda r, other, rule: r.all(other),
    "rows": lambda r, other, rule: r.rows(other, lock=True),
    "names": lambda r, other, rule: r.names(other, [rule]),
    "next_position": lambda r, other, rule: r.next_position(other) - 1,
    "match_counts": lambda r, other, rule: sum(r.match_counts(other, [RULE])[0]),
    "matching_ids": lambda r, other, rule: r.matching_ids(other, RULE, 10),
    "apply": lambda r, other, rule: sum(
        len(coded) for coded in r.apply(other, [replace(RULE, id=rule)]).values()
    ),
    "set_reasons": lambda r, other, rule: (
        r.set_reasons(other, r.matching_ids(other, RULE, 9), "x")
        or r.set_reasons(other, [_own_txn(r)], "changed by another company")
    ),
    "add": lambda r, other, rule: (
        r.add(
            other,
            position=1,
            name="b",
            enabled=True,
            created_by="b",
            updated_by="b",
            **rule_json(RULE),
        )
        and None
    ),
}
NOT_FOUND = {
    "row": lambda r, other, rule: r.row(other, rule),
    "remove": lambda r, other, rule: r.remove(other, rule),
}


@pytest.mark.parametrize("method", sorted(CASES))
def test_another_company_finds_and_touches_nothing(
    session_factory: sessionmaker[Session], world: tuple[uuid.UUID, ...], method: str
) -> None:
    own, other, rule = world
    with UnitOfWork(session_factory) as uow:
        found = CASES[method](uow.rules, other, rule)
        uow.commit()
    assert found in ([], {}, 0, None)
    _untouched(session_factory, own, rule)


@pytest.mark.parametrize("method", sorted(NOT_FOUND))
def test_another_companys_rule_is_not_found(
    session_factory: sessionmaker[Session], world: tuple[uuid.UUID, ...], method: str
) -> None:
    own, other, rule = world
    with UnitOfWork(session_factory) as uow, pytest.raises(NotFound):
        NOT_FOUND[method](uow.rules, other, rule)
    _untouched(session_factory, own, rule)


def test_every_method_is_walked() -> None:
    public = {n for n, _ in inspect.getmembers(RuleRepository, inspect.isfunction) if n[0] != "_"}
    assert public == set(CASES) | set(NOT_FOUND)


def _own_txn(repository: RuleRepository) -> uuid.UUID:
    found = repository.session.execute(text("SELECT id FROM transactions")).scalar_one()
    assert isinstance(found, uuid.UUID)
    return found


def _untouched(session_factory: sessionmaker[Session], own: uuid.UUID, rule: uuid.UUID) -> None:
    with UnitOfWork(session_factory) as uow:
        assert [r.id for r in uow.rules.all(own)] == [rule]
        assert uow.rules.match_counts(own, [RULE]) == ([1], 1)
        (txn,) = uow.transactions.page(own)
        assert txn.rule_id is None
        assert txn.status_reason is None
        assert uow.transactions.coding_lines(own, txn.id) == []
