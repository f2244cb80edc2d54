"""Calls made to Exact per app and division, day and purpose (``exact_call_counts``).

Exact's limits are per app and division, not per company, so the rows are keyed like
the rate budget (``call_key``: "client_id:division"). A company reaches them only
through its own connection: each method resolves the key from the company's
``exact_connections`` row and never takes a key from its caller. Two companies
connected to the same division with the same app share that division's figures, as
they share its limit.

``add_call`` is the one upsert that counts a call; the rate budget store calls it in
the transaction that takes the call's slot, and the token chain in the transaction
that counts a token-endpoint call.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from ledgerbridge.db.models.exact import ExactConnection, ExactRateBudget
from ledgerbridge.db.models.upkeep import ExactCallCountRow
from ledgerbridge.db.repositories.connections import installation_wide

# Where calls made before a division is chosen are paced and counted (current/Me,
# system/Divisions under division 0, the code exchange of a first consent).
NO_DIVISION = 0


def call_key(client_id: str, division: int) -> str:
    """The key of one app and division, shared with ``exact_rate_budgets``."""
    return f"{client_id}:{division}"


def utc_day(at: datetime) -> date:
    """The UTC date of ``at``: Exact's daily window resets at 00:00 UTC."""
    return at.astimezone(UTC).date()


def add_call(session: Session, key: str, at: datetime, purpose: str) -> None:
    """Count one call under ``key`` on the UTC day of ``at``; one atomic upsert."""
    statement = insert(ExactCallCountRow).values(key=key, day=utc_day(at), purpose=purpose, calls=1)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["key", "day", "purpose"],
            set_={"calls": ExactCallCountRow.calls + 1},
        )
    )


@dataclass(frozen=True)
class StoredDayBudget:
    """The division's rate budget as last stored (Exact's headers merged with our slots);
    windows are as stored, not rolled over to ``now``."""

    day_limit: int
    day_remaining: int
    day_reset_at: datetime | None
    minute_limit: int


@dataclass(frozen=True)
class CallsOfDay:
    """One day's calls of the division the company's connection calls."""

    division: int
    by_purpose: dict[str, int]
    budget: StoredDayBudget | None


@dataclass(frozen=True)
class DivisionBudget:
    """One app and division's rate budget as stored (windows not rolled over to now)."""

    client_id: str
    division: int
    minute_limit: int
    minute_remaining: int
    minute_reset_at: datetime | None
    day_limit: int
    day_remaining: int
    day_reset_at: datetime | None
    updated_at: datetime


class CallCountRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    @installation_wide
    def rate_budgets(self) -> list[DivisionBudget]:
        """Every stored budget of a chosen division (not division 0), any company: the
        shared figures every node reports to Prometheus (``ledgerbridge.metrics``)."""
        found = []
        for row in self._session.scalars(select(ExactRateBudget).order_by(ExactRateBudget.key)):
            client_id, _, division = row.key.rpartition(":")
            if not division.isdigit() or int(division) == NO_DIVISION:
                continue
            found.append(
                DivisionBudget(
                    client_id,
                    int(division),
                    row.minute_limit,
                    row.minute_remaining,
                    row.minute_reset_at,
                    row.day_limit,
                    row.day_remaining,
                    row.day_reset_at,
                    row.updated_at,
                )
            )
        return found

    def of_day(self, company_id: uuid.UUID, day: date) -> CallsOfDay | None:
        """Calls on ``day`` (UTC) under the company's connection's app and chosen division,
        by purpose (purposes without calls absent), with that division's stored budget.
        None when the company has no connection or no division chosen yet."""
        connection = self._connection(company_id)
        if connection is None or connection.division is None:
            return None
        key = call_key(connection.client_id, connection.division)
        rows = self._session.execute(
            select(ExactCallCountRow.purpose, ExactCallCountRow.calls).where(
                ExactCallCountRow.key == key, ExactCallCountRow.day == day
            )
        ).all()
        budget = self._session.get(ExactRateBudget, key)
        stored = None
        if budget is not None:
            stored = StoredDayBudget(
                budget.day_limit, budget.day_remaining, budget.day_reset_at, budget.minute_limit
            )
        return CallsOfDay(connection.division, {p: int(n) for p, n in rows}, stored)

    def count(self, company_id: uuid.UUID, at: datetime, purpose: str) -> bool:
        """Count one call of ``purpose`` under the company's connection (its chosen
        division, or division 0 before one is chosen); False, and nothing counted, when
        the company has no connection."""
        connection = self._connection(company_id)
        if connection is None:
            return False
        division = NO_DIVISION if connection.division is None else connection.division
        add_call(self._session, call_key(connection.client_id, division), at, purpose)
        return True

    def _connection(self, company_id: uuid.UUID) -> ExactConnection | None:
        return self._session.execute(
            select(ExactConnection).where(ExactConnection.company_id == company_id)
        ).scalar_one_or_none()
