"""The write-outcome contract against the sandbox: under faults that commit the write and
lose or spoil the answer, each reference ends up as exactly one record in Exact."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import httpx
import pytest
from test_exact_client_against_sandbox import START, World

from ledgerbridge.exact.adopt import ExactWriter, Written
from ledgerbridge.exact.errors import ExactRejected, ExactUnavailable
from ledgerbridge.exact.models import (
    BankEntryDraft,
    BankEntryLineDraft,
    PurchaseEntry,
    PurchaseEntryDraft,
    PurchaseEntryLineDraft,
)
from ledgerbridge.exact.probe import run_probe

sandbox_app = pytest.importorskip("exact_sandbox.app")
from exact_sandbox.clock import FakeClock  # noqa: E402
from exact_sandbox.core import Sandbox  # noqa: E402
from exact_sandbox.seed import DEMO_DIVISION  # noqa: E402
from exact_sandbox.transport import SandboxTransport  # noqa: E402

ENTRIES = "purchaseentry/PurchaseEntries"


@pytest.fixture
def world() -> Iterator[World]:
    clock = FakeClock(START)
    sandbox = Sandbox(clock=clock)
    client = httpx.Client(transport=SandboxTransport(sandbox_app.create_sandbox_app(sandbox)))
    yield World(clock, sandbox, client)
    client.close()


FAULTS = [("write_then_error", 502), ("write_then_error", 504), ("drop", None), ("timeout", None)]


def purchase_draft(writer: ExactWriter, gl_code: str = "4200", day: date = date(2026, 11, 1)):
    api = writer.api
    accounts = {a.code: a for a in api.sync_gl_accounts(since=0)}
    supplier = api.find_supplier(name="Coolblue")
    assert supplier is not None
    line = PurchaseEntryLineDraft(accounts[gl_code].id, Decimal("100.00"), vat_code="2",
                                  vat_amount=Decimal("21.00"))  # fmt: skip
    return PurchaseEntryDraft("60", supplier.id, day, "EUR", (line,), your_ref="INV-1",
                              description="Monitor")  # fmt: skip


def book(writer: ExactWriter, draft: PurchaseEntryDraft, reference: str) -> Written[PurchaseEntry]:
    """What the export does: create or adopt; a transient answer is retried later."""
    for _ in range(3):
        try:
            return writer.create_or_adopt_purchase_entry(draft, reference)
        except ExactUnavailable:
            continue
    raise AssertionError("never booked")


def entries_per_reference(world: World) -> Counter[str]:
    rows = world.sandbox.store.rows(DEMO_DIVISION, ENTRIES)
    return Counter(r.get("ExternalLinkReference") or "" for r in rows)


@pytest.mark.parametrize(("kind", "status"), FAULTS)
def test_purchase_entries_under_faults_that_commit_are_exactly_one_per_reference(
    world: World, kind: str, status: int | None
):
    assert not world.sandbox.settings.refuse_duplicate_your_ref
    writer = ExactWriter(world.api(world.connect()))
    draft = purchase_draft(writer)  # every entry has the same supplier, YourRef, date, amount
    world.sandbox.faults.add(kind, endpoint=ENTRIES, method="POST", count=3,  # type: ignore[arg-type]
                             **({"status": status} if status else {}))  # fmt: skip
    outcomes = [book(writer, draft, f"LB-TX-{n}").outcome for n in range(5)]
    assert outcomes == ["adopted"] * 3 + ["created"] * 2
    booked = entries_per_reference(world)
    assert booked == Counter({f"LB-TX-{n}": 1 for n in range(5)})
    # an export that crashed before recording the answer asks to look up first: adopted
    again = writer.create_or_adopt_purchase_entry(draft, "LB-TX-0", look_up_first=True)
    assert again.outcome == "adopted"
    assert entries_per_reference(world)["LB-TX-0"] == 1


def test_a_5xx_before_the_write_is_transient_and_the_retry_books_exactly_once(world: World):
    writer = ExactWriter(world.api(world.connect()))
    draft = purchase_draft(writer)
    world.sandbox.faults.add("error", endpoint=ENTRIES, method="POST", status=500, count=1)
    with pytest.raises(ExactUnavailable):
        writer.create_or_adopt_purchase_entry(draft, "LB-TX-9")
    assert writer.create_or_adopt_purchase_entry(draft, "LB-TX-9").outcome == "created"
    assert entries_per_reference(world)["LB-TX-9"] == 1


def test_exacts_validation_500_after_a_lookup_is_a_rejection(world: World):
    writer = ExactWriter(world.api(world.connect()))
    with pytest.raises(ExactRejected) as blocked:
        writer.create_or_adopt_purchase_entry(purchase_draft(writer, "4990"), "LB-TX-B")
    with pytest.raises(ExactRejected) as closed:
        writer.create_or_adopt_purchase_entry(purchase_draft(writer, day=date(2025, 1, 15)),
                                              "LB-TX-C")  # fmt: skip
    assert blocked.value.message and closed.value.message != blocked.value.message
    assert not entries_per_reference(world)["LB-TX-B"]


def test_with_the_client_entry_id_honoured_it_is_the_first_strategy(world: World):
    world.sandbox.settings.honour_client_entry_id = True
    writer = ExactWriter(world.api(world.connect()), client_entry_id_honoured=True)
    draft = purchase_draft(writer)
    world.sandbox.faults.add("write_then_error", endpoint=ENTRIES, method="POST", count=1)
    written = writer.create_or_adopt_purchase_entry(draft, "LB-TX-E")
    assert written.outcome == "adopted"
    assert written.record.entry_id == writer.entry_id_for("LB-TX-E")
    assert entries_per_reference(world)["LB-TX-E"] == 1


def test_documents_attachments_suppliers_and_bank_entries_are_adopted_after_a_lost_answer(
    world: World,
):
    writer = ExactWriter(world.api(world.connect()))
    api = writer.api
    for endpoint in ("documents/Documents", "documents/DocumentAttachments", "crm/Accounts",
                     "financialtransaction/BankEntries"):  # fmt: skip
        world.sandbox.faults.add("write_then_error", endpoint=endpoint, method="POST", count=1)
    supplier = writer.create_or_adopt_supplier("Bol.com Zakelijk", "NL", vat_number="NL999B01")
    assert supplier.outcome == "adopted"
    again = writer.create_or_adopt_supplier("Bol.com Zakelijk", "NL", look_up_first=True)
    assert again.outcome == "adopted"
    document = writer.create_or_adopt_document("LB-TX-D", 20, subject="Receipt",
                                               account_id=supplier.record.id)  # fmt: skip
    assert document.outcome == "adopted" and document.record.subject == "Receipt [LB-TX-D]"
    attachment = writer.create_or_adopt_attachment(document.record.id, "r.pdf", b"%PDF-1.4")
    assert attachment.outcome == "adopted" and attachment.record.id
    bank_gl = next(a.id for a in api.sync_gl_accounts(since=0) if a.code == "1600")
    lines = (BankEntryLineDraft(date(2026, 11, 2), Decimal("-12.00"), bank_gl),
             BankEntryLineDraft(date(2026, 11, 2), Decimal("-8.00"), bank_gl))  # fmt: skip
    bank = writer.create_or_adopt_bank_entry(BankEntryDraft("20", "EUR", lines), "ST-2026-11")
    assert bank.outcome == "adopted" and bank.record.entry_id
    line = api.find_bank_entry_line("ST-2026-11", 2)
    assert line is not None and line.amount == Decimal("-8.00")
    store = world.sandbox.store
    assert len(store.find(DEMO_DIVISION, "crm/Accounts", "Name", "Bol.com Zakelijk")) == 1
    assert len(store.find(DEMO_DIVISION, "documents/Documents", "Subject",
                          "Receipt [LB-TX-D]")) == 1  # fmt: skip
    assert len(store.rows(DEMO_DIVISION, "documents/DocumentAttachments")) == 1
    assert len(store.find(DEMO_DIVISION, "financialtransaction/BankEntryLines", "Notes",
                          "ST-2026-11/1")) == 1  # fmt: skip


@pytest.mark.parametrize("honoured", [False, True])
def test_the_probe_tells_whether_the_client_entry_id_is_honoured(world: World, honoured: bool):
    world.sandbox.settings.honour_client_entry_id = honoured
    report = run_probe(world.api(world.connect()), write=True, today=date(2026, 11, 2))
    outcomes = {c.name: c.outcome for c in report.checks}
    assert outcomes["client EntryID accepted"] == ("yes" if honoured else "no"), report.lines()
    assert outcomes["BankEntryLines Notes filterable"] == "yes"
    assert outcomes["clean-up"] == "yes", report.lines()
