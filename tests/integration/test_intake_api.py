"""The transaction API as a client sees it: batches, errors, listing, detail."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from auth_headers import bearer
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from ledgerbridge.bootstrap import Container
from ledgerbridge.config import Settings
from ledgerbridge.db.models.core import AuditLogRow, TransactionRow
from ledgerbridge.db.repositories import CompanyRepository, TransactionRepository
from ledgerbridge.db.uow import UnitOfWork
from ledgerbridge.services.transactions import intake
from ledgerbridge.web.app import create_app

TODAY = datetime.now(UTC).date()  # the day intake judges dates by


@pytest.fixture
def client(
    tmp_path: Path, database_url: URL, engine: Engine, session_factory: sessionmaker[Session]
) -> Iterator[TestClient]:
    with UnitOfWork(session_factory) as uow:
        CompanyRepository(uow.session).add("acme", "Acme B.V.")
        uow.commit()
    settings = Settings(data_dir=tmp_path, demo=False)
    container = Container(settings, database_url, engine, session_factory)
    with TestClient(create_app(container), headers=bearer(session_factory, "acme")) as test_client:
        yield test_client


def txn(external_id: str = "t-1", **overrides: Any) -> dict[str, Any]:
    base = {
        "external_id": external_id,
        "booking_date": TODAY.isoformat(),
        "amount": "-42.50",
        "currency": "EUR",
        "merchant_name": "Albert Heijn",
        "merchant_country": "NL",
        "mcc": "5411",
    }
    return base | overrides


def post(client: TestClient, *items: dict[str, Any]) -> Any:
    return client.post("/api/v1/transactions", json={"transactions": list(items)})


def stored(session_factory: sessionmaker[Session]) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(TransactionRow)) or 0


def test_a_new_batch_is_created_and_reported_per_item(client: TestClient) -> None:
    response = post(client, txn("a"), txn("b", amount="-1234.56"))
    assert response.status_code == 200
    body = response.json()
    assert body["counts"] == {"created": 2, "unchanged": 0, "conflict": 0}
    assert [i["result"] for i in body["items"]] == ["created", "created"]


def test_sending_the_same_batch_again_changes_nothing(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    post(client, txn("a"), txn("b"))
    again = post(client, txn("a"), txn("b")).json()
    assert again["counts"] == {"created": 0, "unchanged": 2, "conflict": 0}
    assert stored(session_factory) == 2


def test_different_content_for_a_known_external_id_is_a_conflict_not_a_change(
    client: TestClient,
) -> None:
    first = post(client, txn("a")).json()["items"][0]
    body = post(client, txn("a", amount="-99.00")).json()
    assert body["counts"]["conflict"] == 1
    assert "amount" in body["items"][0]["conflicting_fields"]
    detail = client.get(f"/api/v1/transactions/{first['id']}").json()
    assert detail["amount"] == "-42.50"


def test_an_invalid_batch_lists_every_bad_item_and_saves_nothing(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    response = post(
        client, txn("ok"), txn("bad-1", currency="XYZ"), txn("bad-2", amount="0"), txn("ok-2")
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [(e["index"], e["external_id"], e["field"]) for e in errors] == [
        (1, "bad-1", "currency"),
        (2, "bad-2", "amount"),
    ]
    assert stored(session_factory) == 0


BAD_INPUT = [
    (txn(amount="12.3.4"), "amount", "misplaced separators"),
    (txn(amount="-12.345"), "amount", "more than 2 decimals"),
    (txn(amount="0.00"), "amount", "is zero"),
    (txn(currency="EURO"), "currency", "unknown currency"),
    (txn(booking_date="2099-01-01"), "booking_date", "in the future"),
    (txn(booking_date="20-11-2026"), "booking_date", "not a date"),
    (txn(kind="gift"), "kind", "unknown kind"),
    (txn(card_last4="42"), "card_last4", "last 4 digits of the card"),
    (txn(amount="42.50"), "amount", "a card payment is money out"),
    (txn(settlement_date="2000-01-01"), "settlement_date", "before the booking date"),
    (txn(external_id=""), "external_id", "is required"),
    (txn(colour="red"), "colour", "unknown field"),
]


@pytest.mark.parametrize(("item", "field", "message"), BAD_INPUT)
def test_each_kind_of_bad_input_is_named_with_its_field(
    client: TestClient, item: dict[str, Any], field: str, message: str
) -> None:
    response = post(client, item)
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == field
    assert message in error["message"]


def test_json_numbers_are_taken_exactly_and_refused_when_they_lose_precision(
    client: TestClient,
) -> None:
    item = json.dumps(txn("n1")).replace('"-42.50"', "-42.5")
    exact = f'{{"transactions": [{item}]}}'
    lossy = exact.replace("-42.5", "-42.499999999999999999").replace("n1", "n2")
    ok = client.post("/api/v1/transactions", content=exact)
    assert ok.status_code == 200
    refused = client.post("/api/v1/transactions", content=lossy)
    assert refused.status_code == 422
    assert "decimals" in refused.json()["errors"][0]["message"]


def test_duplicate_external_ids_inside_one_batch_are_refused(client: TestClient) -> None:
    response = post(client, txn("same"), txn("same"))
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["index"] == 1
    assert "duplicate external_id in this batch (first at index 0)" in error["message"]


def test_a_batch_above_one_thousand_is_refused(client: TestClient) -> None:
    response = post(client, *[txn(f"t{n}") for n in range(1001)])
    assert response.status_code == 422
    assert "1 to 1000" in response.json()["detail"]


def test_a_foreign_currency_payment_keeps_both_amounts_and_the_rate(client: TestClient) -> None:
    item = txn("usd", amount="-18.40", original_amount="-19.99", original_currency="USD")
    created = post(client, item).json()["items"][0]
    detail = client.get(f"/api/v1/transactions/{created['id']}").json()
    assert (detail["original_amount"], detail["original_currency"]) == ("-19.99", "USD")
    assert detail["fx_rate"].startswith("0.920460")
    assert detail["coding_lines"] == [] and detail["receipts"] == []


def test_listing_filters_by_merchant_status_date_and_amount(client: TestClient) -> None:
    post(
        client,
        txn("ah", merchant_name="Albert Heijn", amount="-10.00"),
        txn("ns", merchant_name="NS", amount="-55.00", booking_date="2026-01-05"),
    )
    merchant = client.get("/api/v1/transactions", params={"merchant": "heij"}).json()
    assert [t["external_id"] for t in merchant["items"]] == ["ah"]
    cheap = client.get("/api/v1/transactions", params={"amount_min": "-20"}).json()
    assert [t["external_id"] for t in cheap["items"]] == ["ah"]
    old = client.get("/api/v1/transactions", params={"date_to": "2026-01-31"}).json()
    assert [t["external_id"] for t in old["items"]] == ["ns"]
    ready = client.get("/api/v1/transactions", params={"status": "ready"}).json()
    assert ready["items"] == []
    no_receipt = client.get("/api/v1/transactions", params={"has_receipt": "false"}).json()
    assert len(no_receipt["items"]) == 2


def test_keyset_pages_cover_every_transaction_once_even_when_rows_are_added(
    client: TestClient,
) -> None:
    post(client, *[txn(f"p{n:02d}", booking_date=f"2026-0{1 + n % 3}-1{n % 2}") for n in range(25)])
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 10} | ({"cursor": cursor} if cursor else {})
        page = client.get("/api/v1/transactions", params=params).json()
        seen += [t["external_id"] for t in page["items"]]
        if len(seen) == 10:
            # A newer transaction arriving mid-listing must not shift later pages.
            post(client, txn("late", booking_date=TODAY.isoformat()))
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 25 == len(set(seen))


def test_a_garbled_cursor_is_a_clear_400(client: TestClient) -> None:
    response = client.get("/api/v1/transactions", params={"cursor": "not-ours"})
    assert response.status_code == 400
    assert "invalid cursor" in response.json()["detail"]


def test_a_received_batch_leaves_an_audit_row(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    post(client, txn("a"))
    with session_factory() as session:
        query = select(AuditLogRow).where(AuditLogRow.action.startswith("transaction."))
        [row] = session.scalars(query).all()
    assert row.action == "transaction.batch_received"
    assert row.details == {"created": 1, "unchanged": 0, "conflict": 0}


def test_the_api_is_documented_at_docs(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert "/api/v1/transactions" in schema["paths"]
    assert client.get("/docs").status_code == 200


def test_a_csv_upload_gives_the_same_result_as_the_command_line(client: TestClient) -> None:
    data = "external_id;booking_date;amount;currency\nc1;2026-11-01;-1.234,56;EUR\n"
    files = {"file": ("bank.csv", data.encode(), "text/csv")}
    response = client.post("/api/v1/transactions/import", files=files)
    assert response.json() == {"rows": 1, "created": 1, "skipped_existing": 0}
    again = client.post("/api/v1/transactions/import", files=files)
    assert again.json() == {"rows": 1, "created": 0, "skipped_existing": 1}


def test_a_bad_csv_upload_is_a_422_naming_each_line(client: TestClient) -> None:
    data = "external_id,booking_date,amount,currency\nc1,2026-11-01,abc,EUR\nc2,2026-11-01,0,EUR\n"
    files = {"file": ("bank.csv", data.encode(), "text/csv")}
    response = client.post("/api/v1/transactions/import", files=files)
    assert response.status_code == 422
    body = response.json()
    assert [(e["line"], e["field"]) for e in body["errors"]] == [(2, "amount"), (3, "amount")]
    assert body["total_errors"] == 2


def test_the_company_comes_from_the_key_never_from_a_header(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    created = post(client, txn("mine")).json()["items"][0]
    with UnitOfWork(session_factory) as uow:
        CompanyRepository(uow.session).add("other", "Other B.V.")
        uow.commit()
    other = bearer(session_factory, "other")
    spoofed = {**other, "X-Company": "acme"}
    assert client.get(f"/api/v1/transactions/{created['id']}", headers=spoofed).status_code == 404
    anonymous = client.get("/api/v1/transactions", headers={"Authorization": ""})
    assert anonymous.status_code == 401


def test_another_company_sees_none_of_our_transactions_through_the_api(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    created = post(client, txn("mine")).json()["items"][0]
    with UnitOfWork(session_factory) as uow:
        CompanyRepository(uow.session).add("other", "Other B.V.")
        uow.commit()
    other = bearer(session_factory, "other")
    assert client.get(f"/api/v1/transactions/{created['id']}", headers=other).status_code == 404
    assert client.get("/api/v1/transactions", headers=other).json()["items"] == []
    # The same external id is free for the other company: tenants never collide.
    same = client.post("/api/v1/transactions", json={"transactions": [txn("mine")]}, headers=other)
    assert same.json()["counts"]["created"] == 1


def _blocked_on_a_lock(engine: Engine, deadline: float) -> None:
    """Return once another session waits for a row lock (busy-polls the server, no sleep)."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    with engine.connect() as conn:
        while not conn.execute(query).scalar():
            assert time.monotonic() < deadline, "the second batch never reached the unique key"


