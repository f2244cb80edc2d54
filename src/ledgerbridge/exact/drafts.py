"""What we post to Exact: purchase and bank entries with their lines. Re-exported by ``models``.

``to_odata()`` gives Exact's field names; ``None`` fields are left out so Exact applies its
defaults (e.g. a line's VAT code from its GL account). Amounts stay Decimal here; the
transport writes them as JSON numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any


def _drop_none(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if v is not None}


@dataclass(frozen=True, slots=True)
class PurchaseEntryLineDraft:
    """One line to post: GL account by GUID; VAT code, cost centre/unit by code; project GUID."""

    gl_account_id: str
    amount: Decimal
    vat_code: str | None = None
    vat_amount: Decimal | None = None
    description: str | None = None
    cost_center: str | None = None
    cost_unit: str | None = None
    project_id: str | None = None

    def to_odata(self) -> dict[str, Any]:
        return _drop_none(
            {
                "GLAccount": self.gl_account_id,
                "AmountFC": self.amount,
                "VATCode": self.vat_code,
                "VATAmountFC": self.vat_amount,
                "Description": self.description,
                "CostCenter": self.cost_center,
                "CostUnit": self.cost_unit,
                "Project": self.project_id,
            }
        )


@dataclass(frozen=True, slots=True)
class PurchaseEntryDraft:
    """A purchase entry to post. Our reference is not a field here: it is a required argument
    of ``ExactApi.create_purchase_entry`` (sent as ``ExternalLinkReference``), fixed before the
    first attempt, and so is the client ``EntryID`` (only when the probe showed it honoured).
    ``your_ref`` is the supplier's invoice number.
    """

    journal: str
    supplier_id: str
    entry_date: date
    currency: str
    lines: tuple[PurchaseEntryLineDraft, ...]
    your_ref: str | None = None
    description: str | None = None
    document_id: str | None = None
    payment_reference: str | None = None
    due_date: date | None = None

    def to_odata(self) -> dict[str, Any]:
        return _drop_none(
            {
                "Journal": self.journal,
                "Supplier": self.supplier_id,
                "EntryDate": self.entry_date,
                "Currency": self.currency,
                "YourRef": self.your_ref,
                "Description": self.description,
                "Document": self.document_id,
                "PaymentReference": self.payment_reference,
                "DueDate": self.due_date,
                "PurchaseEntryLines": [line.to_odata() for line in self.lines],
            }
        )


@dataclass(frozen=True, slots=True)
class BankEntryLineDraft:
    """A bank line: ``amount`` negative for money out; ``our_ref`` = the invoice's entry number.

    Our reference goes in ``Notes`` (``ExactApi.create_bank_entry`` sets it), not here.
    """

    date: date
    amount: Decimal
    gl_account_id: str
    account_id: str | None = None
    our_ref: int | None = None
    description: str | None = None
    document_id: str | None = None

    def to_odata(self) -> dict[str, Any]:
        return _drop_none(
            {
                "Date": self.date,
                "AmountFC": self.amount,
                "GLAccount": self.gl_account_id,
                "Account": self.account_id,
                "OurRef": self.our_ref,
                "Description": self.description,
                "Document": self.document_id,
            }
        )


@dataclass(frozen=True, slots=True)
class BankEntryDraft:
    journal_code: str
    currency: str
    lines: tuple[BankEntryLineDraft, ...]

    def to_odata(self) -> dict[str, Any]:
        return {
            "JournalCode": self.journal_code,
            "Currency": self.currency,
            "BankEntryLines": [line.to_odata() for line in self.lines],
        }
