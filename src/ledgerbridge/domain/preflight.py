"""The pre-flight rules of the export that look past one value: a line's stated VAT
amount against its VAT code, and the transaction as a whole (its total, its period, its
receipt, the export settings). ``validation.coding_problems`` runs them; BOOKKEEPING.md
says why each matters.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from ledgerbridge.domain import problems as msg
from ledgerbridge.domain.coding import Coding, CodingLine
from ledgerbridge.domain.dimension_facts import VatType
from ledgerbridge.domain.errors import InvalidCoding
from ledgerbridge.domain.export_settings import (
    ExportSettings,
    PeriodFacts,
    ReceiptPolicy,
    first_open_period,
    period_of,
)
from ledgerbridge.domain.money import Money, round_cents
from ledgerbridge.domain.problems import CodingProblem, Rule
from ledgerbridge.domain.transactions import BANK_ONLY_KINDS, Transaction
from ledgerbridge.domain.vat import VatRule

# A receipt rounds VAT per item; summed per line it may be a cent or two off the line's VAT.
VAT_TOLERANCE = Decimal("0.02")
_NO_VAT_KINDS = {VatType.ZERO_RATED: "0 %", VatType.NO_VAT: "a no-VAT code"}


def vat_amount_problems(
    index: int, line: CodingLine, rule: VatRule | None, day: date
) -> list[CodingProblem]:
    """What is wrong with the VAT amount ``line`` states, given its VAT code's ``rule``
    (None: the line has no VAT code). [] when the line states none. The rule must have a
    rate on ``day`` (``coding_problems`` checks that first)."""
    vat = line.vat_amount
    if vat is None or vat.is_zero:
        return []
    code = line.vat_code or ""

    def problem(template: str, **params: object) -> list[CodingProblem]:
        return [CodingProblem.of(index, "vat_amount", str(vat), Rule.VAT_AMOUNT, None, template,
                                 vat=str(vat), amount=str(line.amount), code=code,
                                 **params)]  # fmt: skip

    if rule is None:
        return problem(msg.VAT_AMOUNT_WITHOUT_VAT_CODE)
    if rule.reverse_charge or rule.type in _NO_VAT_KINDS:
        kind = "reverse-charged" if rule.reverse_charge else _NO_VAT_KINDS[rule.type]
        return problem(msg.VAT_AMOUNT_ON_CODE_WITHOUT_VAT, kind=kind)
    if (vat.amount > 0) != (line.amount.amount > 0):
        return problem(msg.VAT_AMOUNT_OPPOSITE_SIGN)
    if abs(vat) >= abs(line.amount):
        return problem(msg.VAT_AMOUNT_EXCEEDS_LINE)
    rate = rule.percentage_on(day)
    expected = Money(round_cents(line.amount.amount * rate / (1 + rate), vat.places), vat.currency)
    if abs(vat.amount - expected.amount) <= VAT_TOLERANCE:
        return []
    percent = f"{(rate * 100).normalize():f}"
    on_gross = round_cents(line.amount.amount * rate, vat.places)
    template = msg.VAT_AMOUNT_ON_GROSS if vat.amount == on_gross else msg.VAT_AMOUNT_MISMATCH
    return problem(template, rate=percent, expected=str(expected))


def transaction_problems(
    lines: Sequence[CodingLine],
    day: date,
    *,
    for_purchase: bool,
    transaction: Transaction | None,
    settings: ExportSettings | None,
    periods: PeriodFacts | None,
    post_in_first_open_period: bool,
    receipt_attached: bool | None,
) -> list[CodingProblem]:
    """The problems of the whole transaction that its inputs allow to judge."""
    purchase = for_purchase and (transaction is None or transaction.kind not in BANK_ONLY_KINDS)
    found: list[CodingProblem] = []
    if transaction is not None and lines:
        found.extend(_total_problems(lines, transaction))
    if periods:
        found.extend(_period_problems(day, periods, post_in_first_open_period))
    if settings is not None:
        merchant = transaction.merchant_name if transaction is not None else ""
        found.extend(_settings_problems(settings, merchant, purchase))
        required = settings.receipt_policy is ReceiptPolicy.REQUIRED
        if purchase and required and receipt_attached is False:
            found.append(CodingProblem.of(None, "receipt", "", Rule.RECEIPT_REQUIRED, None,
                                          msg.RECEIPT_REQUIRED))  # fmt: skip
    return found


def _total_problems(lines: Sequence[CodingLine], txn: Transaction) -> list[CodingProblem]:
    try:
        Coding.for_transaction(txn, lines)
    except InvalidCoding:
        pass
    else:
        return []
    currencies = {line.amount.currency for line in lines}
    if currencies != {txn.amount.currency}:
        return [CodingProblem.of(None, "lines", "", Rule.LINES_TOTAL, None,
                                 msg.LINES_IN_OTHER_CURRENCY,
                                 currency=", ".join(sorted(currencies)),
                                 charged_currency=txn.amount.currency)]  # fmt: skip
    total = Money.total((line.amount for line in lines), txn.amount.currency)
    gap = abs(txn.amount - total)
    what = "unassigned" if abs(total) < abs(txn.amount) else "too much"
    return [CodingProblem.of(None, "lines", "", Rule.LINES_TOTAL, None, msg.LINES_DO_NOT_ADD_UP,
                             total=str(total), paid=str(txn.amount), gap=str(gap),
                             what=what)]  # fmt: skip


def _period_problems(
    day: date, periods: PeriodFacts, post_in_first_open_period: bool
) -> list[CodingProblem]:
    period = period_of(day, periods)
    if period is None:
        return [CodingProblem.of(None, "entry_date", day.isoformat(), Rule.PERIOD_MISSING, None,
                                 msg.PERIOD_MISSING, day=day.isoformat())]  # fmt: skip
    if not period.closed:
        return []
    open_period = first_open_period(day, periods)
    if open_period is not None and post_in_first_open_period:
        return []
    params: dict[str, object] = {"period": period.label, "day": day.isoformat()}
    template = msg.PERIOD_CLOSED_NONE_OPEN
    if open_period is not None:
        template = msg.PERIOD_CLOSED
        params["open_period"] = open_period.label
    return [CodingProblem.of(None, "entry_date", day.isoformat(), Rule.PERIOD_CLOSED, None,
                             template, **params)]  # fmt: skip


def _settings_problems(
    settings: ExportSettings, merchant: str, purchase: bool
) -> list[CodingProblem]:
    needed = [("bank_journal", "bank journal", settings.bank_journal)]
    if purchase:
        needed.insert(0, ("purchase_journal", "purchase journal", settings.purchase_journal))
        needed.append(("creditors_account", "creditors GL account", settings.creditors_account))
    found = [
        CodingProblem.of(None, name, "", Rule.SETTINGS_INCOMPLETE, None, msg.SETTING_MISSING,
                         setting=label)
        for name, label, value in needed
        if not (value or "").strip()
    ]  # fmt: skip
    if purchase and settings.supplier_for(merchant) is None:
        found.append(CodingProblem.of(None, "supplier", "", Rule.SETTINGS_INCOMPLETE, None,
                                      msg.SUPPLIER_MISSING,
                                      merchant=merchant or "(none)"))  # fmt: skip
    return found
