"""The PostgreSQL rate budget and error budget shared by every worker."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from ledgerbridge.db.models.core import Company
from ledgerbridge.exact.errors import ExactBudgetExhausted
from ledgerbridge.exact.pacing import RateHeaders
from ledgerbridge.gateway.stores import PostgresErrorBudget, PostgresRateBudgetStore

NOW = datetime(2026, 11, 2, 9, 0, 5, tzinfo=UTC)


def test_eighty_calls_racing_for_one_minute_take_exactly_the_slots_above_the_margin(
    session_factory: sessionmaker[Session],
) -> None:
    store = PostgresRateBudgetStore(session_factory, minute_margin=3, day_margin=10)
    with ThreadPoolExecutor(max_workers=20) as pool:
        waits = list(pool.map(lambda _: store.acquire("app:1", NOW), range(80)))
    taken = [w for w in waits if w == 0.0]
    assert len(taken) == 57
    # Everyone refused is told to come back at the next whole minute.
    assert {round(w) for w in waits if w > 0} == {55}


def test_a_new_minute_gives_the_full_budget_again(session_factory: sessionmaker[Session]) -> None:
    store = PostgresRateBudgetStore(session_factory, minute_margin=0, day_margin=0)
    for _ in range(60):
        assert store.acquire("app:1", NOW) == 0.0
    assert store.acquire("app:1", NOW) > 0
    assert store.acquire("app:1", NOW + timedelta(seconds=55)) == 0.0


def test_exacts_lower_remaining_count_wins_within_a_window(
    session_factory: sessionmaker[Session],
) -> None:
    store = PostgresRateBudgetStore(session_factory, minute_margin=2, day_margin=10)
    store.acquire("app:7", NOW)
    reset = NOW.replace(second=0) + timedelta(minutes=1)
    store.observe(
        "app:7", RateHeaders(minute_limit=60, minute_remaining=3, minute_reset=reset), NOW
    )
    assert store.acquire("app:7", NOW) == 0.0
    assert store.acquire("app:7", NOW) > 0  # 1 left = the margin
    assert store.remaining("app:7", NOW) == (2, 4998)  # two slots taken today


def test_a_higher_limit_exact_reports_within_the_window_is_ours_to_use_at_once(
    session_factory: sessionmaker[Session],
) -> None:
    """An app whose division may make 1,000 calls a minute: the first answer says so in
    the very window we began under the documented 60. Every worker may then take the
    slots above the margin of 1,000, not wait for the next minute after 57 of them."""
    store = PostgresRateBudgetStore(session_factory, minute_margin=3, day_margin=10)
    for _ in range(10):
        assert store.acquire("app:9", NOW) == 0.0
    reset = NOW.replace(second=0) + timedelta(minutes=1)
    said = RateHeaders(minute_limit=1000, minute_remaining=995, minute_reset=reset,
                       day_limit=100_000, day_remaining=99_995)  # fmt: skip
    store.observe("app:9", said, NOW)  # five of our ten are not in Exact's count yet
    assert store.remaining("app:9", NOW) == (990, 99_990)
    taken = sum(store.acquire("app:9", NOW) == 0.0 for _ in range(1000))
    assert taken == 987
    lower = RateHeaders(minute_limit=50, minute_remaining=0, minute_reset=reset)
    store.observe("app:9", lower, NOW)
    assert store.acquire("app:9", NOW) > 0  # a lower limit is kept too


def test_the_day_budget_stops_calls_until_midnight(session_factory: sessionmaker[Session]) -> None:
    store = PostgresRateBudgetStore(session_factory, minute_margin=0, day_margin=100)
    midnight = datetime(2026, 11, 3, tzinfo=UTC)
    store.observe("app:1", RateHeaders(day_limit=5000, day_remaining=100, day_reset=midnight), NOW)
    assert store.acquire("app:1", NOW) == pytest.approx((midnight - NOW).total_seconds())


def _company(session_factory: sessionmaker[Session]) -> uuid.UUID:
    with session_factory.begin() as session:
        company = Company(slug=f"c{uuid.uuid4().hex[:6]}", name="Test B.V.", base_currency="EUR")
        session.add(company)
        session.flush()
        return company.id


def test_the_error_budget_stops_an_endpoint_at_its_cap_and_reopens_an_hour_later(
    session_factory: sessionmaker[Session],
) -> None:
    budget = PostgresErrorBudget(session_factory, _company(session_factory), cap=8)
    for minute in range(8):
        budget.check("1/financial/GLAccounts", NOW + timedelta(minutes=minute))
        budget.record("1/financial/GLAccounts", 404, NOW + timedelta(minutes=minute))
    budget.record("1/financial/GLAccounts", 200, NOW)  # successes are not counted
    with pytest.raises(ExactBudgetExhausted) as stopped:
        budget.check("1/financial/GLAccounts", NOW + timedelta(minutes=10))
    assert stopped.value.errors == 8
    budget.check("1/vat/VATCodes", NOW + timedelta(minutes=10))  # other endpoints unaffected
    budget.check("1/financial/GLAccounts", NOW + timedelta(minutes=61))
    assert budget.errors_by_endpoint(NOW + timedelta(minutes=10)) == {"1/financial/GLAccounts": 8}


def test_one_companys_errors_do_not_count_against_another(
    session_factory: sessionmaker[Session],
) -> None:
    first = PostgresErrorBudget(session_factory, _company(session_factory), cap=2)
    second = PostgresErrorBudget(session_factory, _company(session_factory), cap=2)
    first.record("1/x", 400, NOW)
    first.record("1/x", 400, NOW)
    with pytest.raises(ExactBudgetExhausted):
        first.check("1/x", NOW)
    second.check("1/x", NOW)
