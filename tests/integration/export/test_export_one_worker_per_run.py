"""A run's job never works alongside another job of the same run: a worker taken for dead
(its heartbeat late, so ``jobs.retry_stalled`` handed its job to another worker) may still
be posting. The second job leaves the run to it; nothing is posted twice."""

from __future__ import annotations

from collections import Counter

from export_world import Exporting

from ledgerbridge.jobs.app import worker_app
from ledgerbridge.jobs.export import run_lock_key
from ledgerbridge.services.export.start import sweep


def test_a_second_job_of_a_run_that_another_worker_still_works_leaves_it_alone(
    exporting: Exporting,
) -> None:
    ids = [exporting.add(f"T-{n}", [("4200", "12.10", "2")]) for n in range(1, 4)]
    started = exporting.start(ids)
    c = exporting.c
    with c.engine.connect() as other_worker:  # holds the run, as its (live) job does
        assert other_worker.exec_driver_sql(
            "SELECT pg_try_advisory_lock(%s, %s)", run_lock_key(started.run_id)
        ).scalar()
        worker_app(c.jobs).run_worker(wait=False, install_signal_handlers=False,
                                      listen_notify=False)  # fmt: skip
        assert exporting.rows("purchaseentry/PurchaseEntries") == []  # left to the other one
        assert {exporting.world.status_of(t)[0] for t in ids} == {"queued"}
        other_worker.exec_driver_sql("SELECT pg_advisory_unlock_all()")

    # The holder is gone (a killed worker's connection closes): the sweeper queues it again.
    assert sweep(c.uow, c.queue) == 1
    worker_app(c.jobs).run_worker(wait=False, install_signal_handlers=False, listen_notify=False)
    assert {exporting.world.status_of(t)[0] for t in ids} == {"exported"}
    refs = Counter(
        e["ExternalLinkReference"] for e in exporting.rows("purchaseentry/PurchaseEntries")
    )
    assert refs == {"T-1": 1, "T-2": 1, "T-3": 1}
