"""ExactWriter: create, and after an unknown outcome look up by our reference — adopt what
was found, reject on Exact's validation text, otherwise transient (and look up first next)."""

from __future__ import annotations

import json
import uuid
from datetime import date
from decimal import Decimal
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest
from exact_harness import Harness

from ledgerbridge.exact.adopt import ExactWriter, client_entry_id
from ledgerbridge.exact.api import ExactApi
from ledgerbridge.exact.errors import ExactRejected, ExactUnavailable
from ledgerbridge.exact.models import PurchaseEntryDraft, PurchaseEntryLineDraft

GUID = "11111111-2222-4333-8444-555555555555"
SUPPLIER = "00000000-0000-4000-8000-000000000007"
REF = "LB-TX-0001"
ENTRY = {"EntryID": GUID, "EntryNumber": 26000001, "AmountFC": 12.1, "Status": 20,
         "Supplier": SUPPLIER, "ExternalLinkReference": REF}  # fmt: skip


def draft() -> PurchaseEntryDraft:
    line = PurchaseEntryLineDraft(GUID, Decimal("12.10"), vat_code="2")
    return PurchaseEntryDraft("60", SUPPLIER, date(2026, 3, 31), "EUR", (line,), your_ref="INV-9")


def exact_error(status: int, text: str) -> httpx.Response:
    body = {"error": {"code": "", "message": {"lang": "en-US", "value": text}}}
    return httpx.Response(status, json=body)


def gateway(status: int = 502) -> httpx.Response:
    return httpx.Response(status, text=f"<html><h1>{status} Bad Gateway</h1></html>")


def found(*entries: dict[str, object]) -> httpx.Response:
    return httpx.Response(200, json={"d": {"results": list(entries)}})


def scripted(harness: Harness, post: httpx.Response | Exception, get: httpx.Response):
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return get
        if isinstance(post, Exception):
            raise post
        return post

    return ExactWriter(ExactApi(harness.http(handler), 123))


def query(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(unquote(str(request.url))).query).items()}


def test_the_happy_path_is_one_call_and_sends_our_reference(harness: Harness):
    writer = scripted(harness, httpx.Response(201, json={"d": ENTRY}), found())
    written = writer.create_or_adopt_purchase_entry(draft(), REF)
    assert written.outcome == "created" and written.record.entry_id == GUID
    assert [r.method for r in harness.requests] == ["POST"]
    sent = json.loads(harness.requests[0].content)
    assert sent["ExternalLinkReference"] == REF and sent["YourRef"] == "INV-9"
    assert "EntryID" not in sent  # never rely on the client EntryID unprobed


@pytest.mark.parametrize(
    "post",
    [gateway(502), gateway(504), exact_error(500, "Mandatory: Journal"),
     httpx.ReadTimeout("timed out"), httpx.RemoteProtocolError("reset"),
     httpx.Response(201, text="")],
)  # fmt: skip
def test_an_unknown_outcome_that_is_found_by_our_reference_is_adopted(harness, post):
    other = {**ENTRY, "EntryID": "22222222-2222-4333-8444-555555555555",
             "ExternalLinkReference": "LB-TX-0002"}  # fmt: skip
    writer = scripted(harness, post, found(other, ENTRY))
    written = writer.create_or_adopt_purchase_entry(draft(), REF)
    assert written.outcome == "adopted" and written.record.entry_id == GUID
    assert [r.method for r in harness.requests] == ["POST", "GET"]
    lookup = query(harness.requests[1])["$filter"]
    assert lookup == (
        f"Supplier eq guid'{SUPPLIER}' and EntryDate eq datetime'2026-03-31T00:00:00'"
    )


def test_not_found_after_exacts_validation_500_is_a_rejection(harness: Harness):
    writer = scripted(harness, exact_error(500, "Ongeldig: Grootboekrekeningtype"), found())
    with pytest.raises(ExactRejected) as raised:
        writer.create_or_adopt_purchase_entry(draft(), REF)
    assert raised.value.message == "Ongeldig: Grootboekrekeningtype"
    assert [r.method for r in harness.requests] == ["POST", "GET"]


