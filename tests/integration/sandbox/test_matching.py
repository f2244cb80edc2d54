"""Matching: a purchase entry opens a payable; a bank line against the supplier with
OurRef = EntryNumber and the opposite amount settles it (BOOKKEEPING.md, EXACT_API.md §4.10)."""

from __future__ import annotations

from typing import Any

import pytest

from .sandbox_api import Api, gl, make_sandbox, purchase, supplier

PAYABLES = "read/financial/PayablesList?$select=EntryNumber,Amount,AccountId,YourRef"
PAYMENTS = "cashflow/Payments?$select=EntryNumber,Status,AmountDC"


@pytest.fixture
def api() -> Api:
    return Api(make_sandbox())


def _book_coolblue(api: Api) -> dict[str, Any]:
    lines = [{"GLAccount": gl("4230"), "AmountFC": 100.0, "VATCode": "2"}]
    response = api.post("purchaseentry/PurchaseEntries", purchase(lines))
    assert response.status_code == 201, response.text
    return dict(response.json()["d"])


def _pay(api: Api, amount: float, our_ref: int, account: str | None = None) -> dict[str, Any]:
    line = {"GLAccount": gl("1600"), "AmountFC": amount, "Account": account or supplier(6),
            "OurRef": our_ref, "Date": "2026-10-16"}  # fmt: skip
    response = api.post("financialtransaction/BankEntries",
                        {"JournalCode": "20", "BankEntryLines": [line]})  # fmt: skip
    assert response.status_code == 201, response.text
    return dict(response.json()["d"])


def test_purchase_entry_opens_a_payable(api: Api) -> None:
    entry = _book_coolblue(api)
    payables = api.results(PAYABLES)
    assert [(p["EntryNumber"], p["Amount"], p["AccountId"]) for p in payables] == [
        (entry["EntryNumber"], 121.0, supplier(6))
    ]
    assert [p["Status"] for p in api.results(PAYMENTS)] == [20]


def test_exact_opposite_bank_line_settles_the_payable(api: Api) -> None:
    entry = _book_coolblue(api)
    _pay(api, -121.0, entry["EntryNumber"])
    assert api.results(PAYABLES) == []
    assert [p["Status"] for p in api.results(PAYMENTS)] == [50]


def test_a_different_amount_leaves_the_remainder_open(api: Api) -> None:
    entry = _book_coolblue(api)
    _pay(api, -100.0, entry["EntryNumber"])
    assert [p["Amount"] for p in api.results(PAYABLES)] == [21.0]
    assert [p["Status"] for p in api.results(PAYMENTS)] == [20]


def test_bank_line_for_another_supplier_does_not_settle(api: Api) -> None:
    entry = _book_coolblue(api)
    _pay(api, -121.0, entry["EntryNumber"], account=supplier(7))
    assert [p["Amount"] for p in api.results(PAYABLES)] == [121.0]


def test_refund_credit_note_is_settled_by_money_coming_in(api: Api) -> None:
    body = purchase([{"GLAccount": gl("4230"), "AmountFC": -100.0, "VATCode": "2"}])
    credit = api.post("purchaseentry/PurchaseEntries", body).json()["d"]
    _pay(api, 121.0, credit["EntryNumber"])
    assert api.results(PAYABLES) == []


def test_matched_entry_cannot_be_deleted(api: Api) -> None:
    entry = _book_coolblue(api)
    _pay(api, -121.0, entry["EntryNumber"])
    response = api.delete(f"purchaseentry/PurchaseEntries(guid'{entry['EntryID']}')")
    assert response.status_code == 500
    assert "matched" in response.json()["error"]["message"]["value"]


def test_a_bank_entry_that_settled_a_payable_cannot_be_deleted(api: Api) -> None:
    entry = _book_coolblue(api)
    payment = _pay(api, -100.0, entry["EntryNumber"])
    response = api.delete(f"financialtransaction/BankEntries(guid'{payment['EntryID']}')")
    assert response.status_code == 500
    assert "matched" in response.json()["error"]["message"]["value"]
    assert [p["Amount"] for p in api.results(PAYABLES)] == [21.0]


def test_a_bank_entry_that_settled_nothing_is_deleted_with_its_lines(api: Api) -> None:
    entry = _book_coolblue(api)
    payment = _pay(api, -121.0, entry["EntryNumber"], account=supplier(7))
    response = api.delete(f"financialtransaction/BankEntries(guid'{payment['EntryID']}')")
    assert response.status_code == 204
    assert api.results("financialtransaction/BankEntryLines?$select=ID") == []
    assert [p["Amount"] for p in api.results(PAYABLES)] == [121.0]


def test_a_paid_entrys_lines_cannot_be_changed_by_a_put(api: Api) -> None:
    entry = _book_coolblue(api)
    _pay(api, -121.0, entry["EntryNumber"])
    line_id = entry["PurchaseEntryLines"]["results"][0]["ID"]
    key = f"purchaseentry/PurchaseEntries(guid'{entry['EntryID']}')"
    response = api.put(key, {"PurchaseEntryLines": [{"ID": line_id, "AmountFC": 50.0}]})
    assert response.status_code == 500
    assert "matched" in response.json()["error"]["message"]["value"]


def test_without_auto_matching_a_paying_bank_line_leaves_the_payable_open() -> None:
    # Whether Exact matches such a line by itself is UNCONFIRMED (EXACT_API.md §4.10).
    api = Api(make_sandbox(auto_match_bank_lines=False))
    entry = _book_coolblue(api)
    bank = _pay(api, -121.0, entry["EntryNumber"])
    assert [p["Amount"] for p in api.results(PAYABLES)] == [121.0]
    assert [p["Status"] for p in api.results(PAYMENTS)] == [20]
    line = {
        "EntryID": bank["EntryID"],
        "GLAccount": gl("1600"),
        "AmountFC": -121.0,
        "Account": supplier(6),
        "OurRef": entry["EntryNumber"],
        "Date": "2026-10-16",
    }
    assert api.post("financialtransaction/BankEntryLines", line).status_code == 201
    assert [p["Status"] for p in api.results(PAYMENTS)] == [20]
    # Nothing is matched, so both entries can still be deleted.
    assert (
        api.delete(f"financialtransaction/BankEntries(guid'{bank['EntryID']}')").status_code == 204
    )
    assert api.delete(f"purchaseentry/PurchaseEntries(guid'{entry['EntryID']}')").status_code == 204
