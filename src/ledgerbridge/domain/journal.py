"""From a prepared transaction to the documents booked in Exact (BOOKKEEPING.md).

``map_transaction`` is the one mapping: the journal preview (``journal_preview.preview``) and the
export both read its result, so its values are complete — everything the export sends —
and named in a finance user's words; the ``exact/`` layer translates them to Exact's
fields (``ExternalLinkReference``, ``AmountFC``, ``Notes``…).

Signs are the books' view, not the bank's: a purchase entry line's ``net`` is a debit when
positive (a cost) and a credit when negative (a refund's credit entry, §5). The bank line
keeps the bank's sign (money out < 0) and is the exact opposite of the purchase entry's
total, so the creditor nets to zero. Fees and transfers (§6, §7, §11) book no purchase
entry: one bank line per coding line, straight on its GL account.

A purchase entry is in the account currency (what the card was charged, §4 default)
with the original amount and rate in its description; with
``ExportSettings.book_in_original_currency`` it is in the merchant's currency with the
rate chosen from the two amounts, its lines converted so that they add up exactly to the
original amount.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ledgerbridge.domain.coding import Coding, CodingLine
from ledgerbridge.domain.dimensions import Dimension, DimensionKind
from ledgerbridge.domain.entries import (
    BankEntryLine,
    JournalDocuments,
    PurchaseEntry,
    PurchaseEntryLine,
    bank_line_notes,
)
from ledgerbridge.domain.errors import DomainError, InvalidCoding
from ledgerbridge.domain.export_settings import (
    ExportSettings,
    FinancialPeriod,
    LedgerAccounts,
    PeriodFacts,
    first_open_period,
    period_of,
)
from ledgerbridge.domain.money import Money
from ledgerbridge.domain.transactions import BANK_ONLY_KINDS, Transaction
from ledgerbridge.domain.vat import VatRule, VatSplit, split_vat

__all__ = [
    "BankEntryLine",
    "JournalDocuments",
    "PurchaseEntry",
    "PurchaseEntryLine",
    "bank_line_notes",
    "map_transaction",
]

Lookup = Callable[[DimensionKind, str], Dimension | None]

# Exact stores Rate as a double; ten decimals make original × rate round to the charged cent.
RATE_PLACES = Decimal("1e-10")


def map_transaction(
    txn: Transaction,
    coding: Coding,
    settings: ExportSettings,
    lookup: Lookup,
    accounts: LedgerAccounts,
    *,
    periods: PeriodFacts = (),
    post_in_first_open_period: bool = False,
) -> JournalDocuments:
    """The documents that book ``txn`` as coded. Pure.

    Expects a coding that ``coding_problems`` passed; raises ``InvalidCoding`` when the
    lines do not add up to the transaction, and ``DomainError`` for missing settings
    (journal, supplier), a VAT code without facts, or a closed period when
    ``post_in_first_open_period`` is False.
    """
    coding = Coding.for_transaction(txn, coding.lines)
    bank_journal = _required(settings.bank_journal, "the bank journal")
    booking = _booking_period(txn.booking_date, periods, post_in_first_open_period)
    if txn.kind in BANK_ONLY_KINDS:
        lines = _bank_only_lines(txn, coding, bank_journal, lookup, booking.day)
        return JournalDocuments(None, lines, booking.period, booking.moved_from)
    entry = _purchase_entry(txn, coding, settings, lookup, booking)
    bank_line = BankEntryLine(
        journal=bank_journal,
        date=booking.day,
        amount=txn.amount,
        gl_account=accounts.creditors,
        reference=entry.reference,
        description=entry.description,
        supplier=entry.supplier,
        supplier_id=entry.supplier_id,
        purchase_reference=entry.reference,
        gl_account_id=_exact_id(lookup, DimensionKind.GL_ACCOUNT, accounts.creditors),
    )
    return JournalDocuments(entry, (bank_line,), booking.period, booking.moved_from)


def _purchase_entry(
    txn: Transaction, coding: Coding, settings: ExportSettings, lookup: Lookup, booking: _Booking
) -> PurchaseEntry:
    journal = _required(settings.purchase_journal, "the purchase journal")
    supplier = _required(settings.supplier_for(txn.merchant_name), "the supplier")
    period, entry_date = booking.period, booking.day
    lines, currency, rate = _entry_lines(txn, coding, settings)
    splits = split_vat(lines, _vat_rules(lines, lookup), txn.booking_date)
    description = _description(txn, settings, rate is None, entry_date)
    return PurchaseEntry(
        journal=journal,
        supplier=supplier,
        entry_date=entry_date,
        document_date=txn.booking_date,
        currency=currency,
        reference=txn.external_id,
        description=description,
        lines=tuple(
            _entry_line(line, split, lookup, txn.booking_date, description)
            for line, split in zip(lines, splits, strict=True)
        ),
        period=period,
        exchange_rate=rate,
        supplier_id=_exact_id(lookup, DimensionKind.SUPPLIER, supplier),
        document_type=settings.document_type,
    )


def _required(value: str | None, what: str) -> str:
    if value is None or not value.strip():
        raise DomainError(f"the export settings have no {what.removeprefix('the ')}: set {what}")
    return value.strip()


@dataclass(frozen=True, slots=True)
class _Booking:
    """Where the documents are posted: ``day`` in ``period``; ``moved_from`` the closed
    period of the transaction date when they are posted in the first open one instead."""

    day: date
    period: FinancialPeriod | None = None
    moved_from: FinancialPeriod | None = None


def _booking_period(day: date, periods: PeriodFacts, post_in_first_open_period: bool) -> _Booking:
    if not periods:
        return _Booking(day)
    period = period_of(day, periods)
    if period is None:
        raise DomainError(f"Exact Online has no financial period for {day.isoformat()}")
    if not period.closed:
        return _Booking(day, period)
    if not post_in_first_open_period:
        raise DomainError(f"period {period.label} is closed in Exact Online")
    open_period = first_open_period(day, periods)
    if open_period is None:
        raise DomainError(f"Exact Online has no open period after {day.isoformat()}")
    return _Booking(open_period.start, open_period, period)


def _entry_lines(
    txn: Transaction, coding: Coding, settings: ExportSettings
) -> tuple[Sequence[CodingLine], str, Decimal | None]:
    """The coding lines in the entry's currency, signed as costs (debit > 0)."""
    lines = [_negated(line) for line in coding.lines]
    if not (settings.book_in_original_currency and txn.is_foreign_currency):
        return lines, txn.amount.currency, None
    original = -txn.original_amount
    rate = (txn.amount.amount / txn.original_amount.amount).quantize(RATE_PLACES)
    return _converted(lines, original), original.currency, rate


