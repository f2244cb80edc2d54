"""A full export against the sandbox (duplicate refusal off, the default): each ready
transaction becomes exactly one purchase entry with its receipt and one bank entry line,
matched at once, and the history says so."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from conftest import Exporting
from ledgerbridge.db.repositories.exports import HistoryFilter
from ledgerbridge.domain.export_status import ExportStatus

ENTRIES = "purchaseentry/PurchaseEntries"
BANK_LINES = "financialtransaction/BankEntryLines"
BANK_ENTRIES = "financialtransaction/BankEntries"


def status(exporting: Exporting, txn_id: object) -> tuple[str, str | None]:
    with exporting.c.uow() as uow:
        row = uow.transactions.get(exporting.world.company_id, txn_id)
        assert row is not None
        return row.status, row.status_reason


def test_a_full_export_books_each_transaction_once_with_its_receipt_and_bank_line(
    exporting: Exporting,
) -> None:
    assert not exporting.world.sandbox.settings.refuse_duplicate_your_ref
    ids = [
        exporting.add("T-1", [("4200", "121.00", "2")], receipts=[("bon.pdf", b"%PDF-1 bon")]),
        exporting.add("T-2", [("4200", "50.00", "2"), ("4510", "10.90", "4")]),
        exporting.add("T-3", [("4330", "12.10", "2")], merchant="Q-Park"),
    ]
    started = exporting.start(ids)
    result = exporting.run(started)

    assert result.state == "finished", result.note
    assert [status(exporting, t)[0] for t in ids] == [ExportStatus.EXPORTED.value] * 3
    entries = exporting.rows(ENTRIES)
    assert Counter(e["ExternalLinkReference"] for e in entries) == {"T-1": 1, "T-2": 1, "T-3": 1}
    by_ref = {e["ExternalLinkReference"]: e for e in entries}
    assert by_ref["T-1"]["Document"] is not None
    assert len(exporting.rows("documents/DocumentAttachments")) == 1
    lines = exporting.rows(BANK_LINES)
    assert len(lines) == 3 and len(exporting.rows(BANK_ENTRIES)) == 1  # one batch
    paid = {line["OurRef"]: Decimal(str(line["AmountFC"])) for line in lines}
    assert paid == {
        by_ref["T-1"]["EntryNumber"]: Decimal("-121.00"),
        by_ref["T-2"]["EntryNumber"]: Decimal("-60.90"),
        by_ref["T-3"]["EntryNumber"]: Decimal("-12.10"),
    }
    with exporting.c.uow() as uow:
        history = [
            (t.external_id, e.entry_number, e.match_status, len(e.attachments))
            for t, e in uow.exports.history(exporting.world.company_id, HistoryFilter())
        ]
    assert sorted(history) == [
        ("T-1", by_ref["T-1"]["EntryNumber"], "matched", 1),
        ("T-2", by_ref["T-2"]["EntryNumber"], "matched", 0),
        ("T-3", by_ref["T-3"]["EntryNumber"], "matched", 0),
    ]
