"""Every dimension query is scoped to one company: another company's values, runs,
sync positions and transactions are never seen nor touched."""

from __future__ import annotations

import inspect
import uuid
from datetime import timedelta

from dimension_fakes import FakeExact, Line, add_company, add_transaction, demo_exact
from sqlalchemy.orm import Session, sessionmaker

from ledgerbridge.db.models.core import TransactionRow
from ledgerbridge.db.repositories.dimensions import DimensionFilter, DimensionRepository
from ledgerbridge.db.uow import UnitOfWork
from ledgerbridge.domain.dimensions import Dimension, DimensionKind
from ledgerbridge.domain.upkeep import PollState
from ledgerbridge.services.dimensions.sync import sync_dimensions

K = DimensionKind


def sync(session_factory: sessionmaker[Session], company: uuid.UUID, exact: FakeExact) -> int:
    return sync_dimensions(
        lambda: UnitOfWork(session_factory), company, exact, now=lambda: exact.now
    ).run_id


def status(session: Session, txn: uuid.UUID) -> str:
    row = session.get(TransactionRow, txn)
    assert row is not None
    return row.status


def gl_4000(repo: DimensionRepository, company: uuid.UUID) -> Dimension:
    found = repo.get(company, K.GL_ACCOUNT, "4000")
    assert found is not None
    return found


def test_every_repository_method_takes_the_company_first() -> None:
    for name, method in inspect.getmembers(DimensionRepository, inspect.isfunction):
        if name.startswith("__"):
            continue
        assert list(inspect.signature(method).parameters)[1] == "company_id", name


def test_a_sync_and_the_repository_see_only_their_own_company(
    session_factory: sessionmaker[Session],
) -> None:
    own, other = add_company(session_factory, "own"), add_company(session_factory, "other")
    exacts = {own: demo_exact(), other: demo_exact()}  # the same codes and Exact ids in both
    txns: dict[uuid.UUID, uuid.UUID] = {}
    for company, exact in exacts.items():
        sync(session_factory, company, exact)
        txns[company] = add_transaction(
            session_factory, company, "t1", Line("4000", "2"), status="ready"
        )
    exact = exacts[own]
    exact.now += timedelta(minutes=15)
    exact.change("gl_accounts", "4000", blocked=True)
    own_run = sync(session_factory, own, exact)

    with UnitOfWork(session_factory) as uow:
        repo = DimensionRepository(uow.session)
        assert gl_4000(repo, own).blocked and not gl_4000(repo, other).blocked
        assert (status(uow.session, txns[own]), status(uow.session, txns[other])) == (
            "to_prepare",
            "ready",
        )
        assert repo.run(other, own_run) is None
        assert len(repo.runs(own)) == 2 and len(repo.runs(other)) == 1
        uses = repo.open_uses(other, [(K.VAT_CODE, "2")], ["ready", "to_prepare"])
        assert [u.transaction_id for u in uses] == [txns[other]]
        codings = repo.open_codings(other, [(K.GL_ACCOUNT, "4000")], ["ready", "to_prepare"])
        assert [(c.transaction_id, c.status) for c in codings] == [(txns[other], "ready")]
        assert [line.gl_account for line in codings[0].lines] == ["4000"]
        ids = [(K.GL_ACCOUNT, gl_4000(repo, own).exact_id or "")]
        assert {d.code for d in repo.matching(other, [], ids)} == {"4000"}
        assert repo.remove(own, [(K.GL_ACCOUNT, "4100")]) == 1
        assert len(repo.page(other, DimensionFilter(kind=K.GL_ACCOUNT))) == 3
        assert len(repo.all(own, kind=K.GL_ACCOUNT)) == 2


def test_poll_schedules_and_prep_activity_are_per_company(
    session_factory: sessionmaker[Session],
) -> None:
    own, other = add_company(session_factory, "own"), add_company(session_factory, "other")
    at = demo_exact().now
    with UnitOfWork(session_factory) as uow:
        repo = uow.dimensions
        repo.save_poll_states(own, [PollState("suppliers", timedelta(minutes=40), at)])
        repo.note_prep_activity(own, at)
        uow.commit()
    with UnitOfWork(session_factory) as uow:
        repo = uow.dimensions
        assert repo.poll_states(own)["suppliers"].interval == timedelta(minutes=40)
        assert repo.poll_states(other) == {}
        assert (repo.prep_seen_at(own), repo.prep_seen_at(other)) == (at, None)


def test_prep_activity_is_written_at_most_once_a_minute(
    session_factory: sessionmaker[Session],
) -> None:
    own = add_company(session_factory, "own")
    at = demo_exact().now
    for seconds in (0, 30, 59, 61):
        with UnitOfWork(session_factory) as uow:
            uow.dimensions.note_prep_activity(own, at + timedelta(seconds=seconds))
            uow.commit()
    with UnitOfWork(session_factory) as uow:
        assert uow.dimensions.prep_seen_at(own) == at + timedelta(seconds=61)