@pytest.mark.parametrize(
    "post",
    [gateway(502), exact_error(500, "An unexpected error occurred."),
     httpx.ReadTimeout("timed out")],
)  # fmt: skip
def test_not_found_otherwise_is_transient_and_the_retry_looks_up_before_sending(harness, post):
    answers = iter([post, httpx.Response(201, json={"d": ENTRY})])

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return found()
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    writer = ExactWriter(ExactApi(harness.http(handler), 123))
    with pytest.raises(ExactUnavailable):
        writer.create_or_adopt_purchase_entry(draft(), REF)
    written = writer.create_or_adopt_purchase_entry(draft(), REF)
    assert written.outcome == "created"
    assert [r.method for r in harness.requests] == ["POST", "GET", "GET", "POST"]


def test_a_caller_that_knows_an_earlier_attempt_was_unknown_can_ask_to_look_up_first(harness):
    writer = scripted(harness, httpx.Response(201, json={"d": ENTRY}), found(ENTRY))
    written = writer.create_or_adopt_purchase_entry(draft(), REF, look_up_first=True)
    assert written.outcome == "adopted"
    assert [r.method for r in harness.requests] == ["GET"]


def test_with_the_client_entry_id_probed_it_is_sent_and_looked_up_first(harness: Harness):
    ours = client_entry_id(123, REF)
    assert ours == client_entry_id(123, REF) != client_entry_id(124, REF)
    uuid.UUID(ours)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return found({**ENTRY, "EntryID": ours})
        return gateway(502)

    writer = ExactWriter(ExactApi(harness.http(handler), 123), client_entry_id_honoured=True)
    written = writer.create_or_adopt_purchase_entry(draft(), REF)
    assert written.outcome == "adopted" and written.record.entry_id == ours
    assert json.loads(harness.requests[0].content)["EntryID"] == ours
    assert query(harness.requests[1])["$filter"] == f"EntryID eq guid'{ours}'"


def test_a_document_is_adopted_by_its_subject_carrying_our_reference(harness: Harness):
    document = {"ID": GUID, "Subject": "Receipt [LB-TX-0001]", "Type": 20}
    writer = scripted(harness, gateway(504), found(document))
    written = writer.create_or_adopt_document(REF, 20, subject="Receipt")
    assert written.outcome == "adopted" and written.record.id == GUID
    assert json.loads(harness.requests[0].content)["Subject"] == "Receipt [LB-TX-0001]"
    assert query(harness.requests[1])["$filter"] == "Subject eq 'Receipt [LB-TX-0001]'"


def test_an_attachment_is_adopted_by_document_and_file_name(harness: Harness):
    attachment = {"ID": GUID, "Document": SUPPLIER, "FileName": "receipt.pdf"}
    writer = scripted(harness, httpx.ReadTimeout("slow"), found(attachment))
    written = writer.create_or_adopt_attachment(SUPPLIER, "receipt.pdf", b"%PDF")
    assert written.outcome == "adopted" and written.record.id == GUID
    assert query(harness.requests[1])["$filter"] == (
        f"Document eq guid'{SUPPLIER}' and FileName eq 'receipt.pdf'"
    )


def test_a_supplier_is_adopted_by_code_then_vat_number_then_name(harness: Harness):
    account = {"ID": GUID, "Code": "   K-7", "Name": "Coolblue", "IsSupplier": True}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return gateway(502)
        return found(account) if "Name eq" in query(request)["$filter"] else found()

    writer = ExactWriter(ExactApi(harness.http(handler), 123))
    written = writer.create_or_adopt_supplier("Coolblue", "NL", vat_number="NL1", code="K-7")
    assert written.outcome == "adopted" and written.record.id == GUID
    filters = [query(r)["$filter"] for r in harness.requests[1:]]
    assert filters == ["IsSupplier eq true and trim(Code) eq 'K-7'",
                       "IsSupplier eq true and VATNumber eq 'NL1'",
                       "IsSupplier eq true and Name eq 'Coolblue'"]  # fmt: skip
