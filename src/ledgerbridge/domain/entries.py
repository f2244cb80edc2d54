"""The documents one transaction books in Exact, in a finance user's words (BOOKKEEPING.md).

Built by ``journal.map_transaction``; read by the preview and, translated to Exact's
fields by the ``exact/`` layer, by the export. Signs: a purchase entry line's ``net`` is a
debit when positive (a cost), a credit when negative (a refund's credit entry); a bank
line keeps the bank's sign (money out < 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ledgerbridge.domain.export_settings import FinancialPeriod
from ledgerbridge.domain.money import Money


@dataclass(frozen=True, slots=True)
class PurchaseEntryLine:
    """One line: ``net`` (debit when positive), the VAT sent with it, and its dimensions.

    ``amount`` is what the line amount field takes for its VAT code's type (the gross for
    an including code, the net otherwise, EXACT_API.md §4.2); ``vat_base`` is the net.
    ``reverse_charge_vat`` is the VAT Exact books itself both to pay and to claim (§3);
    it is never sent. ``*_id`` are Exact's GUIDs where the dimension has one.
    """

    gl_account: str
    net: Money
    vat: Money
    vat_base: Money
    amount: Money
    vat_code: str | None = None
    reverse_charge_vat: Money | None = None
    cost_center: str | None = None
    cost_unit: str | None = None
    project: str | None = None
    description: str = ""
    gl_account_id: str | None = None
    project_id: str | None = None

    @property
    def gross(self) -> Money:
        return self.net + self.vat


@dataclass(frozen=True, slots=True)
class PurchaseEntry:
    """The supplier's invoice or receipt, in the purchase journal.

    ``reference`` is ours (the transaction's id; the export sends it as the external link
    reference and the supplier's-reference field); ``entry_date`` is the booking date, or
    the first day of ``period`` when a closed period was skipped; ``document_date`` is the
    transaction date. ``exchange_rate`` (account currency per entry currency) only when
    the entry is in another currency than the card account.
    """

    journal: str
    supplier: str
    entry_date: date
    document_date: date
    currency: str
    reference: str
    description: str
    lines: tuple[PurchaseEntryLine, ...]
    period: FinancialPeriod | None = None
    exchange_rate: Decimal | None = None
    supplier_id: str | None = None
    document_type: int | None = None

    @property
    def total(self) -> Money:
        """Net + VAT of all lines: the creditor's credit (its debit for a credit entry)."""
        return Money.total((line.gross for line in self.lines), self.currency)

    @property
    def is_credit(self) -> bool:
        return self.total.amount < 0


@dataclass(frozen=True, slots=True)
class BankEntryLine:
    """One line of the card's bank entry: ``amount`` money in > 0, out < 0.

    For a purchase, ``gl_account`` is the creditors account, ``supplier`` is set and
    ``purchase_reference`` names the purchase entry whose entry number it pays (the
    export fills that number in once Exact has assigned it). ``line_number`` is its
    place in the export run's bank entry, 1 for a transaction on its own.
    """

    journal: str
    date: date
    amount: Money
    gl_account: str
    reference: str
    description: str
    supplier: str | None = None
    supplier_id: str | None = None
    purchase_reference: str | None = None
    gl_account_id: str | None = None
    line_number: int = 1

    def notes(self, entry_reference: str | None = None) -> str:
        """What the line carries in its notes: "<ref>/<n>" (how the export finds it again)."""
        return bank_line_notes(entry_reference or self.reference, self.line_number)


def bank_line_notes(reference: str, line_number: int) -> str:
    return f"{reference}/{line_number}"


@dataclass(frozen=True, slots=True)
class JournalDocuments:
    """What one transaction books: a purchase entry (None for fees, transfers) and bank lines.

    ``period``: the period everything is posted in (None while the period table is not
    known); ``moved_from``: the transaction date's period when it is closed and the user
    chose to post in the first open one (then every date is that period's first day).
    """

    purchase_entry: PurchaseEntry | None
    bank_lines: tuple[BankEntryLine, ...]
    period: FinancialPeriod | None = None
    moved_from: FinancialPeriod | None = None