@pytest.mark.parametrize(("amount", "outcome"), [("-42.50", "unchanged"), ("-99.00", "conflict")])
def test_a_batch_racing_another_with_the_same_new_external_id_gets_no_error(
    engine: Engine, session_factory: sessionmaker[Session], amount: str, outcome: str
) -> None:
    with UnitOfWork(session_factory) as uow:
        company_id = CompanyRepository(uow.session).add("acme", "Acme B.V.").id
        uow.commit()
    first = UnitOfWork(session_factory)
    with first, ThreadPoolExecutor(max_workers=1) as pool:
        # The first batch has inserted but not committed when the second one arrives.
        repo = TransactionRepository(first.session)
        assert repo.insert_new(company_id, [_values("race")]) == ["race"]
        second = pool.submit(
            intake.ingest_batch,
            UnitOfWork(session_factory),
            company_id,
            [txn("race", amount=amount)],
            actor="test",
        )
        _blocked_on_a_lock(engine, time.monotonic() + 10)
        first.commit()
        raced = second.result(timeout=10)
    assert [i.outcome for i in raced.items] == [outcome]
    with session_factory() as session:
        [row] = session.scalars(select(TransactionRow)).all()
    assert (raced.items[0].id, row.amount) == (row.id, Decimal("-42.50"))


