"""The app with ``LEDGERBRIDGE_RECEIPT_STORE=s3://…``: a receipt uploaded through the API
lands in the bucket (not on the node's disk) and is read back from it, by this node and
by another one."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from auth_headers import bearer
from fastapi.testclient import TestClient
from object_store import ObjectStore
from PIL import Image
from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from ledgerbridge.bootstrap import Container
from ledgerbridge.config import Settings
from ledgerbridge.db.repositories import CompanyRepository
from ledgerbridge.db.uow import UnitOfWork
from ledgerbridge.files.store import S3ReceiptStore
from ledgerbridge.web.app import create_app


def node(
    data_dir: Path, database_url: URL, engine: Engine, session_factory: sessionmaker[Session]
) -> Container:
    """An app node whose settings come from the environment, like a deployment's."""
    settings = Settings(data_dir=data_dir, demo=False, sandbox_enabled=False, run_worker=False)
    return Container(settings, database_url, engine, session_factory)


@pytest.fixture
def nodes(
    tmp_path: Path,
    database_url: URL,
    engine: Engine,
    session_factory: sessionmaker[Session],
    object_store: ObjectStore,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[TestClient, TestClient]]:
    monkeypatch.setenv("LEDGERBRIDGE_RECEIPT_STORE", object_store.location("prod/receipts"))
    monkeypatch.setenv("LEDGERBRIDGE_S3_ENDPOINT_URL", object_store.endpoint_url)
    with UnitOfWork(session_factory) as uow:
        CompanyRepository(uow.session).add("acme", "Acme B.V.")
        uow.commit()
    headers = bearer(session_factory, "acme")
    a = node(tmp_path / "a", database_url, engine, session_factory)
    b = node(tmp_path / "b", database_url, engine, session_factory)
    with (
        TestClient(create_app(a), headers=headers) as client_a,
        TestClient(create_app(b), headers=headers) as client_b,
    ):
        yield client_a, client_b


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(out, format="PNG")
    return out.getvalue()


def test_a_receipt_uploaded_on_one_node_is_in_the_bucket_and_read_back_on_another(
    nodes: tuple[TestClient, TestClient], object_store: ObjectStore, tmp_path: Path
) -> None:
    a, b = nodes
    assert isinstance(a.app.state.container.receipts, S3ReceiptStore)  # type: ignore[attr-defined]
    item = {"external_id": "s3-1", "booking_date": "2026-11-02", "amount": "-9.99",
            "currency": "EUR"}  # fmt: skip
    txn = a.post("/api/v1/transactions", json={"transactions": [item]}).json()["items"][0]["id"]
    data = png()
    sha256 = hashlib.sha256(data).hexdigest()
    files = {"file": ("bon.png", data, "application/octet-stream")}
    added = a.post(f"/api/v1/transactions/{txn}/receipts", files=files)
    assert added.status_code == 201, added.text
    assert added.json()["sha256"] == sha256
    assert object_store.keys() == [f"prod/receipts/{sha256[:2]}/{sha256[2:4]}/{sha256}"]
    assert not any(p.is_file() for p in tmp_path.rglob("*"))  # nothing on either node's disk
    receipt_id = added.json()["id"]
    for client in (a, b):
        got = client.get(f"/api/v1/transactions/{txn}/receipts/{receipt_id}/file")
        assert got.status_code == 200
        assert got.content == data and got.headers["content-type"] == "image/png"
    again = b.post(f"/api/v1/transactions/{txn}/receipts", files=files)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert len(object_store.keys()) == 1
