"""Creating purchase entries as Exact would (bank entries: ``bank``).

Each ``create_*`` validates with ``validation.Checker`` (raising
``BusinessError`` → HTTP 500), fills in what Exact computes (entry numbers,
totals, VAT, descriptions, Type 30/31) and stores the rows. Purchase entries
open a payable (see ``matching``).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from exact_sandbox import matching
from exact_sandbox.documents import SERVER_FIELDS
from exact_sandbox.resources import RESOURCES
from exact_sandbox.store import Row
from exact_sandbox.validation import (
    CENT,
    BusinessError,
    Checker,
    money,
    split_vat,
    vat_fraction,
)

PURCHASES = "purchaseentry/PurchaseEntries"
PURCHASE_LINES = "purchaseentry/PurchaseEntryLines"
BANK = "financialtransaction/BankEntries"
BANK_LINES = "financialtransaction/BankEntryLines"


def day_of(value: datetime) -> datetime:
    """The calendar day of an instant (entries are booked on dates, not times)."""
    return value.replace(hour=0, minute=0, second=0, microsecond=0)


def client_header(payload: Row, path: str, lines_field: str) -> Row:
    """The header a client may write: not its lines, read-only or server-set fields
    (a client's ``Created: null`` must not replace the server's stamp)."""
    ignored = RESOURCES[path].readonly | SERVER_FIELDS | {lines_field}
    return {k: v for k, v in payload.items() if k not in ignored}


def new_line(line: Row, **fields: Any) -> Row:
    """A posted line as stored: the server assigns its ID and stamps, so a client's ``ID``
    can never overwrite another entry's line."""
    clean = {k: v for k, v in line.items() if k != "ID" and k not in SERVER_FIELDS}
    return {**clean, **fields}


def create_purchase_entry(
    check: Checker,
    payload: Row,
    honour_entry_id: bool,
    refuse_duplicates: bool = False,
    negative_credit: bool = True,
) -> Row:
    """Validate and store a purchase entry with its inline lines; returns the header.

    ``refuse_duplicates``: refuse a second entry with the same supplier, YourRef, date and
    amount (the sandbox setting ``refuse_duplicate_your_ref``; Exact does not, §5).
    ``negative_credit``: a negative total is a credit note, Type 31 (the setting
    ``negative_amounts_credit``, §4.7); off, it is refused ("Invalid: Amount")."""
    header = client_header(payload, PURCHASES, "PurchaseEntryLines")
    raw_lines = payload.get("PurchaseEntryLines") or []
    journal, supplier = _header_references(check, payload)
    day = day_of(header.get("EntryDate") or check.now)
    check.period(day)
    check.reporting_period(header.get("ReportingYear"), header.get("ReportingPeriod"))
    check.raise_if_any()
    assert journal is not None and supplier is not None
    lines = [purchase_line(check, raw, day, n) for n, raw in enumerate(raw_lines, start=1)]
    check.raise_if_any()
    _fill_header(check, header, journal, supplier, lines, day, honour_entry_id)
    if not negative_credit and header["AmountFC"] < 0:
        check.add("invalid", "amount")
    check.raise_if_any()
    if refuse_duplicates:
        _refuse_duplicate(check, header)
    stored = check.store.insert(check.division, PURCHASES, header)
    for line in lines:
        check.store.insert(
            check.division, PURCHASE_LINES, new_line(line, EntryID=stored["EntryID"])
        )
    matching.open_payable(check.store, check.division, stored, supplier, journal)
    return stored


def _header_references(check: Checker, payload: Row) -> tuple[Row | None, Row | None]:
    """The type-22 journal and the supplier named by the header; problems are collected."""
    journal = supplier = None
    if check.require(payload, "Journal", "journal"):
        journal = check.journal(payload["Journal"], 22)
    if check.require(payload, "Supplier", "supplier"):
        supplier = check.by_key("crm/Accounts", payload["Supplier"])
        if supplier is None or not supplier.get("IsSupplier"):
            check.add("invalid_reference", "supplier")
        elif supplier.get("Blocked"):
            check.add("blocked", "supplier")
    check.require(payload, "PurchaseEntryLines", "lines")
    return journal, supplier


