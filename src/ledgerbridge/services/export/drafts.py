"""The mapping's documents (``domain.journal``) in the shape the Exact client posts.

The journal preview shows the same ``JournalDocuments``; this only renames (codes for VAT,
cost centre and unit; Exact GUIDs for GL accounts, suppliers and projects) and refuses what
Exact could not take (a value without its Exact id means the dimensions must be synced).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from ledgerbridge.domain.entries import BankEntryLine, PurchaseEntry, PurchaseEntryLine
from ledgerbridge.domain.errors import DomainError
from ledgerbridge.exact.drafts import (
    BankEntryDraft,
    BankEntryLineDraft,
    PurchaseEntryDraft,
    PurchaseEntryLineDraft,
)


def _exact_id(value: str | None, what: str) -> str:
    if not value:
        raise DomainError(
            f"{what} has no Exact Online id here; sync the dimensions (Integrations › Sync now)"
        )
    return value


def _vat_amount(line: PurchaseEntryLine) -> Decimal | None:
    """The VAT Exact books on the line: for a reverse-charge code the VAT it books both to
    pay and to claim (BOOKKEEPING.md §3; the creditor gets the net), else the line's VAT."""
    if line.vat_code is None:
        return None
    if line.reverse_charge_vat is not None:
        return line.reverse_charge_vat.amount
    return line.vat.amount


def purchase_entry_draft(entry: PurchaseEntry, document_id: str | None) -> PurchaseEntryDraft:
    lines = tuple(
        PurchaseEntryLineDraft(
            gl_account_id=_exact_id(line.gl_account_id, f"GL account {line.gl_account}"),
            amount=line.amount.amount,
            vat_code=line.vat_code,
            vat_amount=_vat_amount(line),
            description=line.description or None,
            cost_center=line.cost_center,
            cost_unit=line.cost_unit,
            project_id=(
                _exact_id(line.project_id, f"project {line.project}") if line.project else None
            ),
        )
        for line in entry.lines
    )
    return PurchaseEntryDraft(
        journal=entry.journal,
        supplier_id=_exact_id(entry.supplier_id, f"supplier {entry.supplier}"),
        entry_date=entry.entry_date,
        currency=entry.currency,
        lines=lines,
        description=entry.description or None,
        document_id=document_id,
    )


def bank_line_draft(line: BankEntryLine, entry_number: int | None) -> BankEntryLineDraft:
    """A bank line against the supplier with the purchase entry's number in ``OurRef``, so
    Exact matches payment and invoice (or, for fees and transfers, straight on its GL)."""
    return BankEntryLineDraft(
        date=line.date,
        amount=line.amount.amount,
        gl_account_id=_exact_id(line.gl_account_id, f"GL account {line.gl_account}"),
        account_id=line.supplier_id,
        our_ref=entry_number,
        description=line.description or None,
    )


def bank_entry_draft(
    journal: str, currency: str, lines: Sequence[BankEntryLineDraft]
) -> BankEntryDraft:
    return BankEntryDraft(journal_code=journal, currency=currency, lines=tuple(lines))