def _negated(line: CodingLine) -> CodingLine:
    vat = None if line.vat_amount is None else -line.vat_amount
    return CodingLine(line.gl_account, -line.amount, line.vat_code, line.cost_center,
                      line.cost_unit, line.project, line.description, vat)  # fmt: skip


def _converted(lines: Sequence[CodingLine], total: Money) -> list[CodingLine]:
    """``lines`` re-expressed in ``total``'s currency, in proportion, adding up to ``total``."""
    account_total = sum(line.amount.amount for line in lines)
    factor = total.amount / account_total

    def convert(money: Money) -> Money:
        return Money.of(money.amount * factor, total.currency)

    amounts = [convert(line.amount) for line in lines]
    largest = max(range(len(lines)), key=lambda i: (abs(lines[i].amount), -i))
    amounts[largest] = amounts[largest] + (total - Money.total(amounts, total.currency))
    return [
        CodingLine(line.gl_account, amount, line.vat_code, line.cost_center, line.cost_unit,
                   line.project, line.description,
                   None if line.vat_amount is None else convert(line.vat_amount))
        for line, amount in zip(lines, amounts, strict=True)
    ]  # fmt: skip


def _vat_rules(lines: Sequence[CodingLine], lookup: Lookup) -> dict[str, VatRule]:
    rules = {}
    for line in lines:
        if line.vat_code is not None and line.vat_code not in rules:
            dimension = lookup(DimensionKind.VAT_CODE, line.vat_code)
            if dimension is None:
                raise InvalidCoding(f"unknown VAT code {line.vat_code}")
            rules[line.vat_code] = VatRule.from_dimension(dimension)
    return rules


def _entry_line(
    line: CodingLine, split: VatSplit, lookup: Lookup, day: date, description: str
) -> PurchaseEntryLine:
    reverse_charge = None
    if line.vat_code is not None:
        rule = VatRule.from_dimension(_dimension(lookup, DimensionKind.VAT_CODE, line.vat_code))
        if rule.reverse_charge:
            rate = rule.percentage_on(day)
            reverse_charge = Money.of(split.net.amount * rate, split.net.currency)
    return PurchaseEntryLine(
        gl_account=line.gl_account,
        net=split.net,
        vat=split.vat,
        vat_base=split.net,
        amount=split.amount_fc,
        vat_code=line.vat_code,
        reverse_charge_vat=reverse_charge,
        cost_center=line.cost_center,
        cost_unit=line.cost_unit,
        project=line.project,
        description=line.description or description,
        gl_account_id=_exact_id(lookup, DimensionKind.GL_ACCOUNT, line.gl_account),
        project_id=_exact_id(lookup, DimensionKind.PROJECT, line.project),
    )


def _bank_only_lines(
    txn: Transaction, coding: Coding, journal: str, lookup: Lookup, day: date
) -> tuple[BankEntryLine, ...]:
    description = txn.description or txn.merchant_name
    dated = f" (dated {txn.booking_date.isoformat()})" if day != txn.booking_date else ""
    return tuple(
        BankEntryLine(
            journal=journal,
            date=day,
            amount=line.amount,
            gl_account=line.gl_account,
            reference=txn.external_id,
            description=((line.description or description) + dated).strip(),
            gl_account_id=_exact_id(lookup, DimensionKind.GL_ACCOUNT, line.gl_account),
            line_number=number,
        )
        for number, line in enumerate(coding.lines, start=1)
    )


def _description(
    txn: Transaction, settings: ExportSettings, same_currency_booking: bool, entry_date: date
) -> str:
    fields = {
        "merchant": txn.merchant_name,
        "cardholder": txn.cardholder,
        "note": txn.description,
        "reference": txn.external_id,
        "date": txn.booking_date.isoformat(),
    }
    try:
        text = settings.description_template % fields
    except (KeyError, ValueError, TypeError) as exc:
        raise DomainError(f"the description template is not valid: {exc}") from exc
    parts = [part.strip() for part in text.split(" - ")]
    text = " - ".join(part for part in parts if part)
    if same_currency_booking and txn.is_foreign_currency:
        rate = txn.fx_rate or abs(txn.amount.amount / txn.original_amount.amount).quantize(
            RATE_PLACES
        )
        text += f" ({abs(txn.original_amount)} at {rate.normalize():f})"
    if entry_date != txn.booking_date:
        text += f" (dated {txn.booking_date.isoformat()})"
    return text.strip()


def _dimension(lookup: Lookup, kind: DimensionKind, code: str) -> Dimension:
    dimension = lookup(kind, code)
    if dimension is None:
        raise InvalidCoding(f"unknown {kind.label} {code}")
    return dimension


def _exact_id(lookup: Lookup, kind: DimensionKind, code: str | None) -> str | None:
    dimension = None if code is None else lookup(kind, code)
    return None if dimension is None else dimension.exact_id
