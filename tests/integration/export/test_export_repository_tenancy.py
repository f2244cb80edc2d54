"""Every export query is scoped to one company: another company's runs, sagas, queue and
history are never seen, and its transactions can never be handed to a run."""

from __future__ import annotations

import inspect
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker

from ledgerbridge.db.models.core import Company
from ledgerbridge.db.repositories import NotFound
from ledgerbridge.db.repositories.exports import ExportRepository, HistoryFilter
from ledgerbridge.db.repositories.transactions import TransactionRepository
from ledgerbridge.db.uow import UnitOfWork

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def company(session_factory: sessionmaker[Session], slug: str) -> uuid.UUID:
    with session_factory.begin() as session:
        row = Company(slug=slug, name=slug, base_currency="EUR")
        session.add(row)
        session.flush()
        return row.id


def transaction(session_factory: sessionmaker[Session], company_id: uuid.UUID, ref: str,
                status: str) -> uuid.UUID:  # fmt: skip
    with session_factory.begin() as session:
        return TransactionRepository(session).add(company_id, {
            "external_id": ref, "kind": "card_payment", "booking_date": date(2026, 11, 2),
            "merchant_name": "Shell", "amount": Decimal("-1"), "currency": "EUR",
            "original_amount": Decimal("-1"), "original_currency": "EUR", "status": status,
        }).id  # fmt: skip


def test_every_method_takes_the_company_first_but_the_sweepers() -> None:
    for name, method in inspect.getmembers(ExportRepository, inspect.isfunction):
        if name.startswith("_") or getattr(method, "installation_wide", False):
            continue
        assert list(inspect.signature(method).parameters)[1] == "company_id", name


def test_another_company_sees_and_touches_nothing_of_the_first(
    session_factory: sessionmaker[Session],
) -> None:
    own, other = company(session_factory, "own"), company(session_factory, "other")
    queued = transaction(session_factory, own, "A-1", "queued")
    failed = transaction(session_factory, own, "A-2", "failed")
    exported = transaction(session_factory, own, "A-3", "exported")
    theirs = transaction(session_factory, other, "B-1", "queued")
    with UnitOfWork(session_factory) as uow:
        run = uow.exports.add_run(own, division=1, started_by="anna", at=AT, total=3)
        uow.exports.begin(own, [queued, failed, exported],
                          {queued: "A-1", failed: "A-2", exported: "A-3"}, run.id, AT)  # fmt: skip
        uow.exports.booked_manually(own, exported, reference="A-3", entry_number=7, by="anna",
                                    at=AT)  # fmt: skip
        run_id = run.id
        uow.commit()

    with UnitOfWork(session_factory) as uow:
        repo = uow.exports
        assert repo.run(other, run_id) is None
        assert repo.runs(other) == []
        assert repo.progress(other, run_id).total == 0
        assert repo.saga(other, queued) is None
        assert repo.sagas(other, [queued, failed]) == {}
        assert repo.of_run(other, run_id) == []
        assert repo.queue(other) == []
        assert repo.history(other, HistoryFilter()) == []
        with pytest.raises(NotFound):
            repo.begin(other, [queued], {queued: "A-1"}, run_id, AT)
        with pytest.raises(NotFound):
            repo.booked_manually(other, failed, reference="A-2", entry_number=1, by="m", at=AT)
        assert (own, run_id) in repo.unfinished_runs()  # the sweeper sees every company

    with UnitOfWork(session_factory) as uow:  # B's own work leaves A's alone
        other_run = uow.exports.add_run(other, division=2, started_by="bob", at=AT, total=1)
        uow.exports.begin(other, [theirs], {theirs: "B-1"}, other_run.id, AT)
        uow.commit()
    with UnitOfWork(session_factory) as uow:
        assert [s.transaction_id for s in uow.exports.of_run(own, run_id)] != []
        assert {s.reference for s in uow.exports.of_run(own, run_id)} == {"A-1", "A-2", "A-3"}
        assert [t.external_id for t, _ in uow.exports.history(own, HistoryFilter())] == ["A-3"]
        assert uow.exports.progress(own, run_id).total == 3
