"""How long work takes under Exact's call limits (pure; no clock, no I/O).

Exact allows ``minute_limit`` calls per clock minute and ``day_limit`` per UTC day per
app and division (EXACT_API.md §3). ``export_eta`` answers "when will these items be
done, and does part of it wait for tomorrow?" from what is left today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)
MINUTES_PER_DAY = 24 * 60
DEFAULT_DAY_LIMIT = 5000


@dataclass(frozen=True, slots=True)
class ExportEta:
    """When the last call of some work can be sent.

    ``calls``: calls the work needs; ``calls_before_reset``: of those, how many fit in
    what is left today; ``resets_waited``: daily resets the rest waits for (0 when it
    all fits today); ``done_at``: when the last call can be sent.
    """

    calls: int
    calls_before_reset: int
    done_at: datetime
    resets_waited: int

    @property
    def waits_for_reset(self) -> bool:
        return self.resets_waited > 0


def _minute_start(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def _windows_before(now: datetime, reset: datetime) -> int:
    """Minute windows that open before ``reset``, the current one included."""
    return max(0, -(-(reset - _minute_start(now)) // MINUTE))


def _last_call_at(start: datetime, calls: int, minute_limit: int) -> datetime:
    """When the last of ``calls`` can be sent, ``minute_limit`` per clock minute from
    ``start`` (the window ``start`` is in counts as a whole one)."""
    windows = -(-calls // minute_limit)
    if windows <= 1:
        return start
    return _minute_start(start) + (windows - 1) * MINUTE


def export_eta(
    items: int,
    calls_per_item: int,
    day_remaining: int,
    minute_limit: int,
    now: datetime,
    day_reset_at: datetime,
    *,
    day_limit: int = DEFAULT_DAY_LIMIT,
) -> ExportEta:
    """When ``items`` needing ``calls_per_item`` calls each are done, sent as fast as the
    limits allow from ``now``.

    Today at most ``day_remaining`` calls are sent (pass what may really be used: Exact's
    remaining minus any safety margin), ``minute_limit`` per clock minute, the current
    minute counted as a full one, and only in minute windows that open before
    ``day_reset_at``. The rest waits for ``day_reset_at`` and then goes at
    ``day_limit`` per day (and ``minute_limit`` per minute). The time calls take on the
    wire is not modelled. Raises ``ValueError`` for negative counts, limits below 1 or a
    reset not after ``now``.
    """
    if items < 0 or calls_per_item < 0:
        raise ValueError("items and calls per item cannot be negative")
    if minute_limit < 1 or day_limit < 1:
        raise ValueError("the limits must allow at least one call")
    if day_reset_at <= now:
        raise ValueError("the daily reset must lie after now")
    calls = items * calls_per_item
    room_today = min(max(day_remaining, 0), minute_limit * _windows_before(now, day_reset_at))
    today = min(calls, room_today)
    if today == calls:
        return ExportEta(calls, today, _last_call_at(now, calls, minute_limit), 0)
    rest = calls - today
    per_day = min(day_limit, minute_limit * MINUTES_PER_DAY)
    extra_days = (rest - 1) // per_day
    last_day = rest - extra_days * per_day
    start = day_reset_at + extra_days * DAY
    return ExportEta(calls, today, _last_call_at(start, last_day, minute_limit), extra_days + 1)
