"""How long an export takes under Exact's limits: 60 a minute, what is left today, then
5,000 a day after 00:00 UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ledgerbridge.domain.budget import export_eta

NOW = datetime(2026, 12, 3, 9, 0, 30, tzinfo=UTC)
RESET = datetime(2026, 12, 4, tzinfo=UTC)


def at(day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, second, tzinfo=UTC)


@pytest.mark.parametrize(
    ("items", "per_item", "left", "now", "done_at", "before_reset", "resets"),
    [
        # nothing to do is done now
        (0, 3, 4000, NOW, NOW, 0, 0),
        # what fits in this minute's 60 calls goes now
        (20, 3, 4000, NOW, NOW, 60, 0),
        # one call more needs the next minute
        (21, 3, 4000, NOW, at(3, 9, 1), 63, 0),
        # 3,000 calls: 50 minute windows, the last opens 49 minutes on
        (1000, 3, 4000, NOW, at(3, 9, 49), 3000, 0),
        # exactly what is left today still goes today
        (100, 3, 300, NOW, at(3, 9, 4), 300, 0),
        # beyond what is left, the rest waits for 00:00 UTC and goes at once
        (50, 3, 100, NOW, RESET, 100, 1),
        # after the reset a full day of 5,000 goes at 60 a minute: 84 windows
        (1700, 3, 100, NOW, at(4, 1, 23), 100, 1),
        # one call more than a day allows waits for the reset after that
        (1, 5101, 100, NOW, at(5, 0, 0), 100, 2),
        # late in the evening the minutes run out before what is left today does
        (50, 3, 4000, at(3, 23, 58, 10), RESET, 120, 1),
        # a day already spent (Exact says 0 or less) waits for the reset
        (2, 1, -5, NOW, RESET, 0, 1),
    ],
)
def test_the_export_is_done_when_the_limits_allow(
    items: int,
    per_item: int,
    left: int,
    now: datetime,
    done_at: datetime,
    before_reset: int,
    resets: int,
) -> None:
    eta = export_eta(items, per_item, left, 60, now, RESET)

    assert eta.calls == items * per_item
    assert eta.done_at == done_at
    assert eta.calls_before_reset == before_reset
    assert eta.resets_waited == resets
    assert eta.waits_for_reset is (resets > 0)


def test_a_higher_day_limit_after_the_reset_shortens_the_wait() -> None:
    eta = export_eta(1, 9000, 0, 100, NOW, RESET, day_limit=9000)
    assert (eta.done_at, eta.resets_waited) == (at(4, 1, 29), 1)  # 90 windows of 100


@pytest.mark.parametrize(
    ("items", "per_item", "minute_limit", "reset"),
    [(-1, 3, 60, RESET), (1, -3, 60, RESET), (1, 3, 0, RESET), (1, 3, 60, NOW)],
)
def test_impossible_questions_are_refused(
    items: int, per_item: int, minute_limit: int, reset: datetime
) -> None:
    with pytest.raises(ValueError):
        export_eta(items, per_item, 100, minute_limit, NOW, reset)
