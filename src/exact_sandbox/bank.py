"""Bank entries (card statements): a type-12 journal, lines with GL account and amount.

``OurRef`` is the entry number of the invoice a line pays (an Int32); when the
opening and closing balances are both given, opening + lines must equal
closing. Each stored line is offered to ``matching.settle`` (unless the setting
``auto_match_bank_lines`` is off).
"""

from __future__ import annotations

from decimal import Decimal

from exact_sandbox import matching
from exact_sandbox.entries import (
    BANK,
    BANK_LINES,
    client_header,
    day_of,
    entry_id,
    new_line,
)
from exact_sandbox.store import Row
from exact_sandbox.validation import Checker, money


def create_bank_entry(
    check: Checker, payload: Row, honour_entry_id: bool = False, auto_match: bool = True
) -> Row:
    """Validate and store a bank entry with its lines; lines may settle open payables
    (only with ``auto_match``, the setting ``auto_match_bank_lines``)."""
    header = client_header(payload, BANK, "BankEntryLines")
    raw_lines = payload.get("BankEntryLines") or []
    journal = None
    if check.require(payload, "JournalCode", "journal"):
        journal = check.journal(payload["JournalCode"], 12)
    check.require(payload, "BankEntryLines", "lines")
    check.raise_if_any()
    assert journal is not None
    lines = [_bank_line(check, raw, n) for n, raw in enumerate(raw_lines, start=1)]
    check.raise_if_any()
    _check_balance(check, header, lines)
    number = header.get("EntryNumber")
    if number is None:
        number = check.next_entry_number(BANK, "JournalCode", journal)
    else:
        check.entry_number_free(BANK, "JournalCode", journal, number)
    header["EntryID"] = entry_id(check, header, honour_entry_id, BANK)
    check.raise_if_any()
    first = lines[0]["Date"]
    header.update(
        JournalCode=journal["Code"], JournalDescription=journal["Description"], Status=20,
        EntryNumber=number, Currency=header.get("Currency") or "EUR",
        FinancialYear=header.get("FinancialYear") or first.year,
        FinancialPeriod=header.get("FinancialPeriod") or first.month,
    )  # fmt: skip
    stored = check.store.insert(check.division, BANK, header)
    for line in lines:
        line = new_line(line, EntryID=stored["EntryID"], EntryNumber=number)
        inserted = check.store.insert(check.division, BANK_LINES, line)
        if auto_match:
            matching.settle(check.store, check.division, inserted)
    return stored


def _bank_line(check: Checker, raw: Row, number: int) -> Row:
    line = dict(raw)
    has_gl = check.require(line, "GLAccount", "gl_account")
    check.require(line, "AmountFC", "amount")
    account = check.gl_account(line["GLAccount"], purchase=False) if has_gl else None
    day = day_of(line.get("Date") or check.now)
    check.period(day)
    relation = None
    if line.get("Account") is not None:
        relation = check.by_key("crm/Accounts", line["Account"])
        if relation is None:
            check.add("invalid_reference", "account")
    line.update(Date=day, LineNumber=number)
    if account is not None:
        line.update(GLAccountCode=account["Code"])
    if relation is not None:
        line.update(AccountCode=relation["Code"], AccountName=relation["Name"])
    if line.get("AmountFC") is not None:
        line.update(AmountFC=money(line["AmountFC"]), AmountDC=money(line["AmountFC"]))
    return line


def _check_balance(check: Checker, header: Row, lines: list[Row]) -> None:
    opening, closing = header.get("OpeningBalanceFC"), header.get("ClosingBalanceFC")
    if opening is None or closing is None:
        return
    difference = money(Decimal(opening) + sum(line["AmountFC"] for line in lines) - closing)
    if difference != 0:
        shown = str(difference).replace(".", ",") if check.language == "NL" else str(difference)
        check.add("not_balanced", difference=shown)


def add_bank_line(check: Checker, payload: Row, auto_match: bool = True) -> Row:
    """POST of a single BankEntryLine to an existing bank entry (EntryID required)."""
    entry = None
    if check.require(payload, "EntryID", "entry"):
        entry = check.by_key(BANK, payload["EntryID"])
        if entry is None:
            check.add("invalid_reference", "entry")
    check.raise_if_any()
    assert entry is not None
    lines = check.store.find(check.division, BANK_LINES, "EntryID", entry["EntryID"])
    line = _bank_line(check, payload, len(lines) + 1)
    check.raise_if_any()
    stored = check.store.insert(
        check.division, BANK_LINES,
        new_line(line, EntryID=entry["EntryID"], EntryNumber=entry["EntryNumber"]),
    )  # fmt: skip
    if auto_match:
        matching.settle(check.store, check.division, stored)
    return stored
