"""Receipts: accepted by what the bytes are, not by the name; size limits; several each."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ledgerbridge.bootstrap import Container
from ledgerbridge.config import Settings
from ledgerbridge.db.repositories import CompanyRepository
from ledgerbridge.db.uow import UnitOfWork
from ledgerbridge.files.store import FileSystemReceiptStore
from ledgerbridge.services.transactions.receipts import ReceiptLimits, add_receipt
from ledgerbridge.web.app import create_app

MAX, WARN = 200_000, 100_000


@pytest.fixture
def client(
    tmp_path: Path, database_url: URL, engine: Engine, session_factory: sessionmaker[Session]
) -> Iterator[TestClient]:
    with UnitOfWork(session_factory) as uow:
        companies = CompanyRepository(uow.session)
        companies.add("acme", "Acme B.V.")
        companies.add("other", "Other B.V.")
        uow.commit()
    settings = Settings(
        data_dir=tmp_path, demo=False, receipt_max_bytes=MAX, receipt_warn_bytes=WARN
    )
    container = Container(settings, database_url, engine, session_factory)
    with TestClient(create_app(container), headers={"X-Company": "acme"}) as test_client:
        yield test_client


@pytest.fixture
def txn_id(client: TestClient) -> str:
    item = {
        "external_id": "r-1",
        "booking_date": "2026-11-02",
        "amount": "-9.99",
        "currency": "EUR",
    }
    response = client.post("/api/v1/transactions", json={"transactions": [item]})
    return str(response.json()["items"][0]["id"])


def image(fmt: str, size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "white").save(out, format=fmt)
    return out.getvalue()


# The smallest HEIC a phone could send starts with this ISO-BMFF 'ftyp' box.
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64
# Android phones (10-bit HEVC) write the "heix" brand; an AVIF photo is not HEIC.
HEIX = b"\x00\x00\x00\x18ftypheix\x00\x00\x00\x00mif1heix" + b"\x00" * 64
HEIF_LISTING_HEIC = b"\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00mif1miafheic" + b"\x00" * 64
AVIF = b"\x00\x00\x00\x18ftypavif\x00\x00\x00\x00mif1avif" + b"\x00" * 64


def upload(client: TestClient, txn_id: str, name: str, data: bytes, **headers: str) -> Any:
    files = {"file": (name, data, "application/octet-stream")}
    return client.post(f"/api/v1/transactions/{txn_id}/receipts", files=files, headers=headers)


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("scan.pdf", image("PDF"), "application/pdf"),
        ("photo.jpg", image("JPEG"), "image/jpeg"),
        ("shot.png", image("PNG"), "image/png"),
        ("phone.heic", HEIC, "image/heic"),
        ("android.heic", HEIX, "image/heic"),
        ("camera.heif", HEIF_LISTING_HEIC, "image/heic"),
        ("web.webp", image("WEBP"), "image/webp"),
        ("anim.gif", image("GIF"), "image/gif"),
        ("no-extension", image("PNG"), "image/png"),
        ("misnamed.pdf", image("JPEG"), "image/jpeg"),
    ],
)
def test_receipt_type_is_read_from_the_content(
    client: TestClient, txn_id: str, name: str, data: bytes, content_type: str
) -> None:
    response = upload(client, txn_id, name, data)
    assert response.status_code == 201, response.text
    assert response.json()["content_type"] == content_type
    assert response.json()["warning"] is None


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("invoice.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200),  # a Windows executable
        ("invoice.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 200),
        ("notes.pdf", b"just some text, not a receipt"),
        ("archive.pdf", b"PK\x03\x04" + b"\x00" * 200),
        ("photo.heic", AVIF),
    ],
)
def test_a_disguised_or_unknown_file_is_refused_with_a_clear_415(
    client: TestClient, txn_id: str, name: str, data: bytes
) -> None:
    response = upload(client, txn_id, name, data)
    assert response.status_code == 415
    detail = response.json()["detail"]
    assert f"{name!r} is not a receipt file we accept" in detail
    assert "PDF, JPEG, PNG, HEIC, WebP, GIF" in detail
    assert client.get(f"/api/v1/transactions/{txn_id}").json()["receipts"] == []


def test_a_file_above_the_limit_is_refused_with_413(client: TestClient, txn_id: str) -> None:
    big = image("PNG") + b"\x00" * MAX
    response = upload(client, txn_id, "huge.png", big)
    assert response.status_code == 413
    assert "the limit is" in response.json()["detail"]


def test_a_file_above_exacts_practical_limit_is_kept_with_a_warning(
    client: TestClient, txn_id: str
) -> None:
    response = upload(client, txn_id, "large.png", image("PNG") + b"\x00" * WARN)
    assert response.status_code == 201
    assert "Exact Online may refuse" in response.json()["warning"]


def test_several_receipts_per_transaction_and_identical_bytes_stored_once(
    client: TestClient, txn_id: str, tmp_path: Path
) -> None:
    png = image("PNG")
    for name in ("a.png", "b.png", "c.jpg"):
        upload(client, txn_id, name, png if name.endswith("png") else image("JPEG"))
    detail = client.get(f"/api/v1/transactions/{txn_id}").json()
    assert [r["filename"] for r in detail["receipts"]] == ["a.png", "b.png", "c.jpg"]
    assert detail["has_receipt"] is True
    stored = [p for p in (tmp_path / "receipts").rglob("*") if p.is_file()]
    assert len(stored) == 2
    listed = client.get("/api/v1/transactions", params={"has_receipt": "true"}).json()
    assert [t["external_id"] for t in listed["items"]] == ["r-1"]


def test_another_company_cannot_attach_a_receipt(client: TestClient, txn_id: str) -> None:
    response = upload(client, txn_id, "a.png", image("PNG"), **{"X-Company": "other"})
    assert response.status_code == 404
    assert client.get(f"/api/v1/transactions/{txn_id}").json()["receipts"] == []


class CommitFails(UnitOfWork):
    def commit(self) -> None:
        raise OperationalError("COMMIT", {}, Exception("server closed the connection"))


def test_a_failed_commit_leaves_only_an_unreferenced_file_that_the_retry_reuses(
    client: TestClient, txn_id: str, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    store = FileSystemReceiptStore(tmp_path / "receipts")
    limits = ReceiptLimits(MAX, WARN)
    with session_factory() as session:
        company = CompanyRepository(session).by_slug("acme")
        assert company is not None
    args = (store, company.id, uuid.UUID(txn_id), image("PNG"), "a.png")
    with pytest.raises(OperationalError):
        add_receipt(CommitFails(session_factory), *args, actor="test", limits=limits)
    assert client.get(f"/api/v1/transactions/{txn_id}").json()["receipts"] == []
    added = add_receipt(UnitOfWork(session_factory), *args, actor="test", limits=limits)
    assert store.exists(added.sha256)
    assert [p.name for p in (tmp_path / "receipts").rglob("*") if p.is_file()] == [added.sha256]


def test_a_file_name_with_a_nul_character_is_kept_without_it(
    client: TestClient, txn_id: str
) -> None:
    # Sent raw: an HTTP client would escape the NUL, a hand-written request need not.
    body = (
        b'--XX\r\nContent-Disposition: form-data; name="file"; filename="scan\x00\x07.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n" + image("PDF") + b"\r\n--XX--\r\n"
    )
    response = client.post(
        f"/api/v1/transactions/{txn_id}/receipts",
        content=body,
        headers={"content-type": "multipart/form-data; boundary=XX"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["filename"] == "scan.pdf"
    receipts = client.get(f"/api/v1/transactions/{txn_id}").json()["receipts"]
    assert [r["filename"] for r in receipts] == ["scan.pdf"]
