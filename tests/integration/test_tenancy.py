"""One company can neither read nor change another company's transactions.

Every public method of the repositories gets a case below; a method added
without one fails ``test_every_repository_method_has_a_tenancy_case``.
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

import ledgerbridge.db.models  # noqa: F401  (every model on Base.metadata)
from ledgerbridge.db.base import Base
from ledgerbridge.db.models.core import TransactionRow
from ledgerbridge.db.repositories import (
    CompanyRepository,
    NotFound,
    TransactionFilter,
    TransactionRepository,
)
from ledgerbridge.db.uow import UnitOfWork
from ledgerbridge.domain.coding import CodingLine
from ledgerbridge.domain.errors import InvalidTransition
from ledgerbridge.domain.export_status import ExportStatus
from ledgerbridge.domain.money import Money
from ledgerbridge.domain.transactions import TransactionKind


@dataclass
class World:
    own: uuid.UUID  # company A, owner of everything below
    other: uuid.UUID  # company B, the intruder
    txn: uuid.UUID
    receipt: uuid.UUID


@pytest.fixture
def world(session_factory: sessionmaker[Session]) -> World:
    with UnitOfWork(session_factory) as uow:
        companies = CompanyRepository(uow.session)
        a, b = companies.add("a", "A B.V."), companies.add("b", "B B.V.")
        repo = TransactionRepository(uow.session)
        row = repo.add(a.id, _values("shared-id"))
        repo.replace_coding_lines(a.id, row.id, [_line("4000")])
        receipt = repo.add_receipt(
            a.id,
            row.id,
            sha256="0" * 64,
            filename="r.pdf",
            content_type="application/pdf",
            size_bytes=10,
            uploaded_by="anna",
        )
        uow.commit()
    return World(a.id, b.id, row.id, receipt.id)


def _values(external_id: str) -> dict[str, Any]:
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


def _line(gl_account: str) -> CodingLine:
    return CodingLine(gl_account=gl_account, amount=Money(Decimal("-10.00"), "EUR"), vat_code="2")


Attempt = Callable[[TransactionRepository, CompanyRepository, World], Any]
EMPTY: Any = ([], {}, set(), None, 0)
READS: dict[str, Attempt] = {
    "get": lambda r, c, w: r.get(w.other, w.txn),
    "by_external_ids": lambda r, c, w: r.by_external_ids(w.other, ["shared-id"]),
    "page": lambda r, c, w: r.page(w.other, TransactionFilter()),
    "names_containing": lambda r, c, w: r.names_containing(w.other, "merchant_name", ""),
    "coding_lines": lambda r, c, w: r.coding_lines(w.other, w.txn),
    "coding_lines_of": lambda r, c, w: [
        line for lines in r.coding_lines_of(w.other, [w.txn]).values() for line in lines
    ],
    "many": lambda r, c, w: r.many(w.other, [w.txn]),
    "status_counts": lambda r, c, w: r.status_counts(w.other, TransactionFilter(), cap=10),
    "ids_matching": lambda r, c, w: r.ids_matching(w.other, TransactionFilter(), limit=10),
    "using_code": lambda r, c, w: r.using_code(w.other, "gl_account", "4000"),
    "receipts": lambda r, c, w: r.receipts(w.other, w.txn),
    "with_receipts": lambda r, c, w: r.with_receipts(w.other, [w.txn]),
    "with_receipts_over": lambda r, c, w: r.with_receipts_over(w.other, [w.txn], 0),
    "receipt": lambda r, c, w: r.receipt(w.other, w.receipt),
    "receipt_with_sha256": lambda r, c, w: r.receipt_with_sha256(w.other, w.txn, "0" * 64),
    "count": lambda r, c, w: r.count(w.other),
    "merchant_history": lambda r, c, w: r.merchant_history(w.other, "Jumbo", exclude=w.receipt),
    "created_in_this_transaction": lambda r, c, w: r.created_in_this_transaction(
        w.other, ["shared-id"]
    ),
}
WRITES: dict[str, Attempt] = {
    "remove_receipt": lambda r, c, w: r.remove_receipt(w.other, w.txn, w.receipt),
    "require": lambda r, c, w: r.require(w.other, w.txn),
    "set_status": lambda r, c, w: r.set_status(w.other, w.txn, ExportStatus.READY),
    "replace_coding_lines": lambda r, c, w: r.replace_coding_lines(w.other, w.txn, [_line("9999")]),
    "replace_coding_lines_of": lambda r, c, w: r.replace_coding_lines_of(
        w.other, {w.txn: [_line("9999")]}
    ),
    "set_reasons": lambda r, c, w: r.set_reasons(w.other, {w.txn: "mallory was here"}),
    "move_status": lambda r, c, w: r.move_status(
        w.other, [r.require(w.own, w.txn)], ExportStatus.READY
    ),
    "add_receipt": lambda r, c, w: r.add_receipt(
        w.other,
        w.txn,
        sha256="1" * 64,
        filename="x.png",
        content_type="image/png",
        size_bytes=1,
        uploaded_by="mallory",
    ),
}
# Methods that only ever create rows for the company they are given.
OWN_ONLY: dict[str, Attempt] = {
    "add": lambda r, c, w: r.add(w.other, _values("shared-id")),
    "insert_new": lambda r, c, w: r.insert_new(w.other, [_values("shared-id")]),
}


@pytest.mark.parametrize("method", sorted(READS))
def test_another_company_reads_nothing(
    session_factory: sessionmaker[Session], world: World, method: str
) -> None:
    with UnitOfWork(session_factory) as uow:
        found = READS[method](
            TransactionRepository(uow.session), CompanyRepository(uow.session), world
        )
    assert found in EMPTY


@pytest.mark.parametrize("method", sorted(WRITES))
def test_another_company_cannot_change_anything(
    session_factory: sessionmaker[Session], world: World, method: str
) -> None:
    with UnitOfWork(session_factory) as uow:
        with pytest.raises(NotFound):
            WRITES[method](
                TransactionRepository(uow.session), CompanyRepository(uow.session), world
            )
        uow.commit()
    _assert_untouched(session_factory, world)


@pytest.mark.parametrize("method", sorted(OWN_ONLY))
def test_writing_with_the_same_keys_in_another_company_leaves_the_first_alone(
    session_factory: sessionmaker[Session], world: World, method: str
) -> None:
    with UnitOfWork(session_factory) as uow:
        OWN_ONLY[method](TransactionRepository(uow.session), CompanyRepository(uow.session), world)
        uow.commit()
    _assert_untouched(session_factory, world)


def _assert_untouched(session_factory: sessionmaker[Session], world: World) -> None:
    with UnitOfWork(session_factory) as uow:
        repo = TransactionRepository(uow.session)
        row = repo.require(world.own, world.txn)
        assert row.status == ExportStatus.TO_PREPARE
        assert [line.gl_account for line in repo.coding_lines(world.own, world.txn)] == ["4000"]
        assert [r.filename for r in repo.receipts(world.own, world.txn)] == ["r.pdf"]


def test_the_owner_does_see_its_own_rows(
    session_factory: sessionmaker[Session], world: World
) -> None:
    with UnitOfWork(session_factory) as uow:
        repo = TransactionRepository(uow.session)
        assert repo.count(world.own) == 1
        assert [t.id for t in repo.using_code(world.own, "gl_account", "4000")] == [world.txn]
        assert repo.receipt(world.own, world.receipt) is not None
        found = repo.receipt_with_sha256(world.own, world.txn, "0" * 64)
        assert found is not None
        assert found.id == world.receipt


def test_every_repository_method_has_a_tenancy_case() -> None:
    covered = set(READS) | set(WRITES) | set(OWN_ONLY)
    company_wide = {"get", "by_slug", "all", "count", "add"}  # the tenants themselves
    for repository in (TransactionRepository, CompanyRepository):
        public = {
            name
            for name, _ in inspect.getmembers(repository, inspect.isfunction)
            if not name.startswith("_")
        }
        if repository is CompanyRepository:
            public -= company_wide
        assert public <= covered, f"{repository.__name__}: no tenancy case for {public - covered}"


def test_status_changes_follow_the_export_state_machine(
    session_factory: sessionmaker[Session], world: World
) -> None:
    with UnitOfWork(session_factory) as uow:
        repo = TransactionRepository(uow.session)
        assert repo.set_status(world.own, world.txn, ExportStatus.READY).status == "ready"
        # (ready → exported is allowed: booked by hand in Exact; a run must queue it first.)
        with pytest.raises(InvalidTransition, match="cannot go from ready to exporting"):
            repo.set_status(world.own, world.txn, ExportStatus.EXPORTING)


def test_a_failed_export_keeps_its_reason_and_a_retry_clears_it(
    session_factory: sessionmaker[Session], world: World
) -> None:
    with UnitOfWork(session_factory) as uow:
        repo = TransactionRepository(uow.session)
        for status in (ExportStatus.READY, ExportStatus.QUEUED):
            repo.set_status(world.own, world.txn, status)
        with pytest.raises(InvalidTransition, match="needs its reason"):
            repo.set_status(world.own, world.txn, ExportStatus.FAILED)
        failed = repo.set_status(world.own, world.txn, ExportStatus.FAILED, "period closed")
        assert (failed.status, failed.status_reason) == ("failed", "period closed")
        retried = repo.set_status(world.own, world.txn, ExportStatus.READY)
        assert (retried.status, retried.status_reason) == ("ready", None)


def test_replacing_coding_lines_keeps_only_the_new_ones_in_order(
    session_factory: sessionmaker[Session], world: World
) -> None:
    with UnitOfWork(session_factory) as uow:
        repo = TransactionRepository(uow.session)
        repo.replace_coding_lines(world.own, world.txn, [_line("4100"), _line("4200")])
        lines = repo.coding_lines(world.own, world.txn)
        assert [(line.position, line.gl_account) for line in lines] == [(1, "4100"), (2, "4200")]
        assert repo.using_code(world.own, "gl_account", "4000") == []
        assert len(repo.using_code(world.own, "vat_code", "2")) == 1


CORE_TABLES = {
    "companies",
    "transactions",
    "coding_lines",
    "receipts",
    "audit_log",
    "users",
    "memberships",
    "sign_in_sessions",
    "invitations",
    "api_keys",
}


def test_the_migrations_build_exactly_the_core_tables_the_models_describe(engine: Engine) -> None:
    def core_only(obj: Any, name: str | None, kind: str, reflected: bool, other: Any) -> bool:
        table = obj if kind == "table" else getattr(obj, "table", None)
        return table is not None and table.name in CORE_TABLES and table.schema is None

    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": core_only}
        )
        assert compare_metadata(context, Base.metadata) == []


def test_a_member_has_one_of_three_roles_and_an_email_is_one_user_everywhere(
    session_factory: sessionmaker[Session], world: World
) -> None:
    with UnitOfWork(session_factory) as uow:
        anna = uow.users.add("Anna@A.example")
        with pytest.raises(ValueError, match="unknown role 'owner'"):
            uow.members.add(world.own, anna.id, "owner")
        uow.members.add(world.own, anna.id, "admin")
        uow.members.add(world.other, anna.id, "viewer")
        assert uow.users.by_email("ANNA@a.example") is anna
        assert [role for _, role in uow.users.memberships(anna.id)] == ["admin", "viewer"]
        uow.commit()
    for twice in (
        lambda uow: uow.users.add("anna@a.example"),
        lambda uow: uow.members.add(world.own, uow.users.by_email("anna@a.example").id, "viewer"),
    ):
        with UnitOfWork(session_factory) as uow, pytest.raises(IntegrityError):
            twice(uow)


@pytest.mark.parametrize(
    ("column", "value"), [("kind", "purchase"), ("status", "done"), ("amount", Decimal(0))]
)
def test_the_database_refuses_a_transaction_the_domain_would_never_make(
    session_factory: sessionmaker[Session], world: World, column: str, value: object
) -> None:
    with UnitOfWork(session_factory) as uow:
        change = update(TransactionRow).where(TransactionRow.id == world.txn)
        with pytest.raises(IntegrityError, match=f"ck_transactions_{column}_"):
            uow.session.execute(change.values({column: value}))


def test_the_database_accepts_every_kind_and_export_status_of_the_domain(
    session_factory: sessionmaker[Session], world: World
) -> None:
    values = [{"kind": kind.value} for kind in TransactionKind]
    values += [{"status": status.value} for status in ExportStatus]
    with UnitOfWork(session_factory) as uow:
        for value in values:
            uow.session.execute(
                update(TransactionRow).where(TransactionRow.id == world.txn).values(value)
            )