def test_two_threads_sending_the_same_new_batch_create_each_transaction_once(
    session_factory: sessionmaker[Session],
) -> None:
    with UnitOfWork(session_factory) as uow:
        company_id = CompanyRepository(uow.session).add("acme", "Acme B.V.").id
        uow.commit()
    batch = [txn(f"both-{n}") for n in range(50)]
    start = threading.Barrier(2)

    def send() -> intake.BatchResult:
        start.wait(timeout=10)
        return intake.ingest_batch(UnitOfWork(session_factory), company_id, batch, actor="test")

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = [f.result(timeout=30) for f in [pool.submit(send), pool.submit(send)]]
    assert sorted(r.count("created") + r.count("unchanged") for r in results) == [50, 50]
    assert sum(r.count("created") for r in results) == 50
    assert stored(session_factory) == 50


def _values(external_id: str) -> dict[str, Any]:
    [values] = intake.validate_batch([txn(external_id)], today=TODAY)
    return values


@pytest.mark.parametrize(
    ("amount", "currency"),
    [
        ("-999999999999999.99", "EUR"),  # the largest amount the domain accepts
        ("-1.235", "KWD"),  # three-decimal currencies keep their last digit
        ("-1500", "JPY"),  # zero-decimal currencies print without decimals
        ("-0.01", "EUR"),
    ],
)
def test_amounts_round_trip_exactly_through_storage(
    client: TestClient, amount: str, currency: str
) -> None:
    created = post(client, txn(f"rt-{currency}", amount=amount, currency=currency)).json()
    detail = client.get(f"/api/v1/transactions/{created['items'][0]['id']}").json()
    assert (detail["amount"], detail["currency"]) == (amount, currency)
    assert (detail["original_amount"], detail["original_currency"]) == (amount, currency)


