"""Open payables and their settlement ("afletteren"), as Exact's bank reconciliation does it.

A purchase entry opens one payment term (``cashflow/Payments``, Status 20) and
a ``read/financial/PayablesList`` row with the open ``Amount`` (the entry's
total: positive for an invoice, negative for a credit note). A bank entry line
with ``Account`` = the supplier and ``OurRef`` = the entry's ``EntryNumber``
settles it: the line amount (negative = money out) is added to the open
amount; at zero the payment becomes Status 50 (matched) and leaves the
PayablesList; otherwise the remainder stays open. EXACT_API.md §4.10 marks
this auto-matching as reported, not documented; the sandbox implements it
unless the setting ``auto_match_bank_lines`` is off.
The settling line remembers the payment (``_settles``): both sides of a match
are then "matched" entries, which Exact refuses to delete (§5).
"""

from __future__ import annotations

from decimal import Decimal

from exact_sandbox.store import Row, Store

PAYMENTS = "cashflow/Payments"
PAYABLES = "read/financial/PayablesList"
BANK_LINES = "financialtransaction/BankEntryLines"
OPEN, MATCHED = 20, 50


def open_payable(store: Store, division: int, entry: Row, supplier: Row, journal: Row) -> Row:
    """Create the payment term and the open item for a new purchase entry."""
    payment = store.insert(division, PAYMENTS, {
        "TransactionEntryID": entry["EntryID"], "Account": supplier["ID"],
        "AccountCode": supplier["Code"], "AccountName": supplier["Name"],
        "AmountDC": entry["AmountDC"], "AmountFC": entry["AmountFC"],
        "Currency": entry["Currency"], "Description": entry.get("Description"),
        "DueDate": entry["DueDate"], "EntryNumber": entry["EntryNumber"],
        "InvoiceDate": entry["EntryDate"], "InvoiceNumber": entry["EntryNumber"],
        "Journal": journal["Code"], "JournalDescription": journal["Description"],
        "PaymentMethod": "B", "PaymentReference": entry.get("PaymentReference"),
        "Status": OPEN, "YourRef": entry.get("YourRef"),
    })  # fmt: skip
    store.insert(division, PAYABLES, {
        "HID": payment["Timestamp"], "Id": entry["EntryID"], "AccountId": supplier["ID"],
        "AccountCode": supplier["Code"], "AccountName": supplier["Name"],
        "Amount": entry["AmountFC"], "AmountInTransit": Decimal("0"), "ApprovalStatus": 1,
        "CurrencyCode": entry["Currency"], "Description": entry.get("Description"),
        "DueDate": entry["DueDate"], "EntryNumber": entry["EntryNumber"],
        "InvoiceDate": entry["EntryDate"], "InvoiceNumber": entry["EntryNumber"],
        "JournalCode": journal["Code"], "JournalDescription": journal["Description"],
        "YourRef": entry.get("YourRef"),
    })  # fmt: skip
    return payment


def settle(store: Store, division: int, line: Row) -> bool:
    """Apply a bank line to the open item it names; True when something was settled."""
    if line.get("Account") is None or line.get("OurRef") is None:
        return False
    for payment in store.find(division, PAYMENTS, "EntryNumber", line["OurRef"]):
        if payment["Account"] != line["Account"] or payment["Status"] == MATCHED:
            continue
        payable = store.find_one(division, PAYABLES, "Id", payment["TransactionEntryID"])
        if payable is None:
            continue
        remaining = Decimal(payable["Amount"]) + Decimal(line["AmountFC"])
        if remaining == 0:
            store.update(division, PAYMENTS, payment["ID"], Status=MATCHED)
            store.delete(division, PAYABLES, payable["HID"])
        else:
            store.update(division, PAYABLES, payable["HID"], Amount=remaining)
        store.update(division, BANK_LINES, line["ID"], _settles=payment["ID"])
        return True
    return False


def settled_by_bank_entry(store: Store, division: int, entry_id: str) -> bool:
    """Whether any line of this bank entry settled (part of) an open payable."""
    lines = store.find(division, BANK_LINES, "EntryID", entry_id)
    return any(line.get("_settles") is not None for line in lines)


def is_matched(store: Store, division: int, entry_id: str) -> bool:
    """Whether any part of the entry's payable was settled (its open amount changed)."""
    for payment in store.find(division, PAYMENTS, "TransactionEntryID", entry_id):
        if payment["Status"] == MATCHED:
            return True
        payable = store.find_one(division, PAYABLES, "Id", entry_id)
        if payable is not None and payable["Amount"] != payment["AmountFC"]:
            return True
    return False


def remove_payable(store: Store, division: int, entry_id: str) -> None:
    """Drop the open item and payment term of a deleted (unmatched) entry."""
    for payment in store.find(division, PAYMENTS, "TransactionEntryID", entry_id):
        store.delete(division, PAYMENTS, payment["ID"])
    payable = store.find_one(division, PAYABLES, "Id", entry_id)
    if payable is not None:
        store.delete(division, PAYABLES, payable["HID"])


def change_amount(store: Store, division: int, entry_id: str, amount: Decimal) -> None:
    """An unmatched entry's total changed (a line was added): its open item follows."""
    for payment in store.find(division, PAYMENTS, "TransactionEntryID", entry_id):
        store.update(division, PAYMENTS, payment["ID"], AmountDC=amount, AmountFC=amount)
    payable = store.find_one(division, PAYABLES, "Id", entry_id)
    if payable is not None:
        store.update(division, PAYABLES, payable["HID"], Amount=amount)
