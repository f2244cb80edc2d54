"""The demo company: realistic, deterministic, seeded once."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import filetype
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ledgerbridge.db.models.core import ReceiptRow, TransactionRow
from ledgerbridge.db.repositories import CompanyRepository
from ledgerbridge.db.repositories.accounts import MembershipRepository
from ledgerbridge.db.uow import UnitOfWork
from ledgerbridge.demo.seed import demo_transactions, seed_demo
from ledgerbridge.files.store import FileSystemReceiptStore
from ledgerbridge.services.transactions.input import parse_transaction

TODAY = date(2026, 11, 25)
SHARED_MERCHANTS = {
    "Albert Heijn", "Jumbo", "NS", "KLM", "Transavia", "Coolblue", "Bol.com", "Shell", "Q-Park",
    "Hotel V Nesplein", "Restaurant Blauw", "Gamma", "Atlassian", "Google Cloud EMEA",
    "Slack Technologies", "Amazon Web Services", "GitHub", "Zoom", "Pret A Manger",
    "Premier Inn", "British Airways", "Uber",
}  # fmt: skip


def test_the_demo_set_is_the_same_for_the_same_seed_and_differs_for_another() -> None:
    first = [t.values for t in demo_transactions(7, TODAY)]
    assert first == [t.values for t in demo_transactions(7, TODAY)]
    assert first != [t.values for t in demo_transactions(8, TODAY)]


def test_the_demo_set_looks_like_three_months_of_company_card_use() -> None:
    demo = demo_transactions(20261125, TODAY)
    values = [t.values for t in demo]
    assert 280 <= len(values) <= 320
    days = [v["booking_date"] for v in values]
    assert min(days) >= TODAY - timedelta(days=92) and max(days) <= TODAY
    kinds = Counter(v["kind"] for v in values)
    assert kinds["refund"] >= 3 and kinds["fee"] == 3 and kinds["transfer"] == 3
    assert {v["original_currency"] for v in values} == {"EUR", "USD", "GBP"}
    payments = {v["merchant_name"] for v in values if v["kind"] == "card_payment"}
    assert payments == SHARED_MERCHANTS
    foreign = [v for v in values if v["original_currency"] != "EUR"]
    assert all(v["fx_rate"] and v["currency"] == "EUR" for v in foreign)
    with_receipt = sum(1 for t in demo if t.receipt_format) / len(demo)
    assert 0.6 <= with_receipt <= 0.8


@pytest.mark.parametrize("today", [TODAY, date(2026, 3, 1), date(2028, 2, 29), date(2027, 1, 1)])
def test_every_demo_transaction_passes_intake_and_none_settles_after_today(today: date) -> None:
    for item in demo_transactions(20261125, today):
        values = item.values
        assert values["settlement_date"] <= today, values["external_id"]
        as_sent = {k: v if v is None or isinstance(v, str) else str(v) for k, v in values.items()}
        assert parse_transaction(as_sent, today=today).problems == [], values["external_id"]


def test_seeding_twice_adds_nothing_the_second_time(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    store = FileSystemReceiptStore(tmp_path)
    first = seed_demo(UnitOfWork(session_factory), store, seed=1, today=TODAY)
    second = seed_demo(UnitOfWork(session_factory), store, seed=1, today=TODAY)
    # A restart weeks later must not add that month's card fee and top-up either.
    later = seed_demo(UnitOfWork(session_factory), store, seed=1, today=TODAY + timedelta(45))
    assert first.created > 250 and first.receipts > 150
    assert (second.created, second.receipts) == (0, 0) == (later.created, later.receipts)
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(TransactionRow)) == first.created
        assert session.scalar(select(func.count()).select_from(ReceiptRow)) == first.receipts
        company = CompanyRepository(session).by_slug("demo")
        assert company is not None and company.name == "Demo B.V."
        members = MembershipRepository(session).members(company.id)
        assert [(u.email, role) for u, role in members] == [("admin@demo.example", "admin")]


def test_demo_receipts_are_real_png_and_pdf_files(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    store = FileSystemReceiptStore(tmp_path)
    seed_demo(UnitOfWork(session_factory), store, seed=3, today=TODAY)
    with session_factory() as session:
        receipts = session.scalars(select(ReceiptRow)).all()
    types = Counter(filetype.guess(store.get(r.sha256)).mime for r in receipts)
    assert set(types) == {"image/png", "application/pdf"}
    assert all(r.content_type in types for r in receipts)
