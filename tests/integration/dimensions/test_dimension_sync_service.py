"""The dimension sync use case against a small in-memory Exact and a real database."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from dimension_fakes import (
    FakeExact,
    Line,
    add_company,
    add_transaction,
    demo_exact,
    guid,
)
from sqlalchemy.orm import Session, sessionmaker

from ledgerbridge.db.models.core import TransactionRow
from ledgerbridge.db.repositories.dimensions import DimensionRepository
from ledgerbridge.db.uow import UnitOfWork
from ledgerbridge.domain.dimension_facts import SupplierFacts
from ledgerbridge.domain.dimensions import Dimension, DimensionKind, DimensionSource
from ledgerbridge.exact.errors import ExactForbidden, ExactUnavailable
from ledgerbridge.exact.models import GLAccount, Project, VatCode
from ledgerbridge.services.dimensions.gather import OVERLAP
from ledgerbridge.services.dimensions.sync import (
    ReplacementNotConfirmed,
    SyncOutcome,
    preview_replacement,
    require_replacement_confirmed,
    sync_dimensions,
)

K = DimensionKind


@pytest.fixture
def company(session_factory: sessionmaker[Session]) -> uuid.UUID:
    return add_company(session_factory)


def run(
    session_factory: sessionmaker[Session], company: uuid.UUID, exact: FakeExact
) -> SyncOutcome:
    return sync_dimensions(
        lambda: UnitOfWork(session_factory), company, exact, now=lambda: exact.now
    )


def held(
    session_factory: sessionmaker[Session], company: uuid.UUID
) -> dict[tuple[K, str], Dimension]:
    with UnitOfWork(session_factory) as uow:
        return {(d.kind, d.code): d for d in DimensionRepository(uow.session).all(company)}


def status_of(session_factory: sessionmaker[Session], txn: uuid.UUID) -> tuple[str, str | None]:
    with session_factory() as session:
        row = session.get(TransactionRow, txn)
        assert row is not None
        return row.status, row.status_reason


def test_the_first_sync_pulls_every_kind_and_locks_them(
    session_factory: sessionmaker[Session], company: uuid.UUID
) -> None:
    outcome = run(session_factory, company, demo_exact())
    assert (outcome.mode, outcome.status) == ("full", "ok")
    found = held(session_factory, company)
    assert {kind for kind, _ in found} == {
        K.GL_ACCOUNT, K.VAT_CODE, K.COST_CENTER, K.COST_UNIT, K.PROJECT, K.JOURNAL,
        K.SUPPLIER, K.DOCUMENT_TYPE,
    }  # fmt: skip
    assert all(d.locked and d.synced_at is not None for d in found.values())
    assert "3 GL accounts added" in outcome.lines
    shell = found[(K.SUPPLIER, "1068")].facts
    assert isinstance(shell, SupplierFacts) and shell.purchase_vat_code == "2"


def test_changes_made_in_exact_show_up_in_the_next_sync_with_their_impact(
    session_factory: sessionmaker[Session], company: uuid.UUID
) -> None:
    exact = demo_exact()
    run(session_factory, company, exact)
    ready = add_transaction(session_factory, company, "t-ready", Line("4000", "2"), status="ready")
    preparing = add_transaction(
        session_factory, company, "t-prep", Line("4100", "2", cost_center="KP1")
    )
    untouched = add_transaction(
        session_factory, company, "t-ok", Line("4100", "2", cost_center="KP2"), status="ready"
    )
    exact.now += timedelta(hours=1)
    exact.change("gl_accounts", "4000", blocked=True)
    exact.change("cost_centers", "KP1", end_date=date(2026, 11, 1))
    exact.delete("suppliers", "1069", entity_type=2)
    exact.put("projects", Project(guid(104), "P-104", "New office", 3, None, None, None, None))

    outcome = run(session_factory, company, exact)

    assert (outcome.mode, outcome.status) == ("incremental", "ok")
    assert outcome.lines[:4] == [
        "1 project added",
        "GL account 4000 blocked",
        "cost centre KP1 ended (end date 2026-11-01)",
        "supplier KLM (1069) deleted",
    ]
    found = held(session_factory, company)
    assert found[(K.GL_ACCOUNT, "4000")].blocked
    assert (K.SUPPLIER, "1069") not in found
    assert (K.PROJECT, "P-104") in found
    assert status_of(session_factory, ready) == (
        "to_prepare", "GL account 4000 is blocked in Exact Online"
    )  # fmt: skip
    assert status_of(session_factory, preparing) == (
        "to_prepare", "cost centre KP1 ended on 2026-11-01"
    )  # fmt: skip
    assert status_of(session_factory, untouched) == ("ready", None)
    assert [f.external_id for f in outcome.flagged] == ["t-prep", "t-ready"]
    assert any("t-ready" in line and "moved back to to prepare" in line for line in outcome.lines)


def test_a_sync_with_nothing_changed_costs_at_most_one_call_per_resource(
    session_factory: sessionmaker[Session], company: uuid.UUID
) -> None:
    exact = demo_exact()
    run(session_factory, company, exact)
    exact.calls.clear()
    exact.now += timedelta(minutes=15)
    outcome = run(session_factory, company, exact)
    assert outcome.lines == ["no changes"]
    assert exact.calls and max(exact.calls.values()) == 1


def test_polled_resources_ask_from_the_last_modified_with_a_small_overlap(
    session_factory: sessionmaker[Session], company: uuid.UUID
) -> None:
    exact = demo_exact()
    run(session_factory, company, exact)
    asked: list[object] = []
    original = exact.vat_codes
    exact.vat_codes = lambda modified_since=None: (
        asked.append(modified_since)
        or original(  # type: ignore[method-assign]
            modified_since
        )
    )
    run(session_factory, company, exact)
    assert asked == [exact.now - OVERLAP]


def test_a_failed_sync_leaves_the_previous_dimensions_and_the_next_run_completes(
    session_factory: sessionmaker[Session], company: uuid.UUID
) -> None:
    exact = demo_exact()
    run(session_factory, company, exact)
    exact.now += timedelta(hours=1)
    exact.change("gl_accounts", "4000", blocked=True)
    exact.change("vat_codes", "2", description="Changed")
    exact.failing["journals"] = ExactUnavailable("Exact is down", status=503)

    failed = run(session_factory, company, exact)

    assert failed.status == "failed" and "Exact is down" in (failed.error or "")
    assert not held(session_factory, company)[(K.GL_ACCOUNT, "4000")].blocked
    del exact.failing["journals"]
    done = run(session_factory, company, exact)
    assert done.status == "ok"
    assert "GL account 4000 blocked" in done.lines
    assert held(session_factory, company)[(K.VAT_CODE, "2")].name == "Changed"


def test_positions_survive_a_restart_so_the_next_sync_asks_only_for_newer_rows(
    session_factory: sessionmaker[Session], company: uuid.UUID
) -> None:
    exact = demo_exact()
    run(session_factory, company, exact)
    asked: list[int] = []
    restarted = demo_exact()  # a new process: nothing in memory but the database
    restarted.stamp, restarted.now = exact.stamp, exact.now
    original = restarted.sync_gl_accounts
    restarted.sync_gl_accounts = lambda since: asked.append(since) or original(since)  # type: ignore[method-assign]
    outcome = run(session_factory, company, restarted)
    assert outcome.mode == "incremental"
    assert asked == [max(r.timestamp for r in exact.records["gl_accounts"].values())]


def test_a_resource_the_licence_lacks_is_named_and_the_rest_is_synced(
    session_factory: sessionmaker[Session], company: uuid.UUID
) -> None:
    exact = demo_exact()
    exact.failing["cost_units"] = ExactForbidden("NoDivisionAccess", "Division not accessible")
    outcome = run(session_factory, company, exact)
    assert outcome.status == "ok"
    assert any(line.startswith("cost units: not available") for line in outcome.lines)
    assert (K.GL_ACCOUNT, "4000") in held(session_factory, company)


def test_a_division_move_forces_a_full_refresh_that_removes_what_exact_no_longer_has(
    session_factory: sessionmaker[Session], company: uuid.UUID
) -> None:
    exact = demo_exact()
    run(session_factory, company, exact)
    exact.move_date = exact.now
    del exact.records["cost_centers"][next(iter(exact.records["cost_centers"]))]  # no sync/Deleted
    outcome = run(session_factory, company, exact)
    assert outcome.mode == "full"
    assert "cost centre KP1 deleted" in outcome.lines


def test_connecting_replaces_local_dimensions_after_saying_what_goes(
    session_factory: sessionmaker[Session], company: uuid.UUID
) -> None:
    with UnitOfWork(session_factory) as uow:
        DimensionRepository(uow.session).save(company, [
            Dimension(K.GL_ACCOUNT, "4000", "Local car costs"),
            Dimension(K.GL_ACCOUNT, "9999", "Local misc"),
        ])  # fmt: skip
        uow.commit()
    txn = add_transaction(session_factory, company, "t1", Line("9999"), status="ready")
    uow_factory = lambda: UnitOfWork(session_factory)  # noqa: E731
    preview = preview_replacement(uow_factory, company)
    assert [d.code for d in preview.local_dimensions] == ["4000", "9999"]
    assert [u.transaction_id for u in preview.transactions] == [txn]
    assert preview.message.startswith("2 local dimensions will be replaced")

    outcome = run(session_factory, company, demo_exact())

    found = held(session_factory, company)
    assert found[(K.GL_ACCOUNT, "4000")].source is DimensionSource.EXACT
    assert (K.GL_ACCOUNT, "9999") not in found
    assert "2 local GL accounts replaced by Exact Online's" in outcome.lines
    status, reason = status_of(session_factory, txn)
    assert status == "to_prepare" and "GL account 9999 was a local value" in (reason or "")


def test_one_company_sync_never_touches_another_company(
    session_factory: sessionmaker[Session], company: uuid.UUID
) -> None:
    other = add_company(session_factory, "other")
    run(session_factory, company, demo_exact())
    assert held(session_factory, other) == {}


def test_a_failure_while_applying_rolls_back_every_change_of_that_run(
    session_factory: sessionmaker[Session], company: uuid.UUID
) -> None:
    exact = demo_exact()
    run(session_factory, company, exact)
    txn = add_transaction(session_factory, company, "t1", Line("4000", "2"), status="ready")
    exact.now += timedelta(hours=1)
    exact.change("gl_accounts", "4000", blocked=True)

    crashes = [RuntimeError("database connection lost")]

    def crash() -> int:  # called once after dimensions and transactions were written
        if crashes:
            raise crashes.pop()
        return 0

    failed = sync_dimensions(
        lambda: UnitOfWork(session_factory), company, exact, now=lambda: exact.now,
        api_calls=crash,
    )  # fmt: skip

    assert failed.status == "failed"
    assert not held(session_factory, company)[(K.GL_ACCOUNT, "4000")].blocked
    assert status_of(session_factory, txn) == ("ready", None)
    again = run(session_factory, company, exact)
    assert "GL account 4000 blocked" in again.lines
    assert status_of(session_factory, txn)[0] == "to_prepare"


def test_without_a_full_refresh_for_a_day_and_a_half_the_next_sync_is_a_full_one(
    session_factory: sessionmaker[Session], company: uuid.UUID
) -> None:
    exact = demo_exact()
    run(session_factory, company, exact)
    exact.now += timedelta(hours=24)
    assert run(session_factory, company, exact).mode == "incremental"
    exact.now += timedelta(hours=13)
    assert run(session_factory, company, exact).mode == "full"


def test_unusable_and_duplicate_records_are_skipped_and_named_without_failing_the_sync(
    session_factory: sessionmaker[Session], company: uuid.UUID
) -> None:
    exact = demo_exact()
    exact.put("gl_accounts", GLAccount(guid(99), "4000", "Twin", 121, "W", False, None, 0, 0,
                                       None, None))  # fmt: skip
    exact.put("vat_codes", VatCode(guid(98), "X1", "Odd", "?", "P", False, Decimal(0), (),
                                   False, None))  # fmt: skip
    outcome = run(session_factory, company, exact)
    assert outcome.status == "ok"
    assert (
        "GL account 4000 (GL 4000) skipped: its code is used twice in Exact; "
        "the most recently changed one (Twin) is kept"
    ) in outcome.lines
    assert "VAT code X1 skipped: has an unknown VAT type ('?')" in outcome.lines
    found = held(session_factory, company)
    assert found[(K.GL_ACCOUNT, "4000")].name == "Twin"
    exact.now += timedelta(minutes=15)
    exact.change("gl_accounts", "4100", description="Renamed")
    again = run(session_factory, company, exact).lines
    assert again[0] == "1 GL account changed" and not any("4000" in line for line in again)
    assert held(session_factory, company)[(K.GL_ACCOUNT, "4000")].name == "Twin"  # no flip
    assert (K.VAT_CODE, "X1") not in found


def test_a_nightly_full_refresh_does_not_reread_the_whole_deletion_history(
    session_factory: sessionmaker[Session], company: uuid.UUID
) -> None:
    exact = demo_exact()
    exact.delete("suppliers", "1069", entity_type=2)
    run(session_factory, company, exact)
    asked: list[int] = []
    original = exact.sync_deleted
    exact.sync_deleted = lambda since: asked.append(since) or original(since)  # type: ignore[method-assign]
    nightly = sync_dimensions(
        lambda: UnitOfWork(session_factory), company, exact, mode="full", now=lambda: exact.now
    )
    assert nightly.mode == "full"
    assert asked == [exact.deleted[-1].timestamp]
    exact.move_date = exact.now  # Exact moved the division: its timestamps start again
    run(session_factory, company, exact)
    assert asked[-1] == 0


def test_an_account_that_stops_being_a_supplier_goes_at_the_next_sync(
    session_factory: sessionmaker[Session], company: uuid.UUID
) -> None:
    exact = demo_exact()
    run(session_factory, company, exact)
    txn = add_transaction(session_factory, company, "t1", Line("4000", "2"), status="ready")
    exact.now += timedelta(minutes=15)
    exact.change("suppliers", "1069", is_supplier=False)

    outcome = run(session_factory, company, exact)

    assert outcome.mode == "incremental"
    assert "supplier KLM (1069) deleted" in outcome.lines
    assert (K.SUPPLIER, "1069") not in held(session_factory, company)
    assert (K.SUPPLIER, "1068") in held(session_factory, company)
    assert status_of(session_factory, txn) == ("ready", None)


def test_with_a_client_that_gives_only_suppliers_a_former_supplier_goes_at_the_full_refresh(
    session_factory: sessionmaker[Session], company: uuid.UUID
) -> None:
    exact = demo_exact()
    exact.sync_accounts = None  # type: ignore[assignment,method-assign]
    run(session_factory, company, exact)
    exact.now += timedelta(minutes=15)
    exact.change("suppliers", "1069", is_supplier=False)
    assert run(session_factory, company, exact).lines == ["no changes"]
    nightly = sync_dimensions(
        lambda: UnitOfWork(session_factory), company, exact, mode="full", now=lambda: exact.now
    )
    assert "supplier KLM (1069) deleted" in nightly.lines


def test_connecting_over_local_dimensions_needs_a_confirmation_first(
    session_factory: sessionmaker[Session], company: uuid.UUID
) -> None:
    uow_factory = lambda: UnitOfWork(session_factory)  # noqa: E731
    assert require_replacement_confirmed(uow_factory, company, confirmed=False).message == (
        "No local dimensions: Exact Online's dimensions will be pulled."
    )
    with UnitOfWork(session_factory) as uow:
        DimensionRepository(uow.session).save(company, [Dimension(K.PROJECT, "P1", "Mine")])
        uow.commit()
    with pytest.raises(ReplacementNotConfirmed, match="1 local dimension will be replaced"):
        require_replacement_confirmed(uow_factory, company, confirmed=False)
    confirmed = require_replacement_confirmed(uow_factory, company, confirmed=True)
    assert [d.code for d in confirmed.local_dimensions] == ["P1"]


def test_a_deletion_is_found_by_its_key_whatever_entity_type_exact_gives_it(
    session_factory: sessionmaker[Session], company: uuid.UUID
) -> None:
    exact = demo_exact()
    run(session_factory, company, exact)
    exact.now += timedelta(minutes=15)
    exact.delete("gl_accounts", "4100", entity_type=12345)  # the numbering is unconfirmed
    exact.delete("projects", "P-100", entity_type=2)

    outcome = run(session_factory, company, exact)

    assert outcome.mode == "incremental"
    assert outcome.lines == ["GL account 4100 deleted", "project P-100 deleted"]
    found = held(session_factory, company)
    assert (K.GL_ACCOUNT, "4100") not in found and (K.PROJECT, "P-100") not in found
    assert (K.SUPPLIER, "1068") in found


def test_a_gl_account_made_cost_centre_mandatory_sends_back_only_lines_without_one(
    session_factory: sessionmaker[Session], company: uuid.UUID
) -> None:
    exact = demo_exact()
    run(session_factory, company, exact)
    without = add_transaction(session_factory, company, "t1", Line("4100", "2"), status="ready")
    with_one = add_transaction(
        session_factory, company, "t2", Line("4100", "2", cost_center="KP2"), status="ready"
    )
    exact.now += timedelta(minutes=15)
    exact.change("gl_accounts", "4100", use_cost_center=1)

    outcome = run(session_factory, company, exact)

    assert outcome.lines[0] == "1 GL account changed"
    assert status_of(session_factory, without) == (
        "to_prepare",
        "GL account 4100 now requires a cost centre in Exact Online",
    )
    assert status_of(session_factory, with_one) == ("ready", None)
