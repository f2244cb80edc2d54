"""The export's pre-flight rules in coding_problems: VAT amounts, totals, periods, receipt,
settings, and the GL types a purchase line may use. One table per rule."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ledgerbridge.domain import problems as msg
from ledgerbridge.domain.coding import CodingLine
from ledgerbridge.domain.dimension_facts import (
    GLAccountFacts,
    VatCodeFacts,
    VatRate,
    VatTransactionType,
    VatType,
)
from ledgerbridge.domain.dimensions import Dimension, DimensionKind, DimensionSource
from ledgerbridge.domain.export_settings import (
    ExportSettings,
    FinancialPeriod,
    ReceiptPolicy,
    SupplierStrategy,
)
from ledgerbridge.domain.money import Money
from ledgerbridge.domain.transactions import Transaction, TransactionKind
from ledgerbridge.domain.validation import PURCHASE_GL_TYPES, CodingProblem, Rule, coding_problems

K = DimensionKind
DAY = date(2026, 5, 18)


def vat(code: str, vat_type: str, rate: str = "0", reverse_charge: bool = False) -> Dimension:
    facts = VatCodeFacts(VatType(vat_type), VatTransactionType.PURCHASE,
                         (VatRate(Decimal(rate)),), reverse_charge)  # fmt: skip
    return Dimension(K.VAT_CODE, code, code, DimensionSource.EXACT, facts=facts)


def gl(code: str, gl_type: int = 121) -> Dimension:
    return Dimension(K.GL_ACCOUNT, code, code, DimensionSource.EXACT, facts=GLAccountFacts(gl_type))


VALUES = {
    (d.kind, d.code): d
    for d in [gl("4230"), vat("21I", "I", "0.21"), vat("21E", "E", "0.21"), vat("9I", "I", "0.09"),
              vat("0", "B"), vat("N", "N"), vat("RC", "E", "0.21", reverse_charge=True)]
}  # fmt: skip


def lookup(kind: DimensionKind, code: str) -> Dimension | None:
    return VALUES.get((kind, code))


def eur(text: str) -> Money:
    return Money(Decimal(text), "EUR")


def line(amount: str = "-121.00", vat_code: str | None = "21I", vat_amount: str | None = None
         ) -> CodingLine:  # fmt: skip
    stated = None if vat_amount is None else eur(vat_amount)
    return CodingLine("4230", eur(amount), vat_code, vat_amount=stated)


def reasons(*lines: CodingLine, **kwargs: object) -> list[str]:
    return [p.message for p in coding_problems(lines, DAY, lookup, **kwargs)]  # type: ignore[arg-type]


# -- the VAT amount a line states, against its VAT code ---------------------------------------
VAT_AMOUNT_CASES = [
    # (line amount, VAT code, stated VAT, the sentence, or None when fine)
    ("-121.00", "21I", "-21.00", None),
    ("-121.00", "21E", "-21.00", None),  # gross line: the VAT in it, whatever the code type
    ("-121.00", "21I", "-21.02", None),  # a receipt's per-item rounding
    ("-32.70", "9I", "-2.70", None),
    ("121.00", "21I", "21.00", None),  # a refund's line and VAT are both money in
    ("-310.00", "0", "-5.00",
     "VAT amount: VAT code 0 is 0 % and carries no VAT amount; remove the VAT amount "
     "EUR -5.00 or choose a VAT code with the receipt's rate"),
    ("-48.40", "N", "-8.40",
     "VAT amount: VAT code N is a no-VAT code and carries no VAT amount; remove the VAT "
     "amount EUR -8.40 or choose a VAT code with the receipt's rate"),
    ("-12.00", "RC", "-2.52",
     "VAT amount: VAT code RC is reverse-charged and carries no VAT amount; remove the VAT "
     "amount EUR -2.52 or choose a VAT code with the receipt's rate"),
    ("-12.00", None, "-2.00",
     "VAT amount: EUR -2.00 is entered without a VAT code; choose the receipt's VAT code "
     "or remove the VAT amount"),
    ("-121.00", "21I", "21.00",
     "VAT amount: EUR 21.00 has the opposite sign of the line amount EUR -121.00; enter the "
     "VAT with the same sign as the line"),
    ("-10.00", "21I", "-10.00",
     "VAT amount: EUR -10.00 is more than the line amount EUR -10.00, which includes the VAT; "
     "correct the VAT amount"),
    ("-121.00", "21I", "-25.41",
     "VAT amount: EUR -25.41 is 21% on top of the line amount EUR -121.00, but line amounts "
     "include VAT; with VAT code 21I the VAT in EUR -121.00 is EUR -21.00"),
    ("-121.00", "9I", "-21.00",
     "VAT amount: EUR -21.00 does not match VAT code 9I (9%), which gives EUR -9.99 on "
     "EUR -121.00; correct the VAT amount or choose the receipt's VAT code"),
]  # fmt: skip


@pytest.mark.parametrize(("amount", "code", "stated", "sentence"), VAT_AMOUNT_CASES)
def test_a_stated_vat_amount_must_fit_the_vat_code(
    amount: str, code: str | None, stated: str, sentence: str | None
) -> None:
    found = coding_problems([line(amount, code, stated)], DAY, lookup)
    assert [p.message for p in found] == ([] if sentence is None else [sentence])
    for problem in found:
        assert (problem.field, problem.rule, problem.line_index) == (
            "vat_amount",
            Rule.VAT_AMOUNT,
            0,
        )


# -- the lines against the transaction (Coding.for_transaction's rule) ------------------------
def txn(amount: str = "-121.00", kind: TransactionKind = TransactionKind.CARD_PAYMENT,
        merchant: str = "Coolblue") -> Transaction:  # fmt: skip
    return Transaction("TX-1", kind, DAY, eur(amount), eur(amount), merchant_name=merchant)


TOTAL_CASES = [
    (["-121.00"], None),
    (["-100.00", "-21.00"], None),
    (["-100.00"], "lines: they add up to EUR -100.00, the transaction is EUR -121.00 "
                  "(EUR 21.00 unassigned); change the line amounts until they add up"),
    (["-100.00", "-30.00"], "lines: they add up to EUR -130.00, the transaction is "
                            "EUR -121.00 (EUR 9.00 too much); change the line amounts until "
                            "they add up"),
]  # fmt: skip


@pytest.mark.parametrize(("amounts", "sentence"), TOTAL_CASES)
def test_the_lines_must_add_up_to_what_was_paid(amounts: list[str], sentence: str | None) -> None:
    lines = [line(a, None) for a in amounts]
    assert reasons(*lines, transaction=txn()) == ([] if sentence is None else [sentence])


def test_lines_in_another_currency_than_the_card_are_refused() -> None:
    usd = CodingLine("4230", Money(Decimal("-121.00"), "USD"))
    [problem] = coding_problems([usd], DAY, lookup, transaction=txn())
    assert (problem.field, problem.line_index, problem.template) == (
        "lines",
        None,
        msg.LINES_IN_OTHER_CURRENCY,
    )


# -- the period of the transaction date -------------------------------------------------------
MAY = FinancialPeriod(2026, 5, date(2026, 5, 1), date(2026, 5, 31))
MAY_CLOSED = FinancialPeriod(2026, 5, date(2026, 5, 1), date(2026, 5, 31), closed=True)
JUNE = FinancialPeriod(2026, 6, date(2026, 6, 1), date(2026, 6, 30))
APRIL = FinancialPeriod(2026, 4, date(2026, 4, 1), date(2026, 4, 30))

PERIOD_CASES = [
    # (periods, post in the first open period, the sentence or None)
    ([APRIL, MAY, JUNE], False, None),
    ([APRIL, JUNE], False, "entry date: Exact Online has no financial period for 2026-05-18; "
                           "ask your accountant to create the period in Exact Online"),
    ([MAY_CLOSED, JUNE], False, "entry date: period 2026/05 of 2026-05-18 is closed in Exact "
                                "Online; ask your accountant to reopen it, or choose to post "
                                "in the first open period (2026/06)"),
    ([MAY_CLOSED, JUNE], True, None),
    ([MAY_CLOSED], True, "entry date: period 2026/05 of 2026-05-18 is closed in Exact Online "
                         "and no later period is open; ask your accountant to reopen it"),
]  # fmt: skip


@pytest.mark.parametrize(("periods", "first_open", "sentence"), PERIOD_CASES)
def test_the_period_of_the_transaction_date_must_exist_and_be_open(
    periods: list[FinancialPeriod], first_open: bool, sentence: str | None
) -> None:
    found = reasons(line(), periods=periods, post_in_first_open_period=first_open)
    assert found == ([] if sentence is None else [sentence])


def test_without_period_facts_the_period_is_left_to_exact() -> None:
    assert reasons(line(), periods=[]) == []


# -- receipt and export settings ---------------------------------------------------------------
COMPLETE = ExportSettings(purchase_journal="60", bank_journal="CARD", generic_supplier="CARDS",
                          creditors_account="1600")  # fmt: skip

SETTINGS_CASES = [
    # (settings, kind, receipt attached, the fields with a problem)
    (COMPLETE, TransactionKind.CARD_PAYMENT, True, []),
    (COMPLETE, TransactionKind.CARD_PAYMENT, False, ["receipt"]),
    (ExportSettings("60", "CARD", generic_supplier="CARDS", creditors_account="1600",
                    receipt_policy=ReceiptPolicy.OPTIONAL),
     TransactionKind.CARD_PAYMENT, False, []),
    (COMPLETE, TransactionKind.FEE, False, []),  # a fee has no supplier invoice
    (ExportSettings("60", "CARD", generic_supplier="CARDS"), TransactionKind.CARD_PAYMENT, True,
     ["creditors_account"]),  # the bank entry line books on it
    (ExportSettings(), TransactionKind.CARD_PAYMENT, True,
     ["purchase_journal", "bank_journal", "creditors_account", "supplier"]),
    (ExportSettings(), TransactionKind.TRANSFER, None, ["bank_journal"]),
    (ExportSettings("60", "CARD", SupplierStrategy.PER_MERCHANT, creditors_account="1600",
                    merchant_suppliers=(("Coolblue", "COOLBLUE"),)),
     TransactionKind.CARD_PAYMENT, True, []),
    (ExportSettings("60", "CARD", SupplierStrategy.PER_MERCHANT, creditors_account="1600",
                    merchant_suppliers=(("Bol.com", "BOL"),)),
     TransactionKind.CARD_PAYMENT, True, ["supplier"]),
]  # fmt: skip


@pytest.mark.parametrize(("settings", "kind", "receipt", "fields"), SETTINGS_CASES)
def test_the_export_settings_must_be_complete_and_a_required_receipt_attached(
    settings: ExportSettings, kind: TransactionKind, receipt: bool | None, fields: list[str]
) -> None:
    t = txn("-121.00" if kind is not TransactionKind.TRANSFER else "500.00", kind)
    coding = [line(str(t.amount.amount), None)]
    found = coding_problems(coding, DAY, lookup, transaction=t, settings=settings,
                            receipt_attached=receipt)  # fmt: skip
    assert [p.field for p in found] == fields
    assert all(p.line_index is None for p in found)


def test_settings_and_receipt_sentences_name_the_field_and_what_to_do() -> None:
    found = coding_problems([line()], DAY, lookup, transaction=txn(), settings=ExportSettings(),
                            receipt_attached=False)  # fmt: skip
    assert [str(p) for p in found] == [
        "purchase journal: the export settings have no purchase journal; choose one in the "
        "export settings",
        "bank journal: the export settings have no bank journal; choose one in the export settings",
        "creditors GL account: the export settings have no creditors GL account; choose one in "
        "the export settings",
        "supplier: no supplier is mapped to merchant Coolblue and the export settings have no "
        "generic supplier; map the merchant or choose a generic supplier",
        "receipt: the export settings require a receipt; attach the receipt before marking the "
        "transaction ready",
    ]


# -- messages are templates with named values ---------------------------------------------------
def test_every_problem_is_its_template_filled_with_its_params() -> None:
    found = coding_problems(
        [line("-121.00", "0", "-1.00"), CodingLine("9999", eur("-1.00"))],
        DAY, lookup, transaction=txn(), settings=ExportSettings(), periods=[APRIL],
        receipt_attached=False,
    )  # fmt: skip
    assert len(found) == 9
    for problem in found:
        assert problem.template
        assert problem.message == problem.template % problem.params == problem.reason


def test_templates_are_module_level_constants_with_named_placeholders() -> None:
    templates = [v for k, v in vars(msg).items() if k.isupper() and isinstance(v, str)]
    assert len(templates) >= 25
    for template in templates:
        assert "%s" not in template and "{" not in template


def test_a_problem_equals_another_with_the_same_values_whatever_its_params() -> None:
    a = CodingProblem.of(0, "vat_code", "7", Rule.UNKNOWN, (K.VAT_CODE, "7"),
                         msg.UNKNOWN_VALUE, what="VAT code", code="7")  # fmt: skip
    same = CodingProblem(0, "vat_code", "7", a.reason, Rule.UNKNOWN, (K.VAT_CODE, "7"), a.template)
    assert a == same
    assert hash(a) == hash(same)
    assert a.message == "unknown VAT code 7: it does not exist (any more) in the administration"


# -- which GL account types a purchase line may use (see validation's docstring) ---------------
GL_TYPE_CASES = [
    (111, True), (120, True), (121, True), (122, True), (123, True), (125, True), (126, True),
    (130, True), (150, True), (26, True), (30, True), (32, True),
    (110, False), (140, False), (160, False),  # income: refused by Exact and the sandbox
    (10, False), (12, False), (14, False), (20, False), (22, False), (24, False), (40, False),
    (90, False), (300, False),
]  # fmt: skip


@pytest.mark.parametrize(("gl_type", "allowed"), GL_TYPE_CASES)
def test_purchase_lines_take_cost_and_asset_accounts_but_never_income_accounts(
    gl_type: int, allowed: bool
) -> None:
    assert (gl_type in PURCHASE_GL_TYPES) is allowed
    account = gl("8000", gl_type)
    found = coding_problems([CodingLine("8000", eur("-1.00"))], DAY, lambda kind, code: account)
    assert (found == []) is allowed


def test_an_income_account_is_named_as_such() -> None:
    account = gl("8000", 110)
    [problem] = coding_problems([CodingLine("8000", eur("-1.00"))], DAY, lambda k, c: account)
    assert problem.message == (
        "GL account 8000 is a revenue account and cannot be used on a purchase line; choose a "
        "cost account (or an asset account for an investment)"
    )


def test_a_transfer_to_the_cash_account_skips_the_purchase_only_rules() -> None:
    cash = gl("1000", 10)
    withdrawal = txn("-200.00", TransactionKind.TRANSFER)
    coding = [CodingLine("1000", eur("-200.00"))]
    assert coding_problems(coding, DAY, lambda k, c: cash, transaction=withdrawal) == []
    assert len(coding_problems(coding, DAY, lambda k, c: cash, transaction=txn("-200.00"))) == 1
