"""The Transactions pages through a browser's requests: tabs with counts, filters, pages,
the drawer with receipts (preview, download, upload, remove) and the CSV import."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from access_world import ANNA, BOB, PASSWORD, World, build_world
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker
from test_intake_api import txn
from test_receipts import image

from ledgerbridge.db.repositories import transactions as transactions_repository
from ledgerbridge.domain.export_status import ExportStatus
from ledgerbridge.services.access import setup

DAVE = "dave@a.example"  # a viewer of A
GOOD_CSV = (
    "external_id,booking_date,amount,currency,merchant_name,cardholder\n"
    "csv-1,2026-11-02,-12.50,EUR,Coolblue,Anna de Vries\n"
    "csv-2,2026-11-03,-8.00,EUR,Bol.com,Piet Jansen\n"
)
BAD_CSV = (
    "external_id,booking_date,amount,currency,merchant_name,cardholder\n"
    "csv-1,2026-11-02,-12.50,EUR,Coolblue,Anna de Vries\n"
    "csv-2,2026-13-45,-8.00,EUR,Bol.com,Piet Jansen\n"
    "csv-3,2026-11-04,lots,EUR,Shell,Piet Jansen\n"
)


@pytest.fixture
def world(
    tmp_path: Path, database_url: URL, engine: Engine, session_factory: sessionmaker[Session]
) -> Iterator[World]:
    found = build_world(tmp_path, database_url, session_factory, engine)
    setup.add_user(found.uow, "a", DAVE, "viewer", PASSWORD)
    yield found


def signed_in(world: World, email: str = ANNA) -> tuple[TestClient, str]:
    return world.signed_in(email)


def add(world: World, *items: dict[str, Any]) -> list[str]:
    with world.client(headers=world.key_of(world.a, "bookkeeper")) as client:
        answer = client.post("/api/v1/transactions", json={"transactions": list(items)})
        assert answer.status_code in (200, 201), answer.text
        return [item["id"] for item in answer.json()["items"]]


def rows(page: str) -> list[str]:
    return re.findall(r'hx-get="/transactions/([0-9a-f-]{36})"', page)


def test_the_tabs_count_per_export_state_and_the_list_shows_the_chosen_one(world: World) -> None:
    ready = add(world, txn("r-1"), txn("r-2"))
    with world.uow() as uow:
        for txn_id in ready:
            uow.transactions.set_status(world.a, uuid.UUID(txn_id), ExportStatus.READY)
        uow.commit()
    client, _ = signed_in(world)

    prepare = client.get("/transactions")
    ready_tab = client.get("/transactions", params={"status": "ready"})

    assert prepare.status_code == 200
    counts = re.findall(r'class="count">(\d+)<', prepare.text)
    assert counts[:2] == ["1", "2"]  # to prepare: A's first transaction; ready: two
    assert rows(prepare.text) == [world.txn]
    assert sorted(rows(ready_tab.text)) == sorted(ready)


def test_filters_and_search_narrow_the_list_and_the_counts(world: World) -> None:
    add(
        world,
        txn("f-1", merchant_name="Coolblue", cardholder="Anna de Vries", amount="-121.00"),
        txn("f-2", merchant_name="Coolblue", cardholder="Piet Jansen", amount="-15.00"),
        txn("f-3", merchant_name="Shell", cardholder="Piet Jansen", amount="-60.00",
            currency="USD", original_currency="USD", original_amount="-60.00"),
    )  # fmt: skip
    client, _ = signed_in(world)

    def merchants(**params: str) -> list[str]:
        page = client.get("/transactions", params=params).text
        return re.findall(r'hx-target="#drawer" hx-push-url="false">([^<]+)</a>', page)

    assert merchants(merchant="coolb") == ["Coolblue", "Coolblue"]
    assert sorted(merchants(cardholder="piet")) == ["Coolblue", "Shell"]
    assert merchants(q="anna de") == ["Coolblue"]
    assert merchants(currency="usd") == ["Shell"]
    assert merchants(amount_min="-100", amount_max="-20", merchant="o") == []
    assert sorted(merchants(amount_min="-100", amount_max="-20")) == ["Albert Heijn", "Shell"]
    filtered = client.get("/transactions", params={"merchant": "coolblue"}).text
    assert re.findall(r'class="count">(\d+)<', filtered)[0] == "2"


@pytest.mark.parametrize("most_names", [20_000, 1], ids=["names first", "too many names"])
def test_the_cardholder_filter_finds_part_of_a_name_in_any_case(
    world: World, most_names: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With few cardholders the names are looked up first; with more than the repository
    # looks up, it falls back to matching every row. Both answer the same.
    monkeypatch.setattr(transactions_repository, "MAX_NAMES", most_names)
    add(
        world,
        txn("c-1", cardholder="Anna de Vries"),
        txn("c-2", cardholder="Piet Jansen"),
        txn("c-3", cardholder="PIETER 100%_x"),
        txn("c-4", cardholder=""),
    )
    client, _ = signed_in(world)

    def external_ids(part: str) -> list[str]:
        found = client.get("/api/v1/transactions", params={"cardholder": part}).json()
        return sorted(t["external_id"] for t in found["items"])

    assert external_ids("piet") == ["c-2", "c-3"]
    assert external_ids("100%_") == ["c-3"]
    assert external_ids("%") == ["c-3"]
    assert external_ids("nobody") == []
    page = client.get("/transactions", params={"cardholder": "vries"}).text
    assert re.findall(r'class="count">(\d+)<', page)[0] == "1"


@pytest.mark.parametrize("most_names", [20_000, 2], ids=["names first", "too many names"])
def test_the_merchant_filter_finds_part_of_a_name_in_any_case(
    world: World, most_names: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transactions_repository, "MAX_NAMES", most_names)
    add(
        world,
        txn("m-1", merchant_name="Coolblue"),
        txn("m-2", merchant_name="COOLBLUE B.V."),
        txn("m-3", merchant_name="Shell_1%"),
    )
    client, _ = signed_in(world)

    def external_ids(part: str) -> list[str]:
        found = client.get("/api/v1/transactions", params={"merchant": part}).json()
        return sorted(t["external_id"] for t in found["items"])

    assert external_ids("coolblue") == ["m-1", "m-2"]
    assert external_ids("_1%") == ["m-3"]
    assert external_ids("nobody") == []


def test_keyset_pages_follow_each_other_without_gaps(world: World) -> None:
    add(world, *(txn(f"p-{n:03}", booking_date=f"2026-10-{1 + n % 28:02}") for n in range(120)))
    client, _ = signed_in(world)

    seen: list[str] = []
    url = "/transactions"
    while url:
        page = client.get(url, headers={"HX-Request": "true"} if seen else {}).text
        seen += rows(page)
        found = re.search(r'<a href="(/transactions\?[^"]*after=[^"]+)"', page)
        url = found.group(1).replace("&amp;", "&") if found else ""

    assert len(seen) == 121 and len(set(seen)) == 121


def test_the_drawer_shows_details_and_the_receipt_preview_and_download(world: World) -> None:
    client, _ = signed_in(world)

    drawer = client.get(f"/transactions/{world.txn}", headers={"HX-Request": "true"})
    inline = client.get(f"/transactions/{world.txn}/receipts/{world.receipt}/view")
    download = client.get(f"/api/v1/transactions/{world.txn}/receipts/{world.receipt}/file")

    assert drawer.status_code == 200 and "<html" not in drawer.text
    assert "a-secret-ext" in drawer.text
    assert f'<img src="/transactions/{world.txn}/receipts/{world.receipt}/view"' in drawer.text
    assert inline.headers["content-type"] == "image/png"
    assert inline.headers["content-disposition"] == "inline"
    assert inline.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-disposition"].startswith("attachment")


def test_a_bookkeeper_uploads_and_removes_a_receipt_from_the_drawer(world: World) -> None:
    (txn_id,) = add(world, txn("u-1"))
    client, csrf = signed_in(world)

    uploaded = client.post(
        f"/transactions/{txn_id}/receipts",
        data={"csrf_token": csrf},
        files={"file": ("bon.jpg", image("JPEG"), "image/jpeg")},
    )
    page = client.get(uploaded.headers["location"]).text
    receipt_id = re.search(rf"/transactions/{txn_id}/receipts/([0-9a-f-]{{36}})/view", page)
    refused = client.post(
        f"/transactions/{txn_id}/receipts",
        data={"csrf_token": csrf},
        files={"file": ("notes.txt", b"just text", "text/plain")},
    )

    assert uploaded.status_code == 303
    assert "The receipt was added." in page and receipt_id
    assert refused.status_code == 400 and 'role="alert"' in refused.text
    removed = client.post(
        f"/transactions/{txn_id}/receipts/{receipt_id.group(1)}/remove", data={"csrf_token": csrf}
    )
    assert removed.status_code == 303
    assert "No receipt yet." in client.get(f"/transactions/{txn_id}").text


def test_a_viewer_sees_no_upload_and_is_refused_when_posting(world: World) -> None:
    client, csrf = signed_in(world, DAVE)

    page = client.get(f"/transactions/{world.txn}").text
    posted = client.post(
        f"/transactions/{world.txn}/receipts",
        data={"csrf_token": csrf},
        files={"file": ("bon.png", image("PNG"), "image/png")},
    )

    assert "data-dropzone" not in page and "Remove" not in page
    assert posted.status_code == 403
    with world.uow() as uow:
        assert len(uow.transactions.receipts(world.a, uuid.UUID(world.txn))) == 1


def test_company_b_cannot_open_company_as_transaction_by_its_url(world: World) -> None:
    client, _ = signed_in(world, BOB)

    drawer = client.get(f"/transactions/{world.txn}")
    inline = client.get(f"/transactions/{world.txn}/receipts/{world.receipt}/view")
    listed = client.get("/transactions").text

    assert drawer.status_code == 404 and "a-secret-ext" not in drawer.text
    assert '<a href="/transactions">Back to Transactions</a>' in drawer.text
    assert inline.status_code == 404
    assert world.txn not in listed


def test_a_csv_with_bad_lines_shows_each_in_a_table_and_saves_nothing(world: World) -> None:
    client, csrf = signed_in(world)

    answer = client.post(
        "/transactions/import",
        data={"csrf_token": csrf},
        files={"file": ("november.csv", BAD_CSV.encode(), "text/csv")},
    )

    assert answer.status_code == 422
    assert "nothing was saved" in answer.text
    table = answer.text.split('class="import-errors"')[1]
    cells = re.findall(r"<tr><td>(\d+)</td><td><code>(\w+)</code></td>", table)
    assert cells == [("3", "booking_date"), ("4", "amount")]
    with world.uow() as uow:
        assert uow.transactions.by_external_ids(world.a, ["csv-1"]) == {}


def test_a_good_csv_is_imported_and_said_how_many(world: World) -> None:
    client, csrf = signed_in(world)

    answer = client.post(
        "/transactions/import",
        data={"csrf_token": csrf},
        files={"file": ("november.csv", GOOD_CSV.encode(), "text/csv")},
    )

    assert answer.status_code == 200
    assert "2 rows read, 2 new, 0 already here" in answer.text
    assert "Coolblue" in client.get("/transactions").text


def test_the_import_needs_the_forms_token(world: World) -> None:
    client, _ = signed_in(world)

    answer = client.post(
        "/transactions/import",
        data={"csrf_token": "stale"},
        files={"file": ("november.csv", GOOD_CSV.encode(), "text/csv")},
    )

    assert answer.status_code == 403
    with world.uow() as uow:
        assert uow.transactions.by_external_ids(world.a, ["csv-1"]) == {}


def test_a_count_beyond_the_cap_reads_as_that_many_or_more(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ledgerbridge.services.transactions import query

    monkeypatch.setattr(query, "COUNT_CAP", 2)
    add(world, txn("c-1"), txn("c-2"))  # with A's first one: 3 to prepare
    client, _ = signed_in(world)

    page = client.get("/transactions").text
    api = client.get("/api/v1/transactions").json()
    filtered = client.get("/transactions", params={"merchant": "albert"}).text

    assert re.findall(r'class="count">([\d+]+)<', page)[0] == "2+"
    assert re.findall(r'class="count">([\d+]+)<', filtered)[0] == "2+"  # the filtered path
    assert (api["counts"]["to_prepare"], api["counts_cap"]) == (2, 2)
