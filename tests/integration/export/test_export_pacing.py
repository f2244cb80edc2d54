"""An export run and Exact's minute window: the run gives its worker back instead of
sleeping through the window (other divisions' jobs get the worker), and the resumed run
spends the next window on exporting, not on reading master data or looking up again."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from export_world import Exporting

from ledgerbridge.domain.export_status import ExportStatus
from ledgerbridge.exact.pacing import next_minute
from ledgerbridge.services.export.saga import BACKOFF

ENTRIES = "purchaseentry/PurchaseEntries"


def test_a_run_that_spends_the_minute_window_gives_the_worker_back_and_resumes_without_extra_calls(
    exporting: Exporting,
) -> None:
    ids = [exporting.add(f"P-{n}", [("4200", "12.10", "2")]) for n in range(80)]
    sandbox, clock = exporting.world.sandbox, exporting.world.clock
    started = exporting.start(ids)
    before, at = len(sandbox.call_log), clock.now()

    first = exporting.run(started)

    assert first.state == "waiting" and first.retry_at == next_minute(at)
    assert clock.now() == at  # nothing slept inside the job
    resumes = 0
    result = first
    while result.state == "waiting":
        assert result.retry_at is not None
        clock.set(result.retry_at)
        result = exporting.run(started)
        resumes += 1
    assert result.state == "finished", result.note
    assert resumes >= 1
    calls = Counter((c.method, c.endpoint) for c in sandbox.call_log[before:])
    assert calls["POST", "purchaseentry/PurchaseEntries"] == 80
    assert calls["GET", "purchaseentry/PurchaseEntries"] == 0  # nothing looked up again
    assert calls["GET", "sync/Financial/GLAccounts"] <= 1  # master data read once at most
    assert sum(c.status == 429 for c in sandbox.call_log[before:]) == 0
    with exporting.c.uow() as uow:
        rows = uow.transactions.many(exporting.world.company_id, ids)
        assert {r.status for r in rows} == {ExportStatus.EXPORTED.value}


def test_waiting_for_the_minute_window_is_not_a_failed_attempt_a_later_outage_backs_off_briefly(
    exporting: Exporting,
) -> None:
    ids = [exporting.add(f"P-{n}", [("4200", "12.10", "2")]) for n in range(200)]
    clock = exporting.world.clock
    started = exporting.start(ids)
    for _ in range(3):  # three minute windows spent, the job queued again for each reset
        paced = exporting.run(started)
        assert paced.state == "waiting" and paced.retry_at == next_minute(clock.now())
        clock.set(paced.retry_at)
    # an outage outlasting the write's quick tries in place (3), so the run is parked
    exporting.world.sandbox.faults.add("error", endpoint=ENTRIES, method="POST", count=3)

    down = exporting.run(started)

    assert down.state == "waiting" and down.retry_at is not None, down
    assert down.retry_at - clock.now() == BACKOFF  # a first failure's backoff, not a fourth's


def test_a_run_resumed_hours_later_reads_the_master_data_again_before_posting(
    exporting: Exporting,
) -> None:
    ids = [exporting.add(f"P-{n}", [("4200", "12.10", "2")]) for n in range(80)]
    sandbox, clock = exporting.world.sandbox, exporting.world.clock
    started = exporting.start(ids)
    paced = exporting.run(started)
    assert paced.state == "waiting" and paced.retry_at is not None
    clock.set(paced.retry_at + timedelta(hours=2))  # the workers were down meanwhile
    before = len(sandbox.call_log)

    assert exporting.run(started).state == "finished"

    reads = Counter(c.endpoint for c in sandbox.call_log[before:] if c.method == "GET")
    assert reads["sync/Financial/GLAccounts"] == 1 and reads["vat/VATCodes"] == 1