def purchase_line(check: Checker, raw: Row, day: datetime, number: int) -> Row:
    line = dict(raw)
    has_gl = check.require(line, "GLAccount", "gl_account")
    check.require(line, "AmountFC", "amount")
    account = check.gl_account(line["GLAccount"], purchase=True) if has_gl else None
    if account is None or line.get("AmountFC") is None:
        return line
    check.dimension("hrm/Costcenters", line.get("CostCenter"), account.get("UseCostcenter") or 0,
                    "cost_center", day)  # fmt: skip
    check.dimension("hrm/Costunits", line.get("CostUnit"), account.get("UseCostunit") or 0,
                    "cost_unit", day)  # fmt: skip
    if check.drops("project/Projects", line.get("Project")):
        line["Project"] = None  # another division's project: ignored, 2xx (§4.7)
    check.project(line.get("Project"), day)
    line.update(
        LineNumber=number, GLAccountCode=account["Code"], Type=40,
        GLAccountDescription=account["Description"],
    )  # fmt: skip
    _apply_vat(check, line, line.get("VATCode") or account.get("VATCode"), day)
    return line


def _apply_vat(check: Checker, line: Row, code: Any, day: datetime) -> None:
    amount = Decimal(line["AmountFC"])
    given = line.get("VATAmountFC")
    if code in (None, ""):
        net, zero = money(amount), Decimal("0.00")
        line.update(
            VATCode=None, VATCodeDescription=None, AmountFC=net, AmountDC=net, VATAmountFC=zero,
            VATAmountDC=zero, VATBaseAmountFC=net, VATBaseAmountDC=net, VATPercentage=zero,
            _charged=False,
        )  # fmt: skip
        return
    vat_code = check.by_code("vat/VATCodes", code)
    if vat_code is None:
        check.add("invalid_reference", "vat_code")
        return
    if vat_code.get("IsBlocked"):
        check.add("blocked", "vat_code")
        return
    if vat_code.get("VATTransactionType") not in ("P", "B"):
        check.add("not_allowed", "vat_code")
        return
    fraction = vat_fraction(check.store, check.division, vat_code, day)
    net, vat = split_vat(amount, vat_code["Type"], fraction)
    if given is not None and abs(Decimal(given) - vat) > Decimal("0.01"):
        check.add("vat_mismatch", code=vat_code["Code"], expected=vat, given=money(Decimal(given)))
        return
    if given is not None:
        # The given VAT replaces the computed one; an including code's gross stays as sent.
        vat = money(Decimal(given))
        net = money(amount) - vat if vat_code["Type"] == "I" else net
    line.update(
        VATCode=vat_code["Code"], VATCodeDescription=vat_code["Description"], AmountFC=net,
        AmountDC=net, VATAmountFC=vat, VATAmountDC=vat, VATBaseAmountFC=net,
        VATBaseAmountDC=net, VATPercentage=fraction, _charged=bool(vat_code.get("Charged")),
    )  # fmt: skip


def _fill_header(
    check: Checker, header: Row, journal: Row, supplier: Row, lines: list[Row], day: datetime,
    honour_entry_id: bool,
) -> None:  # fmt: skip
    rate = Decimal(header.get("Rate") or 1)
    sums = totals(lines, rate)
    given_vat = header.get("VATAmountFC")
    if given_vat is not None and abs(Decimal(given_vat) - sums["VATAmountFC"]) > CENT:
        expected = sums["VATAmountFC"]
        check.add("vat_mismatch", code="-", expected=expected, given=money(Decimal(given_vat)))
    number = header.get("EntryNumber")
    if number is None:
        number = check.next_entry_number(PURCHASES, "Journal", journal)
    else:
        check.entry_number_free(PURCHASES, "Journal", journal, number)
    header.update(
        EntryID=entry_id(check, header, honour_entry_id), Journal=journal["Code"],
        JournalDescription=journal["Description"], SupplierName=supplier["Name"], EntryDate=day,
        DueDate=header.get("DueDate") or day + timedelta(days=30), EntryNumber=number,
        Currency=header.get("Currency") or "EUR", Rate=rate, **sums, Status=20,
        InvoiceNumber=number,
        ReportingYear=header.get("ReportingYear") or day.year,
        ReportingPeriod=header.get("ReportingPeriod") or day.month,
    )  # fmt: skip
    link_document(check, header)


