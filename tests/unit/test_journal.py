"""The journal mapping and its preview: one test per worked example of BOOKKEEPING.md."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerbridge.domain.coding import Coding, CodingLine
from ledgerbridge.domain.dimension_facts import (
    GLAccountFacts,
    VatCodeFacts,
    VatRate,
    VatTransactionType,
    VatType,
)
from ledgerbridge.domain.dimensions import Dimension, DimensionKind, DimensionSource
from ledgerbridge.domain.errors import DomainError
from ledgerbridge.domain.export_settings import (
    ExportSettings,
    FinancialPeriod,
    LedgerAccounts,
    SupplierStrategy,
)
from ledgerbridge.domain.journal import JournalDocuments, map_transaction
from ledgerbridge.domain.journal_preview import JournalPreview, preview
from ledgerbridge.domain.money import Money
from ledgerbridge.domain.transactions import Transaction, TransactionKind

K = DimensionKind
DAY = date(2026, 5, 18)
ACCOUNTS = LedgerAccounts(card="1105", creditors="1600", vat_to_claim="1520", vat_to_pay="1510")
SETTINGS = ExportSettings(
    purchase_journal="60",
    bank_journal="CARD",
    supplier_strategy=SupplierStrategy.PER_MERCHANT,
    generic_supplier="CARDS",
    merchant_suppliers=(("Coolblue", "COOLBLUE"),),
)


def gl(code: str, name: str, gl_type: int = 121) -> Dimension:
    return Dimension(K.GL_ACCOUNT, code, name, DimensionSource.EXACT, exact_id=f"gl-{code}",
                     facts=GLAccountFacts(gl_type))  # fmt: skip


def vat(code: str, vat_type: str, rate: str = "0", reverse_charge: bool = False) -> Dimension:
    facts = VatCodeFacts(VatType(vat_type), VatTransactionType.PURCHASE,
                         (VatRate(Decimal(rate)),), reverse_charge)  # fmt: skip
    return Dimension(K.VAT_CODE, code, code, DimensionSource.EXACT, facts=facts)


ADMINISTRATION = [
    gl("1000", "Cash", 10), gl("1105", "Credit card", 14), gl("1510", "VAT to pay", 24),
    gl("1520", "VAT to claim", 24), gl("1600", "Creditors", 22), gl("2000", "Transfers", 90),
    gl("4000", "Food"), gl("4010", "Cleaning products"), gl("4230", "Computer equipment"),
    gl("4400", "Software subscriptions"), gl("4510", "Business meals"),
    gl("4610", "Travel and lodging"), gl("4700", "Flights"), gl("4900", "Bank charges"),
    vat("21E", "E", "0.21"), vat("21I", "I", "0.21"), vat("9I", "I", "0.09"),
    vat("RCEU", "E", "0.21", reverse_charge=True), vat("RCX", "E", "0.21", reverse_charge=True),
    vat("0", "B"), vat("N", "N"),
    Dimension(K.SUPPLIER, "COOLBLUE", "Coolblue", DimensionSource.EXACT, exact_id="sup-cb"),
    Dimension(K.SUPPLIER, "CARDS", "Card purchases", DimensionSource.EXACT, exact_id="sup-gen"),
]  # fmt: skip
BY_KEY = {(d.kind, d.code): d for d in ADMINISTRATION}


def lookup(kind: DimensionKind, code: str) -> Dimension | None:
    return BY_KEY.get((kind, code))


def eur(text: str) -> Money:
    return Money(Decimal(text), "EUR")


def txn(amount: str, merchant: str = "Coolblue", kind: TransactionKind | None = None,
        original: Money | None = None, **values: object) -> Transaction:  # fmt: skip
    money = eur(amount)
    if kind is None:
        kind = TransactionKind.REFUND if money.amount > 0 else TransactionKind.CARD_PAYMENT
    return Transaction("TX-1", kind, DAY, money, original or money, merchant_name=merchant,
                       cardholder="A. Jansen", **values)  # type: ignore[arg-type]  # fmt: skip


def book(t: Transaction, *lines: tuple[str, str, str | None],
         options: ExportSettings = SETTINGS, **kwargs: object) -> JournalDocuments:  # fmt: skip
    coding = Coding(tuple(CodingLine(g, eur(a), v) for g, a, v in lines))
    return map_transaction(t, coding, options, lookup, ACCOUNTS, **kwargs)  # type: ignore[arg-type]


Table = list[tuple[str, str, str]]


def tables(documents: JournalDocuments) -> list[Table]:
    """The preview as BOOKKEEPING.md writes it: (account, debit, credit) per document."""
    shown = preview(documents, ACCOUNTS, lookup)
    assert shown.balanced
    return [
        [(row.label, _cell(row.debit), _cell(row.credit)) for row in document.rows]
        for document in shown.documents
    ]


def _cell(money: Money | None) -> str:
    return "" if money is None else f"{money.amount:.2f}"


# §1 Domestic purchase, 21 % VAT — Coolblue, €121.00 paid
COOLBLUE_PURCHASE: Table = [
    ("4230 Computer equipment",   "100.00", ""),
    ("1520 VAT to claim",          "21.00", ""),
    ("1600 Creditors (Coolblue)",       "", "121.00"),
]  # fmt: skip
COOLBLUE_PAYMENT: Table = [
    ("1600 Creditors (Coolblue)", "121.00", ""),
    ("1105 Credit card",               "", "121.00"),
]  # fmt: skip


@pytest.mark.parametrize("code", ["21E", "21I"])
def test_1_domestic_purchase_books_cost_vat_and_creditor_then_pays_the_creditor(
    code: str,
) -> None:
    documents = book(txn("-121.00"), ("4230", "-121.00", code))
    assert tables(documents) == [COOLBLUE_PURCHASE, COOLBLUE_PAYMENT]
    entry = documents.purchase_entry
    assert entry is not None
    [line] = entry.lines
    # Including code: the amount sent is the gross; excluding: the net (never mixed up).
    assert line.amount == eur("121.00" if code == "21I" else "100.00")
    assert (line.net, line.vat, line.vat_base) == (eur("100.00"), eur("21.00"), eur("100.00"))
    assert (entry.journal, entry.supplier, entry.supplier_id) == ("60", "COOLBLUE", "sup-cb")
    assert (entry.reference, entry.entry_date, entry.currency) == ("TX-1", DAY, "EUR")
    assert line.gl_account_id == "gl-4230"
    [bank] = documents.bank_lines
    assert (bank.journal, bank.amount, bank.gl_account, bank.supplier) == (
        "CARD",
        eur("-121.00"),
        "1600",
        "COOLBLUE",
    )
    assert (bank.purchase_reference, bank.notes()) == ("TX-1", "TX-1/1")
    assert bank.amount == -entry.total


# §2 One receipt, two VAT rates — supermarket, €32.45 paid (the doc gives the amounts)
SUPERMARKET_PURCHASE: Table = [
    ("4000 Food",                       "22.00", ""),
    ("4010 Cleaning products",           "7.00", ""),
    ("1520 VAT to claim",                "3.45", ""),  # 1.98 (9 %) + 1.47 (21 %)
    ("1600 Creditors (Card purchases)",      "", "32.45"),
]  # fmt: skip


def test_2_one_receipt_with_two_vat_rates_books_two_lines_that_add_up_to_the_payment() -> None:
    documents = book(txn("-32.45", "Albert Heijn"), ("4000", "-23.98", "9I"),
                     ("4010", "-8.47", "21I"))  # fmt: skip
    assert tables(documents)[0] == SUPERMARKET_PURCHASE
    entry = documents.purchase_entry
    assert entry is not None
    assert [(x.net.amount, x.vat.amount) for x in entry.lines] == [
        (Decimal("22.00"), Decimal("1.98")),
        (Decimal("7.00"), Decimal("1.47")),
    ]
    assert entry.total == eur("32.45")


def test_2_a_rounding_cent_goes_to_the_largest_lines_net() -> None:
    # 0.55 at 21 %: net 0.45 (0.4545…), VAT 0.09 (0.0945): 0.54 per line, 2 cents short.
    documents = book(txn("-1.10", "Shop"), ("4000", "-0.55", "21I"), ("4010", "-0.55", "21I"))
    entry = documents.purchase_entry
    assert entry is not None
    assert [(x.net.amount, x.vat.amount) for x in entry.lines] == [
        (Decimal("0.47"), Decimal("0.09")),  # the largest (first on a tie) takes the cents
        (Decimal("0.45"), Decimal("0.09")),
    ]
    assert entry.total == eur("1.10")
    assert sum(x.net.amount + x.vat.amount for x in entry.lines) == Decimal("1.10")


# §3 EU service, VAT reverse-charged — SaaS billed from Ireland, €12.00
REVERSE_CHARGE_PURCHASE: Table = [
    ("4400 Software subscriptions",       "12.00", ""),
    ("1520 VAT to claim",                  "2.52", ""),
    ("1510 VAT to pay",                        "", "2.52"),
    ("1600 Creditors (Card purchases)",        "", "12.00"),
]  # fmt: skip


def test_3_reverse_charge_books_vat_to_pay_and_to_claim_and_the_creditor_gets_the_net() -> None:
    documents = book(txn("-12.00", "Intercom"), ("4400", "-12.00", "RCEU"))
    assert tables(documents)[0] == REVERSE_CHARGE_PURCHASE
    entry = documents.purchase_entry
    assert entry is not None
    [line] = entry.lines
    # Nothing of the VAT is sent: Exact books both sides from the code itself.
    assert (line.amount, line.vat, line.reverse_charge_vat) == (
        eur("12.00"),
        eur("0.00"),
        eur("2.52"),
    )


# §4 Foreign currency — US SaaS, USD 8.75, card charged €8.05
US_SAAS_PURCHASE_IN_EUR: Table = [
    ("4400 Software subscriptions",       "8.05", ""),
    ("1520 VAT to claim",                 "1.69", ""),  # reverse-charged as §3, non-EU code
    ("1510 VAT to pay",                       "", "1.69"),
    ("1600 Creditors (Card purchases)",       "", "8.05"),
]  # fmt: skip
US_SAAS_PAYMENT: Table = [
    ("1600 Creditors (Card purchases)", "8.05", ""),
    ("1105 Credit card",                    "", "8.05"),
]  # fmt: skip


def usd_saas() -> Transaction:
    return txn("-8.05", "GitHub", original=Money(Decimal("-8.75"), "USD"),
               fx_rate=Decimal("0.92"))  # fmt: skip


def test_4_foreign_currency_is_booked_in_euro_with_the_original_amount_in_the_description() -> None:
    documents = book(usd_saas(), ("4400", "-8.05", "RCX"))
    assert tables(documents) == [US_SAAS_PURCHASE_IN_EUR, US_SAAS_PAYMENT]
    entry = documents.purchase_entry
    assert entry is not None
    assert (entry.currency, entry.exchange_rate) == ("EUR", None)
    assert entry.description == "GitHub - A. Jansen (USD 8.75 at 0.92)"


def test_4_optionally_foreign_currency_is_booked_in_usd_at_the_rate_of_the_two_amounts() -> None:
    options = replace(SETTINGS, book_in_original_currency=True)
    documents = book(usd_saas(), ("4400", "-8.05", "N"), options=options)
    entry = documents.purchase_entry
    assert entry is not None
    assert (entry.currency, entry.exchange_rate) == ("USD", Decimal("0.92"))
    assert entry.total == Money(Decimal("8.75"), "USD")
    assert entry.total.amount * entry.exchange_rate == Decimal("8.05")
    assert documents.bank_lines[0].amount == eur("-8.05")


# §5 Refund — Coolblue returns €121.00: a credit entry, the same lines negative
COOLBLUE_REFUND: Table = [
    ("4230 Computer equipment",        "", "100.00"),
    ("1520 VAT to claim",              "", "21.00"),
    ("1600 Creditors (Coolblue)", "121.00", ""),
]  # fmt: skip
COOLBLUE_REFUND_RECEIVED: Table = [
    ("1600 Creditors (Coolblue)",      "", "121.00"),
    ("1105 Credit card",         "121.00", ""),
]  # fmt: skip


def test_5_refund_becomes_a_credit_purchase_entry_and_money_in_on_the_card() -> None:
    documents = book(txn("121.00"), ("4230", "121.00", "21E"))
    assert tables(documents) == [COOLBLUE_REFUND, COOLBLUE_REFUND_RECEIVED]
    entry = documents.purchase_entry
    assert entry is not None and entry.is_credit
    [line] = entry.lines
    assert (line.net, line.vat, entry.total) == (eur("-100.00"), eur("-21.00"), eur("-121.00"))
    assert documents.bank_lines[0].amount == eur("121.00")


# §6 Card fee, §7 top-up, §11 cash withdrawal: a bank entry line only
FX_FEE: Table = [("4900 Bank charges", "0.50", ""), ("1105 Credit card", "", "0.50")]
TOP_UP: Table = [("2000 Transfers", "", "5000.00"), ("1105 Credit card", "5000.00", "")]
ATM: Table = [("1000 Cash", "200.00", ""), ("1105 Credit card", "", "200.00")]


@pytest.mark.parametrize(
    ("kind", "amount", "gl_account", "table"),
    [
        (TransactionKind.FEE, "-0.50", "4900", FX_FEE),
        (TransactionKind.TRANSFER, "5000.00", "2000", TOP_UP),
        (TransactionKind.TRANSFER, "-200.00", "1000", ATM),
    ],
)
def test_6_7_11_fees_transfers_and_withdrawals_book_a_bank_line_straight_on_the_account(
    kind: TransactionKind, amount: str, gl_account: str, table: Table
) -> None:
    documents = book(txn(amount, "Issuer", kind), (gl_account, amount, None))
    assert documents.purchase_entry is None
    assert tables(documents) == [table]
    [bank] = documents.bank_lines
    assert (bank.amount, bank.gl_account, bank.supplier) == (eur(amount), gl_account, None)


# §8 non-deductible, §9 zero-rated, §10 foreign VAT: the gross on the cost, nothing to claim
@pytest.mark.parametrize(
    ("gl_account", "name", "amount", "code"),
    [
        ("4510", "Business meals", "48.40", "N"),  # §8 restaurant
        ("4700", "Flights", "310.00", "0"),  # §9 international flight
        ("4610", "Travel and lodging", "107.00", "N"),  # §10 German hotel
    ],
)
def test_8_9_10_no_vat_or_zero_rated_books_the_gross_and_nothing_on_vat_to_claim(
    gl_account: str, name: str, amount: str, code: str
) -> None:
    documents = book(txn(f"-{amount}", "Merchant"), (gl_account, f"-{amount}", code))
    assert tables(documents)[0] == [
        (f"{gl_account} {name}", amount, ""),
        ("1600 Creditors (Card purchases)", "", amount),
    ]


def test_a_closed_period_is_refused_unless_the_user_chose_the_first_open_period() -> None:
    periods = [
        FinancialPeriod(2026, 5, date(2026, 5, 1), date(2026, 5, 31), closed=True),
        FinancialPeriod(2026, 6, date(2026, 6, 1), date(2026, 6, 30)),
    ]
    with pytest.raises(DomainError, match="period 2026/05 is closed"):
        book(txn("-121.00"), ("4230", "-121.00", "21E"), periods=periods)
    documents = book(txn("-121.00"), ("4230", "-121.00", "21E"), periods=periods,
                     post_in_first_open_period=True)  # fmt: skip
    entry = documents.purchase_entry
    assert entry is not None
    assert (entry.entry_date, entry.document_date) == (date(2026, 6, 1), DAY)
    assert entry.description.endswith("(dated 2026-05-18)")
    (bank_line,) = documents.bank_lines
    assert bank_line.date == date(2026, 6, 1)  # the bank line cannot stay in May either
    shown = preview(documents, ACCOUNTS, lookup)
    assert (shown.period, shown.moved_from) == (periods[1], periods[0])
    assert (shown.period.label, shown.moved_from.label) == ("2026/06", "2026/05")
    assert shown.period_note == (
        "Posted in 2026/06, the first open period; the transaction date's period 2026/05 is closed"
    )
    may_open = [replace(periods[0], closed=None), periods[1]]
    in_own = book(txn("-121.00"), ("4230", "-121.00", "21E"), periods=may_open,
                  post_in_first_open_period=True)  # fmt: skip
    assert in_own.bank_lines[0].date == DAY  # chosen, but May is not closed: stays in May
    assert preview(in_own, ACCOUNTS, lookup).period_note == "Posted in period 2026/05"


def test_missing_export_settings_are_named() -> None:
    with pytest.raises(DomainError, match="no purchase journal"):
        book(txn("-121.00"), ("4230", "-121.00", "21E"), options=ExportSettings(bank_journal="B"))


def test_the_description_follows_the_template_and_drops_empty_parts() -> None:
    t = txn("-121.00", description="Laptop for Jan")
    documents = book(t, ("4230", "-121.00", "21E"))
    assert documents.purchase_entry is not None
    assert documents.purchase_entry.description == "Coolblue - A. Jansen - Laptop for Jan"


# -- properties ----------------------------------------------------------------------------

CODES = st.sampled_from(["0", "N", "9I", "21I", "21E"])


@st.composite
def split_purchases(draw: st.DrawFn) -> tuple[Transaction, list[tuple[str, str, str | None]]]:
    """A gross amount split over 1–5 lines at 0, 9 or 21 % VAT."""
    sign = draw(st.sampled_from([-1, 1]))
    cents = draw(st.lists(st.integers(1, 5_000_000), min_size=1, max_size=5))
    lines = [("4230", str(Decimal(sign * c) / 100), draw(CODES)) for c in cents]
    return txn(str(Decimal(sign * sum(cents)) / 100)), lines


@settings(deadline=None)
@given(split_purchases())
def test_any_split_adds_up_to_the_gross_exactly_and_the_preview_balances(
    purchase: tuple[Transaction, list[tuple[str, str, str | None]]],
) -> None:
    t, lines = purchase
    documents = book(t, *lines)
    entry = documents.purchase_entry
    assert entry is not None
    assert sum(line.net.amount + line.vat.amount for line in entry.lines) == -t.amount.amount
    assert documents.bank_lines[0].amount == -entry.total
    shown: JournalPreview = preview(documents, ACCOUNTS, lookup)
    assert shown.balanced
    assert all(document.debit_total == document.credit_total for document in shown.documents)


def test_the_vat_the_receipt_states_is_booked_as_stated() -> None:
    t = txn("-121.00")
    coding = Coding((CodingLine("4230", eur("-121.00"), "21I", vat_amount=eur("-21.02")),))
    documents = map_transaction(t, coding, SETTINGS, lookup, ACCOUNTS)
    assert documents.purchase_entry is not None
    [line] = documents.purchase_entry.lines
    assert (line.net, line.vat, line.amount) == (eur("99.98"), eur("21.02"), eur("121.00"))
    assert tables(documents)[0][1] == ("1520 VAT to claim", "21.02", "")
