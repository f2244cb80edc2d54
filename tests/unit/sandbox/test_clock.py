"""The sandbox clock: tests and benchmarks move time instead of sleeping."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from exact_sandbox.clock import FakeClock, SystemClock


def test_system_clock_reads_timezone_aware_utc() -> None:
    now = SystemClock().now()
    assert now.tzinfo is not None
    assert now.utcoffset() == timedelta(0)


def test_fake_clock_stands_still_until_told_to_move() -> None:
    clock = FakeClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    assert clock.now() == clock.now() == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_advance_accepts_seconds_and_timedeltas() -> None:
    clock = FakeClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    clock.advance(90)
    clock.advance(timedelta(days=30))
    assert clock.now() == datetime(2026, 3, 31, 12, 1, 30, tzinfo=UTC)


def test_sleep_moves_the_fake_clock_instead_of_waiting() -> None:
    clock = FakeClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    clock.sleep(570.5)
    clock.sleep(-3)
    assert clock.now() == datetime(2026, 3, 1, 12, 9, 30, 500000, tzinfo=UTC)


def test_the_clock_never_goes_backwards() -> None:
    clock = FakeClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    with pytest.raises(ValueError):
        clock.advance(-1)
    with pytest.raises(ValueError):
        clock.set(datetime(2026, 2, 1, tzinfo=UTC))
    clock.set(datetime(2026, 4, 1, tzinfo=UTC))
    assert clock.now() == datetime(2026, 4, 1, tzinfo=UTC)


def test_a_naive_start_is_refused() -> None:
    with pytest.raises(ValueError):
        FakeClock(datetime(2026, 3, 1, 12, 0))


def test_many_threads_advancing_at_once_lose_no_step() -> None:
    clock = FakeClock(datetime(2026, 3, 1, tzinfo=UTC))

    def advance_many() -> None:
        for _ in range(1000):
            clock.advance(1)

    threads = [threading.Thread(target=advance_many) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert clock.now() == datetime(2026, 3, 1, tzinfo=UTC) + timedelta(seconds=8000)


def test_a_shifted_clock_keeps_its_shift_across_a_restart(tmp_path: Path) -> None:
    from exact_sandbox.serve import ShiftedClock

    path = tmp_path / "clock.json"
    ShiftedClock(path).advance(timedelta(days=3))
    restarted = ShiftedClock(path).now() - datetime.now(UTC)
    assert timedelta(days=3) - timedelta(seconds=5) < restarted <= timedelta(days=3)
    assert ShiftedClock().now() - datetime.now(UTC) < timedelta(seconds=5)
