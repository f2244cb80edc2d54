"""Today's Exact calls by purpose, and what is left of the day's budget.

Read-only; one short transaction; no call to Exact. The figures are those of the app
and division the company's own connection calls (Exact's limits are per app and
division; companies on the same division share them). Counts are ours (every call that
took a slot from the rate budget, and every token-endpoint call); what is left is
what Exact's headers last said, less the slots our calls in flight took.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from ledgerbridge.db.repositories.calls import CallsOfDay
from ledgerbridge.domain.budget import ExportEta, export_eta
from ledgerbridge.exact.pacing import DEFAULT_DAY_LIMIT, DEFAULT_MINUTE_LIMIT, next_midnight
from ledgerbridge.exact.purpose import Purpose
from ledgerbridge.services.ports import UnitOfWorkFactory


@dataclass(frozen=True)
class CallsToday:
    """One UTC day's calls of the company's division.

    ``by_purpose`` holds every ``Purpose`` (zeros included) in the enum's order;
    ``day_remaining`` of ``day_limit`` is what is left until ``resets_at`` (00:00 UTC).
    ``division`` is None (and every count 0) before a division is chosen; the limits
    are then Exact's documented ones.
    """

    day: date
    division: int | None
    by_purpose: dict[Purpose, int]
    total: int
    day_limit: int
    day_remaining: int
    minute_limit: int
    resets_at: datetime

    def eta(self, items: int, calls_per_item: int, now: datetime, margin: int = 0) -> ExportEta:
        """``domain.budget.export_eta`` with today's figures; ``margin`` calls of what is
        left are kept unused (the rate store's day safety margin)."""
        return export_eta(
            items,
            calls_per_item,
            self.day_remaining - margin,
            self.minute_limit,
            now,
            self.resets_at,
            day_limit=self.day_limit,
        )


def _budget(found: CallsOfDay | None, now: datetime) -> tuple[int, int, int, datetime]:
    """(day limit, day remaining, minute limit, reset) as of ``now``: a day window that
    has ended shows its full limit, like the rate store's own roll-over."""
    stored = None if found is None else found.budget
    if stored is None:
        return DEFAULT_DAY_LIMIT, DEFAULT_DAY_LIMIT, DEFAULT_MINUTE_LIMIT, next_midnight(now)
    if stored.day_reset_at is None or now >= stored.day_reset_at:
        return stored.day_limit, stored.day_limit, stored.minute_limit, next_midnight(now)
    reset = stored.day_reset_at.astimezone(UTC)
    return stored.day_limit, stored.day_remaining, stored.minute_limit, reset


def calls_today(uow_factory: UnitOfWorkFactory, company_id: uuid.UUID, now: datetime) -> CallsToday:
    """The company's division's calls on the UTC day of ``now``, by purpose, and what is
    left today; see the module docstring."""
    day = now.astimezone(UTC).date()
    with uow_factory() as uow:
        found = uow.calls.of_day(company_id, day)
    counted = {} if found is None else found.by_purpose
    by_purpose = {purpose: counted.get(purpose.value, 0) for purpose in Purpose}
    day_limit, day_remaining, minute_limit, resets_at = _budget(found, now)
    return CallsToday(
        day=day,
        division=None if found is None else found.division,
        by_purpose=by_purpose,
        total=sum(by_purpose.values()),
        day_limit=day_limit,
        day_remaining=day_remaining,
        minute_limit=minute_limit,
        resets_at=resets_at,
    )