def test_an_amount_beyond_what_storage_holds_is_refused_by_name(client: TestClient) -> None:
    response = post(client, txn(amount="-1000000000000000.00"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "amount"


def test_a_date_range_and_an_amount_range_bound_the_listing_on_both_ends(
    client: TestClient,
) -> None:
    post(
        client,
        txn("early", booking_date="2026-01-05", amount="-5.00"),
        txn("mid", booking_date="2026-02-10", amount="-50.00"),
        txn("late", booking_date="2026-03-20", amount="-500.00"),
    )

    def listed(**params: str) -> list[str]:
        found = client.get("/api/v1/transactions", params=params).json()["items"]
        return [t["external_id"] for t in found]

    assert listed(date_from="2026-02-10", date_to="2026-03-19") == ["mid"]
    assert listed(date_from="2026-02-11") == ["late"]
    assert listed(amount_min="-50.00", amount_max="-5.01") == ["mid"]
    assert listed(amount_max="-50") == ["late", "mid"]


def test_text_with_a_nul_character_is_refused_by_field_and_nothing_is_saved(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    response = post(client, txn("ok"), txn("bad\x00id"), txn("n-1", merchant_name="Shop\x00"))
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [(e["index"], e["field"]) for e in errors] == [(1, "external_id"), (2, "merchant_name")]
    assert all("NUL character" in e["message"] for e in errors)
    assert stored(session_factory) == 0


def test_text_that_is_not_valid_unicode_is_refused_saying_where(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    body = json.dumps({"transactions": [txn("u-1"), txn("u-2", description="\ud800")]})
    response = client.post(
        "/api/v1/transactions", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert "transactions[1].description" in response.json()["detail"]
    assert "unpaired surrogate" in response.json()["detail"]
    assert stored(session_factory) == 0


def test_a_body_nested_too_deeply_is_a_422_not_a_crash(client: TestClient) -> None:
    body = '{"transactions": [' + "[" * 100_000 + "]" * 100_000 + "]}"
    response = client.post(
        "/api/v1/transactions", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert "nested too deeply" in response.json()["detail"]


def test_a_merchant_filter_with_a_nul_character_is_a_422_naming_the_parameter(
    client: TestClient,
) -> None:
    response = client.get("/api/v1/transactions", params={"merchant": "Albert\x00"})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["query", "merchant"]
    assert "NUL character" in error["msg"]


def test_a_csv_row_with_a_nul_character_is_refused_by_line_and_field(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    data = "external_id,booking_date,amount,currency,merchant_name\n"
    data += f"c1,{TODAY},-1.00,EUR,Shop\nc2,{TODAY},-1.00,EUR,Sh\x00p\n"
    files = {"file": ("bank.csv", data.encode(), "text/csv")}
    response = client.post("/api/v1/transactions/import", files=files)
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (error["line"], error["field"], error["external_id"]) == (3, "merchant_name", "c2")
    assert stored(session_factory) == 0


@pytest.mark.parametrize(
    "data",
    [
        'external_id,booking_date,amount,currency\nx,2026-11-01,-1.00,"' + "y" * 200_000 + '"\n',
        'external_id,booking_date,amount,currency\nx,2026-11-01,-1.00,"EUR\n',
        "x" * 200_000 + "\n",
    ],
    ids=["field-over-the-limit", "unterminated-quote", "huge-header"],
)
def test_an_unreadable_csv_upload_is_a_422_naming_the_line_not_a_500(
    client: TestClient, data: str
) -> None:
    files = {"file": ("t.csv", data.encode(), "text/csv")}
    response = client.post("/api/v1/transactions/import", files=files)
    assert response.status_code == 422, response.text
    body = response.json()
    lines = [e["line"] for e in body["errors"]]
    assert lines == [2] or (lines == [] and "line 1" in body["detail"])
