"""Every call that takes a pacing slot counts under the purpose of the work that made it."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC

import httpx
import pytest
from asgiref.sync import sync_to_async
from exact_harness import Harness

from ledgerbridge.exact.errors import ExactBudgetExhausted, ExactRateLimited
from ledgerbridge.exact.pacing import RateHeaders, next_midnight
from ledgerbridge.exact.purpose import Purpose, calls_for, current_purpose

KEY = "client:123"
PATH = "123/financial/GLAccounts"


def ok(_: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"d": {"results": []}})


def calls(harness: Harness) -> dict[Purpose, int]:
    return harness.store.calls(KEY, harness.clock.now().astimezone(UTC).date())


def test_calls_count_under_the_purpose_of_the_block_and_other_outside_it(
    harness: Harness,
) -> None:
    http = harness.http(ok)
    with calls_for(Purpose.DIMENSION_UPKEEP):
        http.get(PATH)
        http.get(PATH)
    http.get(PATH)

    assert calls(harness) == {Purpose.DIMENSION_UPKEEP: 2, Purpose.OTHER: 1}


def test_nested_blocks_restore_the_outer_purpose_also_after_an_error() -> None:
    assert current_purpose() is Purpose.OTHER
    with calls_for(Purpose.EXPORTS):
        with pytest.raises(RuntimeError), calls_for(Purpose.RECEIPTS):
            assert current_purpose() is Purpose.RECEIPTS
            raise RuntimeError("a failed receipt push")
        assert current_purpose() is Purpose.EXPORTS
    assert current_purpose() is Purpose.OTHER


def test_a_read_sent_again_after_a_503_is_counted_again(harness: Harness) -> None:
    answers = iter([httpx.Response(503), httpx.Response(200, json={"d": {"results": []}})])
    http = harness.http(lambda _: next(answers))
    with calls_for(Purpose.EXPORTS):
        http.get(PATH)

    assert len(harness.requests) == 2
    assert calls(harness) == {Purpose.EXPORTS: 2}


def test_calls_refused_before_sending_are_not_counted(harness: Harness) -> None:
    http = harness.http(lambda _: httpx.Response(404, json={"error": {"message": {}}}))
    harness.budget.cap = 1
    with calls_for(Purpose.EXPORTS):
        with pytest.raises(Exception):  # noqa: B017 - the 404 itself; which one does not matter
            http.get(PATH)
        with pytest.raises(ExactBudgetExhausted):
            http.get(PATH)  # the error budget refuses the endpoint
        now = harness.clock.now()
        spent = RateHeaders(day_remaining=10, day_reset=next_midnight(now))
        harness.store.observe(KEY, spent, now)
        with pytest.raises(ExactRateLimited):
            http.get("123/vat/VATCodes")  # the day budget is spent (its margin is 50)

    assert len(harness.requests) == 1
    assert calls(harness) == {Purpose.EXPORTS: 1}


def test_a_new_thread_starts_as_other_unless_it_runs_in_a_copy_of_the_context() -> None:
    seen: list[Purpose] = []
    with calls_for(Purpose.DIMENSION_UPKEEP):
        thread = threading.Thread(target=lambda: seen.append(current_purpose()))
        thread.start()
        thread.join()
        with ThreadPoolExecutor(max_workers=1) as pool:
            plain = pool.submit(current_purpose).result()
            copied = pool.submit(contextvars.copy_context().run, current_purpose).result()

    assert seen == [Purpose.OTHER]
    assert (plain, copied) == (Purpose.OTHER, Purpose.DIMENSION_UPKEEP)


def test_a_sync_task_run_the_way_procrastinate_runs_it_keeps_its_purpose_to_itself() -> None:
    # procrastinate.utils.sync_to_async runs a sync task with asgiref's sync_to_async.
    def task() -> tuple[Purpose, Purpose]:
        before = current_purpose()
        with calls_for(Purpose.DIMENSION_UPKEEP):
            return before, current_purpose()

    async def worker() -> tuple[tuple[Purpose, Purpose], Purpose]:
        inside = await sync_to_async(task, thread_sensitive=False)()
        return inside, current_purpose()

    (before, during), after = asyncio.run(worker())
    assert (before, during, after) == (Purpose.OTHER, Purpose.DIMENSION_UPKEEP, Purpose.OTHER)
