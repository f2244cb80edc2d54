"""PostgreSQL-backed rate budget and error budget, shared by every worker on every machine.

``PostgresRateBudgetStore`` implements ``exact.pacing.RateBudgetStore``: each
``acquire`` is one short transaction that locks the key's row (``SELECT … FOR
UPDATE``), rolls expired windows over, and takes a slot only when both windows
have more than their safety margin left — two workers can never take the last
slot. The same transaction counts the call in ``exact_call_counts`` (key, UTC day of
``now``, purpose), so a call is counted exactly when it took a slot: one refused a
slot is not, and a retry sent again is counted again. ``observe`` merges Exact's
headers under the same lock. There is one row per app and division, whichever company
(and worker) made the call: the health report reads it from there.

``PostgresErrorBudget`` implements ``exact.error_budget.ErrorBudget`` for one
company: 400/401/403/404 answers are counted per endpoint and minute, and an
endpoint is refused once the last hour holds ``cap`` of them.

Times always come from the caller (``now``), never from the database clock, so
tests and benchmarks run on the sandbox's FakeClock.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, sessionmaker

from ledgerbridge.db.models.exact import ExactEndpointErrors, ExactRateBudget
from ledgerbridge.db.repositories.calls import add_call
from ledgerbridge.exact.error_budget import COUNTED_STATUSES, DEFAULT_CAP
from ledgerbridge.exact.errors import ExactBudgetExhausted
from ledgerbridge.exact.pacing import (
    DEFAULT_DAY_LIMIT,
    DEFAULT_MINUTE_LIMIT,
    RateHeaders,
    next_midnight,
    next_minute,
)
from ledgerbridge.exact.purpose import Purpose

HOUR = timedelta(hours=1)


def _roll(budget: ExactRateBudget, now: datetime) -> None:
    if budget.minute_reset_at is None or now >= budget.minute_reset_at:
        budget.minute_remaining, budget.minute_reset_at = budget.minute_limit, next_minute(now)
    if budget.day_reset_at is None or now >= budget.day_reset_at:
        budget.day_remaining, budget.day_reset_at = budget.day_limit, next_midnight(now)


def _merge(
    limit: int | None,
    remaining: int | None,
    reset: datetime | None,
    current: tuple[int, int, datetime | None],
) -> tuple[int, int, datetime | None]:
    """(limit, remaining, reset) after Exact reported ``limit/remaining/reset``.

    Within one window the lower count wins (our in-flight calls are not in
    Exact's number yet), ours first moved by the change of limit: what we counted was
    counted against the old limit (the documented 60 before Exact first answered), so
    a higher limit adds its difference to what is left, a lower one takes it away. A
    later reset starts a new window with Exact's numbers.
    """
    old_limit, old_remaining, old_reset = current
    if remaining is None:
        return current
    new_limit = limit if limit is not None else old_limit
    if reset is not None and (old_reset is None or reset > old_reset):
        return new_limit, remaining, reset
    ours = old_remaining + (new_limit - old_limit)
    return new_limit, min(ours, remaining), old_reset


class PostgresRateBudgetStore:
    """A ``RateBudgetStore`` in table ``exact_rate_budgets``; see the module docstring.

    ``minute_margin``/``day_margin`` slots are never used (other apps' clocks, calls
    in flight, interactive work).
    """

    def __init__(
        self, session_factory: sessionmaker[Session], minute_margin: int = 2, day_margin: int = 50
    ) -> None:
        self._sessions = session_factory
        self.minute_margin = minute_margin
        self.day_margin = day_margin

    def acquire(self, key: str, now: datetime, purpose: Purpose = Purpose.OTHER) -> float:
        """Take one slot (0.0) and count one call of ``purpose``, or return the seconds
        until a window resets (nothing counted); atomic."""
        with self._sessions.begin() as session:
            budget = self._locked(session, key, now)
            _roll(budget, now)
            if budget.day_remaining <= self.day_margin:
                return self._wait_until(budget.day_reset_at, now)
            if budget.minute_remaining <= self.minute_margin:
                return self._wait_until(budget.minute_reset_at, now)
            budget.minute_remaining -= 1
            budget.day_remaining -= 1
            budget.updated_at = now
            add_call(session, key, now, purpose)
            return 0.0

    def observe(self, key: str, headers: RateHeaders, now: datetime) -> None:
        """Merge Exact's headers for ``key`` and mirror them on the connection row."""
        with self._sessions.begin() as session:
            budget = self._locked(session, key, now)
            _roll(budget, now)
            budget.minute_limit, budget.minute_remaining, budget.minute_reset_at = _merge(
                headers.minute_limit,
                headers.minute_remaining,
                headers.minute_reset,
                (budget.minute_limit, budget.minute_remaining, budget.minute_reset_at),
            )
            budget.day_limit, budget.day_remaining, budget.day_reset_at = _merge(
                headers.day_limit,
                headers.day_remaining,
                headers.day_reset,
                (budget.day_limit, budget.day_remaining, budget.day_reset_at),
            )
            budget.updated_at = now

    def remaining(self, key: str, now: datetime) -> tuple[int, int] | None:
        """(minute, day) calls left as of ``now``, or None before the first call; read-only."""
        budget = self.snapshot(key, now)
        return None if budget is None else (budget.minute_remaining, budget.day_remaining)

    def snapshot(self, key: str, now: datetime) -> ExactRateBudget | None:
        """The key's budget as of ``now`` (a window that has reset shows its full limit),
        detached from any session; None before the first call. Read-only."""
        with self._sessions() as session:
            budget = session.get(ExactRateBudget, key)
            if budget is None:
                return None
            session.expunge(budget)
        _roll(budget, now)
        return budget

    @staticmethod
    def _wait_until(reset: datetime | None, now: datetime) -> float:
        if reset is None:
            return 1.0
        return max((reset - now).total_seconds(), 0.001)

    @staticmethod
    def _locked(session: Session, key: str, now: datetime) -> ExactRateBudget:
        session.execute(
            insert(ExactRateBudget)
            .values(
                key=key,
                minute_limit=DEFAULT_MINUTE_LIMIT,
                minute_remaining=DEFAULT_MINUTE_LIMIT,
                minute_reset_at=next_minute(now),
                day_limit=DEFAULT_DAY_LIMIT,
                day_remaining=DEFAULT_DAY_LIMIT,
                day_reset_at=next_midnight(now),
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["key"])
        )
        return session.execute(
            select(ExactRateBudget).where(ExactRateBudget.key == key).with_for_update()
        ).scalar_one()


def _minute(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0)


class PostgresErrorBudget:
    """An ``ErrorBudget`` for one company in table ``exact_endpoint_errors``.

    Counts per endpoint per minute (column ``minute``) and sums the last hour, so the
    cap is a sliding hour like Exact's, not a clock hour that could allow twice the cap
    across its boundary.
    """

    def __init__(
        self, session_factory: sessionmaker[Session], company_id: uuid.UUID, cap: int = DEFAULT_CAP
    ) -> None:
        self._sessions = session_factory
        self.company_id = company_id
        self.cap = cap

    def check(self, endpoint: str, now: datetime) -> None:
        """Raise ``ExactBudgetExhausted`` when ``endpoint`` had ``cap`` errors in the last hour."""
        with self._sessions() as session:
            count, oldest = session.execute(
                select(
                    func.coalesce(func.sum(ExactEndpointErrors.count), 0),
                    func.min(ExactEndpointErrors.minute),
                ).where(*self._recent(endpoint, now))
            ).one()
        if int(count) >= self.cap:
            raise ExactBudgetExhausted(endpoint, oldest + HOUR + timedelta(minutes=1), int(count))

    def record(self, endpoint: str, status: int, now: datetime) -> None:
        """Count ``status`` if Exact counts it (400/401/403/404); atomic upsert."""
        if status not in COUNTED_STATUSES:
            return
        statement = insert(ExactEndpointErrors).values(
            company_id=self.company_id, endpoint=endpoint, minute=_minute(now), count=1
        )
        statement = statement.on_conflict_do_update(
            index_elements=["company_id", "endpoint", "minute"],
            set_={"count": ExactEndpointErrors.count + 1},
        )
        with self._sessions.begin() as session:
            session.execute(statement)

    def errors_by_endpoint(self, now: datetime) -> dict[str, int]:
        """Errors per endpoint in the last hour (health report)."""
        with self._sessions() as session:
            rows = session.execute(
                select(ExactEndpointErrors.endpoint, func.sum(ExactEndpointErrors.count))
                .where(ExactEndpointErrors.company_id == self.company_id)
                .where(ExactEndpointErrors.minute > _minute(now) - HOUR)
                .group_by(ExactEndpointErrors.endpoint)
            ).all()
        return {endpoint: int(count) for endpoint, count in rows}

    def _recent(self, endpoint: str, now: datetime) -> tuple[ColumnElement[bool], ...]:
        return (
            ExactEndpointErrors.company_id == self.company_id,
            ExactEndpointErrors.endpoint == endpoint,
            ExactEndpointErrors.minute > _minute(now) - HOUR,
        )
