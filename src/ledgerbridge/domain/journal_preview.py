"""The journal preview: the debit/credit rows a mapping books, like BOOKKEEPING.md's tables.

It reads ``map_transaction``'s documents, so what the user sees is what the export sends,
plus what Exact books by itself: the VAT to claim (and, reverse-charged, to pay) and the
creditor. A positive amount is a debit, a negative one a credit of its size (a credit
entry shows its cost lines on the credit side). Rows of one VAT account are summed;
cost lines stay one row each. Zero rows are left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledgerbridge.domain.dimensions import DimensionKind
from ledgerbridge.domain.export_settings import FinancialPeriod, LedgerAccounts
from ledgerbridge.domain.journal import JournalDocuments, Lookup, PurchaseEntry
from ledgerbridge.domain.money import Money
from ledgerbridge.domain.wording import N_


@dataclass(frozen=True, slots=True)
class PreviewRow:
    account: str
    name: str
    debit: Money | None
    credit: Money | None

    @property
    def label(self) -> str:
        return f"{self.account} {self.name}".strip()


@dataclass(frozen=True, slots=True)
class DocumentPreview:
    """One document's rows; ``balanced`` when its debits equal its credits."""

    title: str
    currency: str
    rows: tuple[PreviewRow, ...]

    @property
    def debit_total(self) -> Money:
        return Money.total((r.debit for r in self.rows if r.debit), self.currency)

    @property
    def credit_total(self) -> Money:
        return Money.total((r.credit for r in self.rows if r.credit), self.currency)

    @property
    def balanced(self) -> bool:
        return self.debit_total == self.credit_total


@dataclass(frozen=True, slots=True)
class JournalPreview:
    """The documents' rows; ``period`` the one posted in, ``moved_from`` the transaction
    date's closed period when the user chose the first open one (see ``JournalDocuments``)."""

    documents: tuple[DocumentPreview, ...]
    period: FinancialPeriod | None
    moved_from: FinancialPeriod | None = None

    @property
    def balanced(self) -> bool:
        return all(document.balanced for document in self.documents)

    @property
    def period_note(self) -> str | None:
        """The period posted in, in a sentence (None while the period table is unknown)."""
        if self.period is None:
            return None
        if self.moved_from is not None:
            return N_(
                "Posted in %(period)s, the first open period; the transaction date's period "
                "%(closed)s is closed",
                period=self.period.label,
                closed=self.moved_from.label,
            )
        return N_("Posted in period %(period)s", period=self.period.label)


def preview(
    documents: JournalDocuments, accounts: LedgerAccounts, lookup: Lookup
) -> JournalPreview:
    """The rows of each document booked; pure, raises nothing."""
    rows: list[DocumentPreview] = []
    entry = documents.purchase_entry
    if entry is not None:
        rows.append(_purchase_rows(entry, accounts, lookup))
    bank: list[tuple[str, str, Money]] = []
    for line in documents.bank_lines:
        party = f" ({_supplier_name(line.supplier, lookup)})" if line.supplier else ""
        name = _gl_name(line.gl_account, lookup, CREDITORS)
        bank.append((line.gl_account, name + party, -line.amount))
        bank.append((accounts.card, _gl_name(accounts.card, lookup, CARD), line.amount))
    if bank:
        currency = documents.bank_lines[0].amount.currency
        rows.append(DocumentPreview(N_("Bank entry line"), currency, _rows(bank)))
    return JournalPreview(tuple(rows), documents.period, documents.moved_from)


def _purchase_rows(
    entry: PurchaseEntry, accounts: LedgerAccounts, lookup: Lookup
) -> DocumentPreview:
    zero = Money.zero(entry.currency)
    costs = [(line.gl_account, _gl_name(line.gl_account, lookup), line.net) for line in entry.lines]
    to_claim = Money.total((line.vat for line in entry.lines), entry.currency)
    reverse = Money.total((line.reverse_charge_vat or zero for line in entry.lines), entry.currency)
    supplier = _supplier_name(entry.supplier, lookup)
    creditor = f"{_gl_name(accounts.creditors, lookup, CREDITORS)} ({supplier})"
    amounts = [
        *costs,
        (
            accounts.vat_to_claim,
            _gl_name(accounts.vat_to_claim, lookup, TO_CLAIM),
            to_claim + reverse,
        ),
        (accounts.vat_to_pay, _gl_name(accounts.vat_to_pay, lookup, TO_PAY), -reverse),
        (accounts.creditors, creditor, -entry.total),
    ]
    title = N_("Purchase credit entry") if entry.is_credit else N_("Purchase entry")
    return DocumentPreview(title, entry.currency, _rows(amounts))


def _rows(amounts: list[tuple[str, str, Money]]) -> tuple[PreviewRow, ...]:
    return tuple(
        PreviewRow(account, name, amount if amount.amount > 0 else None,
                   -amount if amount.amount < 0 else None)
        for account, name, amount in amounts
        if not amount.is_zero
    )  # fmt: skip


# What an account is for, shown when the export settings name no account for it (Exact
# books it on the administration's own account of that kind).
CREDITORS = N_("Creditors")
CARD = N_("Card (bank journal)")
TO_CLAIM = N_("VAT to claim")
TO_PAY = N_("VAT to pay")


def _gl_name(code: str, lookup: Lookup, role: str = "") -> str:
    dimension = lookup(DimensionKind.GL_ACCOUNT, code) if code else None
    return dimension.name if dimension is not None else role


def _supplier_name(code: str | None, lookup: Lookup) -> str:
    dimension = None if code is None else lookup(DimensionKind.SUPPLIER, code)
    return dimension.name if dimension is not None else (code or "")
