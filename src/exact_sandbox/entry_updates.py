"""PUT on a purchase entry: header changes and Exact's "deep update" of inline lines.

Header: the journal and supplier cannot change; a new EntryDate must fall in an
open period; a Document must exist. Lines (``PurchaseEntryLines`` in the PUT
body, EXACT_API.md §4.7 "on PUT lines are not required"): each line must name
one of the entry's own lines by ``ID`` and is then validated and recomputed as
on POST (fields it leaves out or echoes unchanged keep their stored value); a
line without a known
``ID`` is refused with WCF's 400 "Binding to new entities …", as Exact answers a
PUT that adds lines (reported for SalesEntries, picqer #538; the text's tail is
inferred) — new lines are POSTed to ``PurchaseEntryLines``. Lines the body does
not name stay as they are. A (partly) matched entry's lines cannot change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from exact_sandbox import matching, messages
from exact_sandbox.entries import (
    PURCHASE_LINES,
    day_of,
    link_document,
    purchase_line,
    refresh_totals,
)
from exact_sandbox.odata import ODataError
from exact_sandbox.store import Row
from exact_sandbox.validation import Checker

#: What a client writes on a line (the rest is computed by the sandbox).
LINE_INPUT = (
    "GLAccount", "Description", "VATCode", "CostCenter", "CostUnit", "Project", "Notes",
    "Quantity", "From", "To",
)  # fmt: skip
AMOUNT_INPUT = frozenset({"GLAccount", "AmountFC", "VATCode"})
WRITABLE = frozenset(LINE_INPUT) | {"AmountFC", "VATAmountFC"}


def check_purchase_update(check: Checker, entry: Row, changes: Row) -> None:
    """The header part of a PUT; problems are collected on ``check``."""
    if "Journal" in changes and changes["Journal"] != entry["Journal"]:
        check.add("not_allowed", "journal")
    if "Supplier" in changes and changes["Supplier"] != entry["Supplier"]:
        check.add("not_allowed", "supplier")
    if "EntryDate" in changes and changes["EntryDate"] is None:
        check.add("mandatory", "entry_date")  # an entry always has a date
    elif "EntryDate" in changes:
        changes["EntryDate"] = day_of(changes["EntryDate"])
        check.period(changes["EntryDate"])
    if changes.get("Document") is not None:
        link_document(check, changes)


def updated_lines(check: Checker, entry: Row, raw_lines: Any, changes: Row) -> list[Row]:
    """The PUT's lines validated and recomputed; ODataError (400) for a line that is new."""
    if not raw_lines:
        return []
    stored = {
        line["ID"]: line
        for line in check.store.find(check.division, PURCHASE_LINES, "EntryID", entry["EntryID"])
    }
    if any(raw.get("ID") not in stored for raw in raw_lines):
        raise ODataError(messages.NEW_ENTITY_IN_UPDATE)
    if matching.is_matched(check.store, check.division, entry["EntryID"]):
        check.add("matched")
        return []
    day: datetime = changes.get("EntryDate") or entry["EntryDate"]
    check.period(day)
    lines = []
    for raw in raw_lines:
        old = stored[raw["ID"]]
        lines.append(purchase_line(check, _as_sent(check, old, raw), day, old["LineNumber"]))
    return lines


def store_updated_lines(check: Checker, entry: Row, lines: list[Row]) -> None:
    """Write validated lines back; the entry's totals and open payable follow."""
    for line in lines:
        check.store.update(check.division, PURCHASE_LINES, line["ID"], **line)
    if lines:
        refresh_totals(check, entry["EntryID"])


def _as_sent(check: Checker, old: Row, raw: Row) -> Row:
    """The stored line as its client would have sent it, with the PUT's changes over it.

    Only writable fields whose value differs count as changes, so a client that echoes
    a line as it read it (computed fields included) changes nothing it did not mean to.
    An including VAT code's line was sent gross (stored net); an untouched amount keeps
    its VAT, so a VAT amount given on POST survives a PUT of, say, the description.
    """
    changes = {k: v for k, v in raw.items() if k in WRITABLE and old.get(k) != v}
    sent = {name: old.get(name) for name in LINE_INPUT}
    sent["AmountFC"] = old["AmountFC"]
    vat_code = check.by_code("vat/VATCodes", old["VATCode"]) if old.get("VATCode") else None
    if vat_code is not None and vat_code["Type"] == "I":
        sent["AmountFC"] = old["AmountFC"] + old["VATAmountFC"]
    if vat_code is not None and not AMOUNT_INPUT & changes.keys():
        sent["VATAmountFC"] = old["VATAmountFC"]
    return {**sent, **changes, "ID": old["ID"]}
