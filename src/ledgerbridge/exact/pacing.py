"""Pacing: spend Exact's per-division call budget without earning a 429.

Exact allows 60 calls a minute and 5,000 a day per app per division and reports
what is left in ``X-RateLimit-*`` (daily) and ``X-RateLimit-Minutely-*`` response
headers; resets are epoch milliseconds (the minute window ends on the next whole
clock minute, the day window at 00:00 UTC). Every worker that calls one division
takes a slot from one shared ``RateBudgetStore`` before each call, and waits for
the reset when none is left. Taking a slot is also where a call is counted, under the
purpose of the work that makes it (``exact.purpose``): only a call about to be sent
takes one, and a call sent again (a retry) takes another.

A job that must not hold its worker while a division's minute window is spent (an export
run: other divisions' work waits for the worker) wraps its calls in
``sleeping_at_most(seconds)``: inside, a longer wait raises ``ExactRateLimited`` with the
reset instead of sleeping, and the job queues itself again for then.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from ledgerbridge.exact.errors import ExactRateLimited, RateWindow
from ledgerbridge.exact.purpose import Purpose, current_purpose

DEFAULT_MINUTE_LIMIT = 60
DEFAULT_DAY_LIMIT = 5000


@dataclass(frozen=True, slots=True)
class RateHeaders:
    """What one response said about the budget; ``None`` where a header was absent."""

    day_limit: int | None = None
    day_remaining: int | None = None
    day_reset: datetime | None = None
    minute_limit: int | None = None
    minute_remaining: int | None = None
    minute_reset: datetime | None = None

    @classmethod
    def parse(cls, headers: Mapping[str, str]) -> RateHeaders:
        """Read the rate-limit headers (names case-insensitive); garbage values are ignored."""
        lower = {k.lower(): v for k, v in headers.items()}

        def number(name: str) -> int | None:
            try:
                return int(str(lower[name]).strip())
            except (KeyError, ValueError):
                return None

        def instant(name: str) -> datetime | None:
            ms = number(name)
            return None if ms is None else datetime.fromtimestamp(ms / 1000, tz=UTC)

        return cls(
            day_limit=number("x-ratelimit-limit"),
            day_remaining=number("x-ratelimit-remaining"),
            day_reset=instant("x-ratelimit-reset"),
            minute_limit=number("x-ratelimit-minutely-limit"),
            minute_remaining=number("x-ratelimit-minutely-remaining"),
            minute_reset=instant("x-ratelimit-minutely-reset"),
        )

    @property
    def is_empty(self) -> bool:
        return self.day_remaining is None and self.minute_remaining is None


class RateBudgetStore(Protocol):
    """Shared per-key call budget (key = ``f"{client_id}:{division}"``).

    Implementations must make ``acquire`` atomic across every worker that shares the
    key (a row lock or a single conditional UPDATE): two callers may never both take the
    last slot. Before any headers were observed for a key, assume the documented limits
    (60 a minute, 5,000 a day) with the windows ending at the next whole minute and at
    00:00 UTC.
    """

    def acquire(self, key: str, now: datetime, purpose: Purpose = Purpose.OTHER) -> float:
        """Take one call slot and return 0.0, or take nothing and return the seconds to wait.

        A slot is refused while remaining <= the store's safety margin in either window;
        the wait is the time until that window resets. A slot taken counts one call of
        ``purpose`` on the UTC day of ``now``, atomically with the slot; a refusal counts
        nothing.
        """
        ...

    def observe(self, key: str, headers: RateHeaders, now: datetime) -> None:
        """Merge what Exact reported. Within the same window keep the lower remaining count
        (slots taken by calls still in flight are not in Exact's number yet), ours moved
        first by any change of the limit (a higher limit than the one assumed or last
        reported adds its difference to what is left, a lower one takes it); a different
        reset still in the future replaces the window with Exact's numbers; a reset in the
        past (a late answer from an ended window) and absent headers change nothing.
        """
        ...


def next_minute(now: datetime) -> datetime:
    """The next whole clock minute after ``now`` (where Exact's minute window ends)."""
    return now.replace(second=0, microsecond=0) + timedelta(minutes=1)


def next_midnight(now: datetime) -> datetime:
    """The next 00:00 UTC after ``now`` (where Exact's day window ends)."""
    start = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return start + timedelta(days=1)


@dataclass
class _Window:
    limit: int
    remaining: int
    reset: datetime

    def roll(self, now: datetime, next_reset: Callable[[datetime], datetime]) -> None:
        if now >= self.reset:
            self.remaining, self.reset = self.limit, next_reset(now)

    def merge(
        self, limit: int | None, remaining: int | None, reset: datetime | None, now: datetime
    ) -> None:
        if remaining is None or (reset is not None and reset <= now):
            return  # nothing said, or about a window that has already ended
        if reset is not None and reset != self.reset:
            self.remaining, self.reset = remaining, reset  # Exact knows its window best
        else:
            # Counted against the old limit: a changed limit moves our count by as much.
            ours = self.remaining + (limit - self.limit if limit is not None else 0)
            self.remaining = min(ours, remaining)
        if limit is not None:
            self.limit = limit


@dataclass
class _Budget:
    minute: _Window
    day: _Window


class InMemoryRateBudgetStore:
    """A thread-safe ``RateBudgetStore`` for one process (tests, the embedded demo).

    ``minute_margin``/``day_margin`` slots are never used: they absorb clock skew and
    calls of other processes.
    """

    def __init__(self, minute_margin: int = 2, day_margin: int = 50) -> None:
        self.minute_margin = minute_margin
        self.day_margin = day_margin
        self._budgets: dict[str, _Budget] = {}
        self._calls: Counter[tuple[str, date, Purpose]] = Counter()
        self._lock = threading.Lock()

    def acquire(self, key: str, now: datetime, purpose: Purpose = Purpose.OTHER) -> float:
        with self._lock:
            budget = self._budget(key, now)
            if budget.day.remaining <= self.day_margin:
                return max((budget.day.reset - now).total_seconds(), 0.001)
            if budget.minute.remaining <= self.minute_margin:
                return max((budget.minute.reset - now).total_seconds(), 0.001)
            budget.minute.remaining -= 1
            budget.day.remaining -= 1
            self._calls[key, now.astimezone(UTC).date(), Purpose(purpose)] += 1
            return 0.0

    def calls(self, key: str, day: date) -> dict[Purpose, int]:
        """Calls counted under ``key`` on the UTC ``day``, by purpose (purposes with calls)."""
        with self._lock:
            return {p: n for (k, d, p), n in self._calls.items() if (k, d) == (key, day)}

    def observe(self, key: str, headers: RateHeaders, now: datetime) -> None:
        with self._lock:
            budget = self._budget(key, now)
            budget.minute.merge(
                headers.minute_limit, headers.minute_remaining, headers.minute_reset, now
            )
            budget.day.merge(headers.day_limit, headers.day_remaining, headers.day_reset, now)

    def remaining(self, key: str, now: datetime) -> tuple[int, int]:
        """(minute, day) calls left as this store believes; for health reports."""
        with self._lock:
            budget = self._budget(key, now)
            return budget.minute.remaining, budget.day.remaining

    def _budget(self, key: str, now: datetime) -> _Budget:
        budget = self._budgets.get(key)
        if budget is None:
            budget = _Budget(
                _Window(DEFAULT_MINUTE_LIMIT, DEFAULT_MINUTE_LIMIT, next_minute(now)),
                _Window(DEFAULT_DAY_LIMIT, DEFAULT_DAY_LIMIT, next_midnight(now)),
            )
            self._budgets[key] = budget
        budget.minute.roll(now, next_minute)
        budget.day.roll(now, next_midnight)
        return budget


_longest_sleep: ContextVar[float | None] = ContextVar(
    "ledgerbridge_exact_longest_sleep", default=None
)


@contextmanager
def sleeping_at_most(seconds: float) -> Iterator[None]:
    """Inside the block a pacer wait longer than ``seconds`` raises ``ExactRateLimited``
    (``retry_at`` = the window's reset) instead of sleeping; nests, restored on exit. A
    context variable, like ``exact.purpose``: it follows the code that runs."""
    token = _longest_sleep.set(seconds)
    try:
        yield
    finally:
        _longest_sleep.reset(token)


def may_sleep(seconds: float) -> bool:
    """Whether a wait of ``seconds`` may be slept here (see ``sleeping_at_most``)."""
    longest = _longest_sleep.get()
    return longest is None or seconds <= longest


class Pacer:
    """Waits for a slot in ``store`` under ``key`` before each call to Exact.

    The slot is taken for the purpose current in the calling thread
    (``exact.purpose.current_purpose()``). ``wait()`` sleeps (via the injected ``sleep``)
    until a slot is free. A wait longer than ``max_wait`` seconds (the day budget is
    spent) raises ``ExactRateLimited`` instead of blocking a worker for hours; inside
    ``sleeping_at_most(s)`` so does a wait longer than ``s``.
    """

    def __init__(
        self,
        store: RateBudgetStore,
        key: str,
        sleep: Callable[[float], None],
        now: Callable[[], datetime],
        max_wait: float = 120.0,
    ) -> None:
        self.store, self.key, self.max_wait = store, key, max_wait
        self._sleep, self._now = sleep, now

    def wait(self) -> None:
        """Return once a slot was taken; raises ``ExactRateLimited`` for a too-long wait."""
        while True:
            now = self._now()
            seconds = self.store.acquire(self.key, now, current_purpose())
            if seconds <= 0:
                return
            longest = _longest_sleep.get()
            if seconds > (self.max_wait if longest is None else min(longest, self.max_wait)):
                window: RateWindow = "day" if seconds > 60 else "minute"
                raise ExactRateLimited(now + timedelta(seconds=seconds), window, status=None)
            self._sleep(seconds)

    def observe(self, headers: Mapping[str, str]) -> RateHeaders:
        """Report a response's headers to the store; returns what was parsed."""
        parsed = RateHeaders.parse(headers)
        if not parsed.is_empty:
            self.store.observe(self.key, parsed, self._now())
        return parsed
