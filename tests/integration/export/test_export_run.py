"""A full export against the sandbox (duplicate refusal off, the default): each ready
transaction becomes exactly one purchase entry with its receipt and one bank entry line,
matched at once, and the history says so."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from export_world import Exporting

from ledgerbridge.db.repositories.exports import HistoryFilter
from ledgerbridge.domain.export_status import ExportStatus
from ledgerbridge.files.store import FileSystemReceiptStore
from ledgerbridge.services.export.saga import push_late_receipts
from ledgerbridge.services.export.start import sweep_late_receipts
from ledgerbridge.services.prep.preview import preview_of
from ledgerbridge.services.transactions import receipts

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


CASES = {
    "split 21 % and 9 %": dict(lines=[("4200", "24.20", "2"), ("4510", "10.90", "4")]),
    "refund (a credit entry)": dict(lines=[("4230", "121.00", "2")], kind="refund"),
    "foreign currency": dict(lines=[("4310", "110.00", "6")], original=("120.00", "USD")),
    "reverse charge": dict(lines=[("4400", "50.00", "7")], merchant="Google Ireland"),
}


def test_refunds_foreign_currency_reverse_charge_and_splits_arrive_as_previewed(
    exporting: Exporting,
) -> None:
    ids = {name: exporting.add(f"C-{n}", **case) for n, (name, case) in enumerate(CASES.items())}
    previews = {p.transaction_id: p for p in preview_of(exporting.c.uow,
                exporting.world.company_id, list(ids.values()))}  # fmt: skip
    assert exporting.run(exporting.start(list(ids.values()))).state == "finished"

    gl_codes = {g["ID"]: g["Code"] for g in exporting.rows("financial/GLAccounts")}
    entries = {e["ExternalLinkReference"]: e for e in exporting.rows(ENTRIES)}
    lines = exporting.rows("purchaseentry/PurchaseEntryLines")
    for name, txn_id in ids.items():
        documents = previews[txn_id].documents
        assert documents is not None and documents.purchase_entry is not None, name
        entry = entries[documents.purchase_entry.reference]
        booked = sorted(
            (gl_codes[line["GLAccount"]], Decimal(str(line["AmountFC"])), line.get("VATCode"))
            for line in lines if line["EntryID"] == entry["EntryID"]
        )  # fmt: skip
        shown = sorted(
            (line.gl_account, line.amount.amount, line.vat_code)
            for line in documents.purchase_entry.lines
        )
        assert booked == shown, name
        bank = [b for b in exporting.rows(BANK_LINES) if b["OurRef"] == entry["EntryNumber"]]
        assert [Decimal(str(b["AmountFC"])) for b in bank] == [
            line.amount.amount for line in documents.bank_lines
        ], name
    refund = entries[f"C-{list(CASES).index('refund (a credit entry)')}"]
    assert Decimal(str(refund["AmountFC"])) < 0  # the credit entry


def test_a_receipt_added_after_the_export_reaches_its_entry_and_the_history_shows_it(
    exporting: Exporting,
) -> None:
    txn = exporting.add("T-9", [("4200", "12.10", "2")])
    exporting.run(exporting.start([txn]))
    [entry] = exporting.rows(ENTRIES)
    assert entry.get("Document") is None
    c = exporting.c
    store = FileSystemReceiptStore(c.settings.receipts_dir)
    limits = receipts.ReceiptLimits(c.settings.receipt_max_bytes, c.settings.receipt_warn_bytes)
    receipts.add_receipt(c.uow(), store, exporting.world.company_id, txn, b"%PDF-1.4 late bon",
                         "late.pdf", actor="anna@example.com", limits=limits)  # fmt: skip
    assert sweep_late_receipts(c.uow, c.queue) == 1

    assert push_late_receipts(exporting.deps(), exporting.world.company_id, txn) == 1

    [entry] = exporting.rows(ENTRIES)
    [document] = exporting.rows("documents/Documents")
    assert entry["Document"] == document["ID"]  # linked to the existing entry
    [attachment] = exporting.rows("documents/DocumentAttachments")
    assert (attachment["Document"], attachment["FileName"]) == (document["ID"], "late.pdf")
    with c.uow() as uow:
        [(_, saga)] = uow.exports.history(exporting.world.company_id, HistoryFilter())
        assert (len(saga.attachments), saga.document_linked) == (1, True)
        assert uow.exports.unpushed_receipts() == []
    assert push_late_receipts(exporting.deps(), exporting.world.company_id, txn) == 0
    assert len(exporting.rows("documents/DocumentAttachments")) == 1  # never twice
