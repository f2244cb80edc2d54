"""What goes wrong in an export, and what the user sees: a value Exact blocked since mark
ready, Exact refusing the entry, writes whose answer is lost, a revoked token, a refused
bank batch, matching that has not happened yet. Nothing is booked twice, nothing is lost."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import timedelta
from uuid import uuid4

from export_world import Exporting
from sqlalchemy import text

from exact_sandbox.control import SandboxControl
from exact_sandbox.seed import DEMO_DIVISION
from ledgerbridge.db.repositories.exports import HistoryFilter
from ledgerbridge.domain.dimensions import DimensionKind
from ledgerbridge.files.store import FileSystemReceiptStore, ReceiptStoreUnavailable
from ledgerbridge.services.export.queries import export_queue
from ledgerbridge.services.export.saga import run_export
from ledgerbridge.services.export.start import retry, sweep
from ledgerbridge.services.prep import coding

ENTRIES = "purchaseentry/PurchaseEntries"
BANK_LINES = "financialtransaction/BankEntryLines"


def status(exporting: Exporting, txn_id: object) -> tuple[str, str | None]:
    with exporting.c.uow() as uow:
        row = uow.transactions.get(exporting.world.company_id, txn_id)
        assert row is not None
        return row.status, row.status_reason


def entries_by_reference(exporting: Exporting) -> Counter[str]:
    return Counter(e.get("ExternalLinkReference") for e in exporting.rows(ENTRIES))


def bank_lines_by_note(exporting: Exporting) -> Counter[str]:
    return Counter(line.get("Notes") for line in exporting.rows(BANK_LINES))


def test_a_gl_account_blocked_in_exact_after_mark_ready_goes_back_and_the_rest_exports(
    exporting: Exporting,
) -> None:
    blocked = exporting.add("T-1", [("4200", "12.10", "2")])
    fine = exporting.add("T-2", [("4330", "12.10", "2")])
    started = exporting.start([blocked, fine])
    exporting.world.clock.advance(timedelta(hours=1))
    exporting.world.sandbox.block_gl_account(DEMO_DIVISION, "4200")  # no sync in between

    assert exporting.run(started).state == "finished"

    state, reason = status(exporting, blocked)
    assert state == "to_prepare" and reason is not None and "4200" in reason
    assert status(exporting, fine)[0] == "exported"
    assert entries_by_reference(exporting) == {"T-2": 1}


def test_exact_refusing_an_entry_puts_it_in_the_queue_and_a_retry_after_the_fix_exports_it(
    exporting: Exporting,
) -> None:
    refused = exporting.add("T-1", [("4200", "12.10", "2")])
    fine = exporting.add("T-2", [("4330", "12.10", "2")], booked=__import__("datetime").date(
        2026, 12, 1))  # fmt: skip
    exporting.world.sandbox.close_period(DEMO_DIVISION, 2026, 11)  # Exact says so only on posting
    exporting.run(exporting.start([refused, fine]))

    state, reason = status(exporting, refused)
    assert state == "failed" and reason is not None
    assert "period" in reason and "closed" in reason  # our words, and Exact's in brackets
    with exporting.c.uow() as uow:
        [(row, saga)] = uow.exports.queue(exporting.world.company_id)
        assert (row.external_id, saga.failure_action) == ("T-1", "reopen_period")
        assert saga.exact_message and "closed" in saga.exact_message.lower()
    assert status(exporting, fine)[0] == "exported"  # one failure never blocks the others

    exporting.world.sandbox.close_period(DEMO_DIVISION, 2026, 11, closed=False)
    again = retry(exporting.c.uow, exporting.c.queue, exporting.c.now, exporting.world.company_id,
                  None, "anna@example.com")  # fmt: skip
    assert exporting.run(again).state == "finished"
    assert status(exporting, refused)[0] == "exported"
    assert entries_by_reference(exporting) == {"T-1": 1, "T-2": 1}


def test_writes_whose_answer_is_lost_are_looked_up_and_adopted_never_booked_twice(
    exporting: Exporting,
) -> None:
    ids = [
        exporting.add(f"T-{n}", [("4200", "12.10", "2")], receipts=[(f"bon{n}.pdf", b"bon %d" % n)])
        for n in range(1, 4)
    ]
    faults = exporting.world.sandbox.faults
    faults.add("write_then_error", endpoint=ENTRIES, method="POST", count=2)
    faults.add("drop", endpoint="documents/Documents", method="POST", count=1)
    faults.add("timeout", endpoint="documents/DocumentAttachments", method="POST", count=1)
    faults.add("write_then_error", endpoint="financialtransaction/BankEntries", method="POST",
               count=1, status=504)  # fmt: skip
    started = exporting.start(ids)
    for _ in range(6):  # the job again after each transient stop, as the worker would
        if exporting.run(started).state == "finished":
            break
    assert [status(exporting, t)[0] for t in ids] == ["exported"] * 3
    assert entries_by_reference(exporting) == {"T-1": 1, "T-2": 1, "T-3": 1}
    assert len(exporting.rows("documents/Documents")) == 3
    assert len(exporting.rows("documents/DocumentAttachments")) == 3
    assert sorted(bank_lines_by_note(exporting).values()) == [1, 1, 1]
    with exporting.c.uow() as uow:
        actions = [e.action for e in uow.audit.entries(exporting.world.company_id, limit=500)]
    assert "export.purchase_entry.adopted" in actions


def test_a_revoked_token_pauses_the_run_and_renewing_the_connection_resumes_it(
    exporting: Exporting,
) -> None:
    ids = [exporting.add(f"T-{n}", [("4200", "12.10", "2")]) for n in range(1, 3)]
    started = exporting.start(ids)
    SandboxControl(exporting.world.sandbox).revoke_tokens()
    exporting.world.clock.advance(timedelta(minutes=11))  # the access token expired too

    result = exporting.run(started)

    assert result.state == "paused"
    assert [status(exporting, t)[0] for t in ids] == ["queued", "queued"]  # nothing lost
    with exporting.c.uow() as uow:
        connection = uow.connections.get(exporting.world.company_id)
        assert connection is not None and connection.status.value == "needs_reauth"
    with exporting.c.session_factory.begin() as session:  # the run's job was lost, too
        session.execute(text("DELETE FROM procrastinate_jobs"))
    assert sweep(exporting.c.uow, exporting.c.queue) == 0  # waits for the renewal

    exporting.world.connect()  # Renew: the consent flow again
    assert sweep(exporting.c.uow, exporting.c.queue) == 1
    assert exporting.run(started).state == "finished"
    assert [status(exporting, t)[0] for t in ids] == ["exported", "exported"]
    assert entries_by_reference(exporting) == {"T-1": 1, "T-2": 1}


def test_without_matching_in_exact_the_history_says_not_matched_yet(exporting: Exporting) -> None:
    exporting.world.sandbox.settings.auto_match_bank_lines = False
    exporting.run(exporting.start([exporting.add("T-1", [("4200", "12.10", "2")])]))
    with exporting.c.uow() as uow:
        [(_, saga)] = uow.exports.history(exporting.world.company_id, HistoryFilter())
        assert saga.match_status == "not_matched_yet"


def test_a_refused_bank_batch_is_split_until_the_bad_line_stands_alone(
    exporting: Exporting,
) -> None:
    payments = [exporting.add(f"T-{n}", [("4200", "12.10", "2")]) for n in range(1, 4)]
    fee = exporting.add("FEE-1", [("4900", "2.50", None)], kind="fee", merchant="Card fee")
    with exporting.c.uow() as uow:  # our copy of GL 4900 points at a GUID Exact does not know
        held = uow.dimensions.get(exporting.world.company_id, DimensionKind.GL_ACCOUNT, "4900")
        assert held is not None
        uow.dimensions.save(exporting.world.company_id, [replace(held, exact_id=str(uuid4()))])
        uow.commit()

    exporting.run(exporting.start([*payments, fee]))

    assert [status(exporting, t)[0] for t in payments] == ["exported"] * 3
    state, reason = status(exporting, fee)
    assert state == "failed" and reason is not None
    with exporting.c.uow() as uow:
        [(_, saga)] = uow.exports.queue(exporting.world.company_id)
        assert saga.failed_step == "bank_line"
    assert sorted(bank_lines_by_note(exporting).values()) == [1, 1, 1]  # only the good ones


def test_a_receipt_larger_than_exact_accepts_is_flagged_in_prep_not_after_export(
    exporting: Exporting,
) -> None:
    txn = exporting.add("T-1", [("4200", "12.10", "2")], status="to_prepare",
                        receipts=[("scan.tiff", b"a big scan")])  # fmt: skip
    with exporting.c.session_factory.begin() as session:  # as if 8 MB had been uploaded
        session.execute(text("UPDATE receipts SET size_bytes = 8 * 1024 * 1024"))

    [outcome] = coding.mark_ready(exporting.c.uow, exporting.world.company_id, [txn],
                                  actor="anna")  # fmt: skip

    assert not outcome.ready
    assert [p.code for p in outcome.problems] == ["receipt_too_large"]
    state, reason = status(exporting, txn)
    assert state == "to_prepare" and reason is not None and "scan.tiff" in reason
    assert "larger than Exact Online accepts" in reason


def test_a_coding_exact_refused_offers_itself_for_retry_once_the_sync_shows_it_fixed(
    exporting: Exporting,
) -> None:
    txn = exporting.add("T-1", [("4200", "12.10", "2")])
    exporting.world.sync()  # read seconds ago: the run's fresh sync skips it
    exporting.world.sandbox.block_gl_account(DEMO_DIVISION, "4200")  # a moment later in Exact
    exporting.run(exporting.start([txn]))
    [item] = export_queue(exporting.c.uow, exporting.world.company_id)
    assert (item.action, item.retry_offered) == ("fix_coding", False)
    assert item.reason == "the GL account is blocked in Exact Online"

    exporting.world.clock.advance(timedelta(minutes=5))
    exporting.world.sync()  # still blocked: nothing to offer
    assert not export_queue(exporting.c.uow, exporting.world.company_id)[0].retry_offered
    exporting.world.sandbox.block_gl_account(DEMO_DIVISION, "4200", False)
    exporting.world.clock.advance(timedelta(minutes=5))
    exporting.world.sync()
    assert export_queue(exporting.c.uow, exporting.world.company_id)[0].retry_offered


def test_a_bank_entry_whose_answer_was_lost_is_never_posted_again_when_its_lookup_fails(
    exporting: Exporting,
) -> None:
    ids = [exporting.add(f"T-{n}", [("4200", "12.10", "2")]) for n in range(1, 5)]
    sandbox = exporting.world.sandbox
    sandbox.faults.add("write_then_error", endpoint="financialtransaction/BankEntries",
                       method="POST", count=1, status=502)  # fmt: skip
    sandbox.settings.filter_bank_line_notes = False  # the lookup is refused (400) for now
    started = exporting.start(ids)

    assert exporting.run(started).state == "waiting"  # the outcome is still unknown
    assert sorted(bank_lines_by_note(exporting).values()) == [1] * 4  # the lost post only
    assert [status(exporting, t)[0] for t in ids] == ["exporting"] * 4

    sandbox.settings.filter_bank_line_notes = True
    exporting.world.clock.advance(timedelta(minutes=20))
    assert exporting.run(started).state == "finished"
    assert [status(exporting, t)[0] for t in ids] == ["exported"] * 4
    assert sorted(bank_lines_by_note(exporting).values()) == [1] * 4  # adopted, not again
    assert len(exporting.rows(BANK_LINES)) == 4


def test_a_write_failing_transiently_is_tried_again_in_place_before_the_run_waits(
    exporting: Exporting,
) -> None:
    ids = [exporting.add(f"T-{n}", [("4200", "12.10", "2")]) for n in range(1, 4)]
    faults = exporting.world.sandbox.faults
    faults.add("error", endpoint=ENTRIES, method="POST", count=2, status=503)  # not written
    faults.add("write_then_error", endpoint=ENTRIES, method="POST", count=1)  # written
    faults.add("reset", endpoint="financialtransaction/BankEntries", method="POST", count=1)

    assert exporting.run(exporting.start(ids)).state == "finished"  # no parking with backoff

    assert [status(exporting, t)[0] for t in ids] == ["exported"] * 3
    assert entries_by_reference(exporting) == {"T-1": 1, "T-2": 1, "T-3": 1}
    assert sorted(bank_lines_by_note(exporting).values()) == [1, 1, 1]


def test_a_write_that_keeps_failing_parks_the_run_after_a_few_quick_tries(
    exporting: Exporting,
) -> None:
    txn = exporting.add("T-1", [("4200", "12.10", "2")])
    rule = exporting.world.sandbox.faults.add("error", endpoint=ENTRIES, method="POST", status=503)

    result = exporting.run(exporting.start([txn]))

    assert result.state == "waiting" and result.note and "unreachable" in result.note
    assert 2 <= rule.hits <= 4  # a few tries, not a loop
    assert status(exporting, txn)[0] == "exporting"
    assert entries_by_reference(exporting) == {}


def test_the_backoff_starts_again_after_progress_but_keeps_doubling_while_stuck(
    exporting: Exporting,
) -> None:
    ids = [exporting.add(f"T-{n}", [("4200", "12.10", "2")]) for n in range(1, 4)]
    faults, clock = exporting.world.sandbox.faults, exporting.world.clock
    started = exporting.start(ids)
    tries = 3  # the quick tries in place of one write
    waits = []
    for _ in range(3):  # stuck at the first entry: other calls succeed, the wait doubles
        faults.add("error", endpoint=ENTRIES, method="POST", count=tries, status=503)
        result = exporting.run(started)
        assert result.state == "waiting" and result.retry_at is not None
        waits.append(result.retry_at - clock.now())
        clock.set(result.retry_at)
    # the entries get through, then the bank entry fails: progress, so the wait starts again
    faults.add("error", endpoint="financialtransaction/BankEntries", method="POST",
               count=tries, status=503)  # fmt: skip
    result = exporting.run(started)
    assert result.state == "waiting" and result.retry_at is not None
    waits.append(result.retry_at - clock.now())
    clock.set(result.retry_at)

    assert [round(w.total_seconds() / 30) for w in waits] == [1, 2, 4, 1]
    assert exporting.run(started).state == "finished"
    assert [status(exporting, t)[0] for t in ids] == ["exported"] * 3


class _StoreDown:
    """A receipt store that does not answer (S3 unreachable), then comes back."""

    def __init__(self, store: FileSystemReceiptStore) -> None:
        self.store, self.down = store, True

    def put(self, data: bytes) -> str:
        return self.store.put(data)

    def get(self, sha256: str) -> bytes:
        if self.down:
            raise ReceiptStoreUnavailable("bucket receipts: unreachable")
        return self.store.get(sha256)

    def exists(self, sha256: str) -> bool:
        return self.store.exists(sha256)


def test_a_receipt_store_that_does_not_answer_makes_the_run_wait_not_the_queue(
    exporting: Exporting,
) -> None:
    txn = exporting.add("T-1", [("4200", "121.00", "2")], receipts=[("bon.pdf", b"%PDF-1 bon")])
    started = exporting.start([txn])
    store = _StoreDown(FileSystemReceiptStore(exporting.c.settings.receipts_dir))
    deps = replace(exporting.deps(), receipts=store)

    waiting = run_export(deps, exporting.world.company_id, started.run_id)

    assert waiting.state == "waiting" and waiting.retry_at is not None
    assert "receipt store" in str(waiting.note)
    assert status(exporting, txn)[0] != "failed"  # not in the export queue
    assert entries_by_reference(exporting) == {}  # no entry without its receipt
    store.down = False
    exporting.world.clock.set(waiting.retry_at)
    assert run_export(deps, exporting.world.company_id, started.run_id).state == "finished"
    assert status(exporting, txn)[0] == "exported"
    assert len(exporting.rows("documents/DocumentAttachments")) == 1