def totals(lines: list[Row], rate: Decimal) -> Row:
    """The header amounts and Type of an entry with these lines (reverse-charged VAT is
    booked to pay and to claim, so it does not reach the supplier's total)."""
    net = sum((line["AmountFC"] for line in lines), Decimal("0"))
    vat = sum((line["VATAmountFC"] for line in lines if not line.get("_charged")), Decimal("0"))
    total = money(net + vat)
    return {
        "AmountFC": total, "AmountDC": money(total * rate), "VATAmountFC": money(vat),
        "VATAmountDC": money(vat * rate), "Type": 30 if total >= 0 else 31,
    }  # fmt: skip


def refresh_totals(check: Checker, entry_id: str) -> None:
    """After its lines changed: the entry's totals, Type and open payable follow them."""
    entry = check.store.get(check.division, PURCHASES, entry_id)
    assert entry is not None
    lines = check.store.find(check.division, PURCHASE_LINES, "EntryID", entry_id)
    sums = totals(lines, Decimal(entry.get("Rate") or 1))
    check.store.update(check.division, PURCHASES, entry_id, **sums)
    matching.change_amount(check.store, check.division, entry_id, sums["AmountFC"])


def entry_id(check: Checker, header: Row, honour: bool, table: str = PURCHASES) -> str:
    wanted = header.get("EntryID")
    if not honour or wanted is None:
        return str(uuid.uuid4())
    if check.by_key(table, wanted) is not None:
        check.add("in_use", "entry")
    return str(wanted)


def link_document(check: Checker, header: Row) -> None:
    if header.get("Document") is None:
        return
    if check.drops("documents/Documents", header["Document"]):
        del header["Document"]  # another division's document: ignored, 2xx (§4.7)
        return
    document = check.by_key("documents/Documents", header["Document"])
    if document is None:
        check.add("invalid_reference", "document")
        return
    header.update(DocumentNumber=document.get("HID"), DocumentSubject=document.get("Subject"))


def _refuse_duplicate(check: Checker, header: Row) -> None:
    if not header.get("YourRef"):
        return
    for other in check.store.find(check.division, PURCHASES, "Supplier", header["Supplier"]):
        if (
            (other.get("YourRef") or "").strip().lower() == header["YourRef"].strip().lower()
            and other["EntryDate"] == header["EntryDate"]
            and other["AmountFC"] == header["AmountFC"]
        ):
            raise BusinessError([_text(check, "duplicate")])


def _text(check: Checker, pattern: str) -> str:
    from exact_sandbox.messages import text

    return text(pattern, check.language)


def add_purchase_line(check: Checker, payload: Row) -> Row:
    """POST of a single PurchaseEntryLine to an existing, unmatched entry (EntryID required).

    The header totals, Type and the open payable follow the new line.
    """
    entry = None
    if check.require(payload, "EntryID", "entry"):
        entry = check.by_key(PURCHASES, payload["EntryID"])
        if entry is None:
            check.add("invalid_reference", "entry")
        elif matching.is_matched(check.store, check.division, entry["EntryID"]):
            check.add("matched")
    check.raise_if_any()
    assert entry is not None
    lines = check.store.find(check.division, PURCHASE_LINES, "EntryID", entry["EntryID"])
    line = purchase_line(check, payload, entry["EntryDate"], len(lines) + 1)
    check.raise_if_any()
    stored = check.store.insert(check.division, PURCHASE_LINES, new_line(line))
    refresh_totals(check, entry["EntryID"])
    return stored
