"""ExactApi: typed calls, paging via __next, sync filters, lookups that never 404."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest
from exact_harness import BASE, Harness

from ledgerbridge.exact.api import ExactApi
from ledgerbridge.exact.errors import ExactError, ExactOutcomeUnknown, ExactRecordInvalid
from ledgerbridge.exact.models import PurchaseEntryDraft, PurchaseEntryLineDraft

GUID = "11111111-2222-4333-8444-555555555555"


def account(n: int, **extra: object) -> dict[str, object]:
    return {"ID": f"00000000-0000-4000-8000-{n:012d}", "Code": f"  {n}", "Name": f"S{n}",
            "IsSupplier": True, "Timestamp": 100 + n, **extra}  # fmt: skip


def query(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(unquote(str(request.url))).query).items()}


def test_paging_follows_next_links_verbatim_until_the_last_page(harness: Harness):
    next1 = f"{BASE}/api/v1/123/sync/CRM/Accounts?$select=x&$skiptoken=guid'aa'"
    next2 = f"{BASE}/api/v1/123/sync/CRM/Accounts?$select=x&$skiptoken=guid'bb'"
    pages = {
        None: {"d": {"results": [account(1), account(2)], "__next": next1}},
        "guid'aa'": {"d": {"results": [account(3)], "__next": next2}},
        "guid'bb'": {"d": {"results": [account(4)]}},
    }
    http = harness.http(lambda r: httpx.Response(200, json=pages[query(r).get("$skiptoken")]))
    suppliers = list(ExactApi(http, 123).sync_suppliers(since=41))
    assert [s.code for s in suppliers] == ["1", "2", "3", "4"]
    assert max(s.timestamp or 0 for s in suppliers) == 104
    first = query(harness.requests[0])
    assert first["$filter"] == "Timestamp gt 41"
    assert "IsSupplier" in first["$select"] and "Timestamp" in first["$select"]
    assert [str(r.url) for r in harness.requests[1:]] == [next1, next2]


def test_a_server_that_repeats_a_page_link_cannot_loop_the_client_forever(harness: Harness):
    link = f"{BASE}/api/v1/123/sync/CRM/Accounts?$skiptoken=guid'aa'"
    http = harness.http(lambda r: httpx.Response(200, json={"d": {"results": [], "__next": link}}))
    with pytest.raises(ExactError):
        list(ExactApi(http, 123).sync_suppliers(since=0))
    assert len(harness.requests) == 2


def test_customers_are_dropped_and_unusable_records_skipped_without_ending_the_sync(harness):
    page = {"d": {"results": [account(1), account(2, IsSupplier=False),
                              {"Code": "no id"}, account(3)]}}  # fmt: skip
    http = harness.http(lambda r: httpx.Response(200, json=page))
    skipped: list[ExactRecordInvalid] = []
    suppliers = list(ExactApi(http, 123, on_invalid=skipped.append).sync_suppliers(0))
    assert [s.code for s in suppliers] == ["1", "3"]
    assert len(skipped) == 1 and skipped[0].resource == "Account"


def test_every_call_uses_the_stored_division_except_the_current_user(harness: Harness):
    me = {"d": {"results": [{"UserID": GUID, "CurrentDivision": 999}]}}
    http = harness.http(lambda r: httpx.Response(200, json=me if "Me" in r.url.path else
                                                 {"d": {"results": []}}))  # fmt: skip
    api = ExactApi(http, 123)
    assert api.me().current_division == 999
    list(api.vat_codes())
    api.document_types()
    paths = [r.url.path for r in harness.requests]
    assert paths == ["/api/v1/current/Me", "/api/v1/123/vat/VATCodes",
                     "/api/v1/123/documents/DocumentTypes"]  # fmt: skip
    assert all("$select" in query(r) for r in harness.requests)
    assert query(harness.requests[1])["$expand"] == "VATPercentages"


def test_finding_a_supplier_tries_the_vat_number_then_the_name(harness: Harness):
    def handler(request: httpx.Request) -> httpx.Response:
        found = "Name eq" in query(request)["$filter"]
        return httpx.Response(200, json={"d": {"results": [account(7)] if found else []}})

    api = ExactApi(harness.http(handler), 123)
    supplier = api.find_supplier(vat_number="NL001", name="Albert Heijn")
    assert supplier is not None and supplier.code == "7"
    filters = [query(r)["$filter"] for r in harness.requests]
    assert filters == ["IsSupplier eq true and VATNumber eq 'NL001'",
                       "IsSupplier eq true and Name eq 'Albert Heijn'"]  # fmt: skip


def test_a_missing_purchase_entry_is_none_not_a_404(harness: Harness):
    http = harness.http(lambda r: httpx.Response(200, json={"d": {"results": []}}))
    assert ExactApi(http, 123).get_purchase_entry(GUID) is None
    assert query(harness.requests[0])["$filter"] == f"EntryID eq guid'{GUID}'"


def test_finding_an_entry_after_a_lost_answer_filters_on_supplier_reference_and_date(harness):
    http = harness.http(lambda r: httpx.Response(200, json={"d": {"results": []}}))
    ExactApi(http, 123).find_purchase_entry(GUID, "LB-7", date(2026, 3, 31))
    assert query(harness.requests[0])["$filter"] == (
        f"Supplier eq guid'{GUID}' and YourRef eq 'LB-7' and "
        "EntryDate eq datetime'2026-03-31T00:00:00'"
    )


def test_creating_a_purchase_entry_returns_what_exact_stored(harness: Harness):
    created = {"d": {"EntryID": GUID, "EntryNumber": 26000001, "AmountFC": 12.1, "Status": 20}}
    http = harness.http(lambda r: httpx.Response(201, json=created))
    line = PurchaseEntryLineDraft(GUID, Decimal("12.10"), vat_code="2")
    draft = PurchaseEntryDraft("60", GUID, date(2026, 3, 31), "EUR", (line,), your_ref="LB-1")
    entry = ExactApi(http, 123).create_purchase_entry(draft, "LB-TX-1")
    assert (entry.entry_number, entry.amount) == (26000001, Decimal("12.10"))
    sent = json.loads(harness.requests[0].content)
    assert sent["EntryDate"] == "2026-03-31" and sent["ExternalLinkReference"] == "LB-TX-1"
    assert "EntryID" not in sent
    assert sent["PurchaseEntryLines"][0]["AmountFC"] == 12.1


def test_an_attachment_is_sent_base64_encoded(harness: Harness):
    http = harness.http(lambda r: httpx.Response(201, json={"d": {"ID": GUID}}))
    assert ExactApi(http, 123).attach(GUID, "receipt.pdf", b"%PDF-1.4 bytes") == GUID
    sent = json.loads(harness.requests[0].content)
    assert base64.b64decode(sent["Attachment"]) == b"%PDF-1.4 bytes"
    assert harness.requests[0].url.path == "/api/v1/123/documents/DocumentAttachments"


def test_a_late_receipt_is_linked_to_its_entry_with_a_put(harness: Harness):
    http = harness.http(lambda r: httpx.Response(204))
    ExactApi(http, 123).attach_document_to_entry(GUID, "doc-guid")
    request = harness.requests[0]
    assert request.method == "PUT"
    assert unquote(request.url.path) == f"/api/v1/123/purchaseentry/PurchaseEntries(guid'{GUID}')"
    assert json.loads(request.content) == {"Document": "doc-guid"}


@pytest.mark.parametrize("answer", [httpx.Response(201), httpx.Response(201, json={"d": {}})])
def test_a_create_confirmed_without_a_usable_record_must_be_looked_up_not_resent(harness, answer):
    http = harness.http(lambda r: answer)
    line = PurchaseEntryLineDraft(GUID, Decimal("1.00"))
    draft = PurchaseEntryDraft("60", GUID, date(2026, 3, 31), "EUR", (line,))
    with pytest.raises(ExactOutcomeUnknown):
        ExactApi(http, 123).create_purchase_entry(draft, "LB-TX-1")
    assert len(harness.requests) == 1


def _ms(day: date) -> str:
    return f"/Date({int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) * 1000})/"


def _period(year: int, period: int, start: date, end: date) -> dict[str, object]:
    return {"ID": f"00000000-0000-4000-8000-{year:06d}{period:06d}", "FinYear": year,
            "FinPeriod": period, "StartDate": _ms(start), "EndDate": _ms(end)}  # fmt: skip


def test_the_period_table_is_read_with_each_periods_last_day_and_bad_rows_skipped(
    harness: Harness,
):
    rows = [
        _period(2026, 2, date(2026, 2, 1), date(2026, 3, 1)),
        _period(2026, 1, date(2026, 1, 1), date(2026, 2, 1)),
        {"ID": GUID, "FinYear": 2026, "FinPeriod": 3, "StartDate": None},  # no dates
        _period(2026, 4, date(2026, 4, 1), date(2026, 3, 1)),  # ends before it starts
    ]
    http = harness.http(lambda r: httpx.Response(200, json={"d": {"results": rows}}))
    skipped: list[ExactRecordInvalid] = []
    periods = ExactApi(http, 123, on_invalid=skipped.append).financial_periods()
    assert [(p.year, p.period, p.start, p.last_day) for p in periods] == [
        (2026, 1, date(2026, 1, 1), date(2026, 1, 31)),
        (2026, 2, date(2026, 2, 1), date(2026, 2, 28)),
    ]
    assert [s.resource for s in skipped] == ["FinancialPeriod", "FinancialPeriod"]
    assert harness.requests[0].url.path == "/api/v1/123/financial/FinancialPeriods"
    assert query(harness.requests[0])["$select"] == "ID,FinYear,FinPeriod,StartDate,EndDate"


def test_a_period_table_whose_ends_are_last_days_loses_no_day(harness: Harness):
    rows = [
        _period(2026, 1, date(2026, 1, 1), date(2026, 1, 31)),
        _period(2026, 2, date(2026, 2, 1), date(2026, 2, 28)),
    ]
    http = harness.http(lambda r: httpx.Response(200, json={"d": {"results": rows}}))
    periods = ExactApi(http, 123).financial_periods()
    assert [p.last_day for p in periods] == [date(2026, 1, 31), date(2026, 2, 28)]
