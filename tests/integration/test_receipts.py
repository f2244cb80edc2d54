"""Receipts: accepted by what the bytes are, not by the name; size limits; several each."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from auth_headers import bearer
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import Engine, select, update
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ledgerbridge.bootstrap import Container
from ledgerbridge.config import Settings
from ledgerbridge.db.models.core import AuditLogRow, TransactionRow
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
    with TestClient(create_app(container), headers=bearer(session_factory, "acme")) as test_client:
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
    for name, data in (("a.png", png), ("b.png", image("PNG", (41, 30))), ("c.jpg", image("JPEG"))):
        upload(client, txn_id, name, data)
    detail = client.get(f"/api/v1/transactions/{txn_id}").json()
    assert [r["filename"] for r in detail["receipts"]] == ["a.png", "b.png", "c.jpg"]
    assert detail["has_receipt"] is True
    second = {"external_id": "r-2", "booking_date": "2026-11-03", "amount": "-1", "currency": "EUR"}
    posted = client.post("/api/v1/transactions", json={"transactions": [second]}).json()
    assert upload(client, posted["items"][0]["id"], "same.png", png).status_code == 201
    stored = [p for p in (tmp_path / "receipts").rglob("*") if p.is_file()]
    assert len(stored) == 3
    listed = client.get("/api/v1/transactions", params={"has_receipt": "true"}).json()
    assert [t["external_id"] for t in listed["items"]] == ["r-2", "r-1"]


def test_another_company_cannot_attach_a_receipt(
    client: TestClient, txn_id: str, session_factory: sessionmaker[Session]
) -> None:
    response = upload(client, txn_id, "a.png", image("PNG"), **bearer(session_factory, "other"))
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


def receipts_url(txn_id: str, *rest: str) -> str:
    return "/".join([f"/api/v1/transactions/{txn_id}/receipts", *rest])


@pytest.mark.parametrize(
    ("given", "kept"),
    [("../../etc/passwd", "passwd"), ("C:\\x\\y.pdf", "y.pdf"), ("..", "receipt")],
)
def test_a_file_name_with_path_parts_is_kept_as_its_base_name(
    client: TestClient, txn_id: str, given: str, kept: str
) -> None:
    response = upload(client, txn_id, given, image("PNG"))
    assert response.status_code == 201, response.text
    assert response.json()["filename"] == kept


def test_the_same_file_again_on_the_same_transaction_returns_the_existing_receipt(
    client: TestClient, txn_id: str
) -> None:
    png = image("PNG")
    first = upload(client, txn_id, "a.png", png)
    assert first.status_code == 201
    assert first.json()["duplicate"] is False
    again = upload(client, txn_id, "renamed.png", png)
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["filename"] == "a.png"
    listed = client.get(receipts_url(txn_id)).json()
    assert [r["id"] for r in listed["items"]] == [first.json()["id"]]


def test_a_receipt_is_listed_downloaded_and_removed_with_an_audit_row(
    client: TestClient, txn_id: str, session_factory: sessionmaker[Session]
) -> None:
    png = image("PNG")
    receipt_id = upload(client, txn_id, "bon.png", png).json()["id"]
    listed = client.get(receipts_url(txn_id)).json()["items"]
    assert [(r["id"], r["filename"], r["content_type"]) for r in listed] == [
        (receipt_id, "bon.png", "image/png")
    ]
    download = client.get(receipts_url(txn_id, receipt_id, "file"))
    assert download.status_code == 200
    assert download.content == png
    assert download.headers["content-type"] == "image/png"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-disposition"] == (
        "attachment; filename=\"bon.png\"; filename*=UTF-8''bon.png"
    )
    removed = client.delete(receipts_url(txn_id, receipt_id))
    assert removed.status_code == 204
    assert client.get(receipts_url(txn_id)).json()["items"] == []
    assert client.get(receipts_url(txn_id, receipt_id, "file")).status_code == 404
    assert client.delete(receipts_url(txn_id, receipt_id)).status_code == 404
    with session_factory() as session:
        rows = session.scalars(
            select(AuditLogRow).where(AuditLogRow.action == "receipt.removed")
        ).all()
    assert [(r.actor, r.details["receipt_id"], r.details["filename"]) for r in rows] == [
        ("api-key:test admin", receipt_id, "bon.png")
    ]


def test_a_download_name_is_encoded_safely_for_the_header(client: TestClient, txn_id: str) -> None:
    # An ASCII fallback without quotes, semicolons or non-ASCII, and the exact name per RFC 5987.
    receipt_id = upload(client, txn_id, "bon café;100%.png", image("PNG")).json()["id"]
    download = client.get(receipts_url(txn_id, receipt_id, "file"))
    assert download.headers["content-disposition"] == (
        "attachment; filename=\"bon caf__100_.png\"; filename*=UTF-8''bon%20caf%C3%A9%3B100%25.png"
    )


def test_a_receipt_of_an_exported_transaction_cannot_be_removed(
    client: TestClient, txn_id: str, session_factory: sessionmaker[Session]
) -> None:
    receipt_id = upload(client, txn_id, "bon.png", image("PNG")).json()["id"]
    with session_factory() as session:
        session.execute(
            update(TransactionRow)
            .where(TransactionRow.id == uuid.UUID(txn_id))
            .values(status="exported")
        )
        session.commit()
    refused = client.delete(receipts_url(txn_id, receipt_id))
    assert refused.status_code == 409
    assert "exported" in refused.json()["detail"]
    assert len(client.get(receipts_url(txn_id)).json()["items"]) == 1


def test_another_company_can_neither_list_nor_download_nor_remove(
    client: TestClient, txn_id: str, session_factory: sessionmaker[Session]
) -> None:
    receipt_id = upload(client, txn_id, "bon.png", image("PNG")).json()["id"]
    other = bearer(session_factory, "other")
    assert client.get(receipts_url(txn_id), headers=other).status_code == 404
    file_url = receipts_url(txn_id, receipt_id, "file")
    assert client.get(file_url, headers=other).status_code == 404
    assert client.delete(receipts_url(txn_id, receipt_id), headers=other).status_code == 404
    assert client.get(file_url).status_code == 200


def test_a_receipt_is_only_found_under_its_own_transaction(client: TestClient, txn_id: str) -> None:
    receipt_id = upload(client, txn_id, "bon.png", image("PNG")).json()["id"]
    item = {"external_id": "r-9", "booking_date": "2026-11-02", "amount": "-1", "currency": "EUR"}
    posted = client.post("/api/v1/transactions", json={"transactions": [item]}).json()
    elsewhere = posted["items"][0]["id"]
    assert client.get(receipts_url(elsewhere, receipt_id, "file")).status_code == 404
    assert client.delete(receipts_url(elsewhere, receipt_id)).status_code == 404


def test_the_receipt_filters_follow_uploads_and_removals(client: TestClient, txn_id: str) -> None:
    def listed(has: str) -> list[str]:
        found = client.get("/api/v1/transactions", params={"has_receipt": has}).json()
        return [t["external_id"] for t in found["items"]]

    assert (listed("true"), listed("false")) == ([], ["r-1"])
    first = upload(client, txn_id, "a.png", image("PNG")).json()["id"]
    second = upload(client, txn_id, "b.jpg", image("JPEG")).json()["id"]
    assert (listed("true"), listed("false")) == (["r-1"], [])
    client.delete(receipts_url(txn_id, first))
    assert listed("true") == ["r-1"]
    client.delete(receipts_url(txn_id, second))
    assert (listed("true"), listed("false")) == ([], ["r-1"])
