"""The sandbox's clock: real time, or a clock that tests and benchmarks move forward.

Everything in the sandbox that depends on time (token lifetimes, the 570 s
rule, 30-day expiry, rate-limit windows, the error budget's hour, periods)
reads ``clock.now()``; nothing calls ``datetime.now`` or sleeps.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that only moves when told to. Thread-safe.

    ``sleep`` lets a client under test "wait" by moving this clock instead of
    the wall clock (inject it as the client's sleep function).
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 11, 2, 9, 0, 0, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware start")
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta | float) -> datetime:
        """Move forward by ``delta`` (seconds or a timedelta); return the new now."""
        step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        if step < timedelta(0):
            raise ValueError("the clock does not go backwards")
        with self._lock:
            self._now += step
            return self._now

    def set(self, instant: datetime) -> None:
        with self._lock:
            if instant < self._now:
                raise ValueError("the clock does not go backwards")
            self._now = instant

    def sleep(self, seconds: float) -> None:
        self.advance(max(seconds, 0.0))
