"""Both receipt stores (a directory, S3-compatible object storage over real HTTP) keep
bytes under their SHA-256, store the same bytes once, and refuse to hand out bytes that
are not the ones their name says."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from object_store import ObjectStore

from ledgerbridge.files.store import (
    FileSystemReceiptStore,
    ReceiptCorrupted,
    ReceiptStorage,
    ReceiptStoreUnavailable,
    open_receipt_store,
)

RECEIPT = b"%PDF-1.7 a receipt of 12.50 EUR"
OTHER = b"%PDF-1.7 another receipt"


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(params=["directory", "s3"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> ReceiptStorage:
    if kind == "directory":
        return open_receipt_store(str(tmp_path / "receipts"))
    found: ObjectStore = request.getfixturevalue("object_store")
    return open_receipt_store(found.location(), s3_endpoint_url=found.endpoint_url)


def tamper(kind: str, store: ReceiptStorage, sha256: str, data: bytes, request: Any) -> None:
    """Someone (or a failing disk) changes the bytes kept under ``sha256``."""
    if kind == "directory":
        assert isinstance(store, FileSystemReceiptStore)
        (store.root / sha256[:2] / sha256[2:4] / sha256).write_bytes(data)
    else:
        found: ObjectStore = request.getfixturevalue("object_store")
        key = f"receipts/{sha256[:2]}/{sha256[2:4]}/{sha256}"
        found.client.put_object(Bucket=found.bucket, Key=key, Body=data)


def test_bytes_are_kept_under_their_sha256_and_read_back(store: ReceiptStorage) -> None:
    assert not store.exists(digest(RECEIPT))
    assert store.put(RECEIPT) == digest(RECEIPT)
    assert store.exists(digest(RECEIPT))
    assert store.get(digest(RECEIPT)) == RECEIPT
    assert not store.exists(digest(OTHER))


def test_the_same_bytes_twice_are_stored_once(store: ReceiptStorage) -> None:
    first, second = store.store(RECEIPT), store.store(RECEIPT)
    assert (first.written, second.written) == (True, False)
    assert first.sha256 == second.sha256 == store.put(RECEIPT)


def test_an_absent_digest_is_file_not_found(store: ReceiptStorage) -> None:
    with pytest.raises(FileNotFoundError):
        store.get(digest(b"never stored"))
    with pytest.raises(ValueError, match="not a SHA-256"):
        store.get("../../etc/passwd")


def test_bytes_changed_behind_the_store_are_refused_on_read_and_repaired_by_the_next_put(
    kind: str, store: ReceiptStorage, request: pytest.FixtureRequest
) -> None:
    sha256 = store.put(RECEIPT)
    tamper(kind, store, sha256, b"%PDF-1.7 a receipt of 99.50 EUR", request)
    with pytest.raises(ReceiptCorrupted, match=f"damaged.*not the {sha256}"):
        store.get(sha256)
    assert store.store(RECEIPT).written  # the same bytes again put it right
    assert store.get(sha256) == RECEIPT


def test_a_store_that_answers_is_ready(store: ReceiptStorage) -> None:
    store.check()


def test_a_missing_bucket_is_named(object_store: ObjectStore) -> None:
    gone = open_receipt_store("s3://no-such-bucket/x", s3_endpoint_url=object_store.endpoint_url)
    with pytest.raises(ReceiptStoreUnavailable, match="bucket no-such-bucket: not found"):
        gone.check()


def test_an_unwritable_directory_is_named(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a directory")
    store = open_receipt_store(str(tmp_path / "a-file" / "receipts"))
    with pytest.raises(ReceiptStoreUnavailable, match="is not writable"):
        store.check()


def test_objects_are_laid_out_under_the_prefix_like_the_directory(
    object_store: ObjectStore, tmp_path: Path
) -> None:
    s3 = object_store.store("tenant/receipts/")
    local = FileSystemReceiptStore(tmp_path)
    sha256 = s3.put(RECEIPT)
    local.put(RECEIPT)
    layout = f"{sha256[:2]}/{sha256[2:4]}/{sha256}"
    assert object_store.keys() == [f"tenant/receipts/{layout}"]
    assert [str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()] == [layout]


def test_an_upload_damaged_on_the_way_is_not_taken_for_stored(object_store: ObjectStore) -> None:
    store = object_store.store()

    def flip_a_byte(request: Any, **_: Any) -> None:  # between our client and the store
        body = request.body.read() if hasattr(request.body, "read") else request.body
        request.body = bytes([body[0] ^ 1]) + body[1:]

    store.client.meta.events.register("before-send.s3.PutObject", flip_a_byte)
    try:
        # A store that checks Content-MD5 (AWS, MinIO …) refuses such a PUT (BadDigest);
        # moto keeps the bytes, and its ETag (their MD5) shows they are not ours.
        with pytest.raises(ReceiptCorrupted, match="damaged"):
            store.put(RECEIPT)
    finally:
        store.client.meta.events.unregister("before-send.s3.PutObject", flip_a_byte)
    # The next upload of the same bytes writes them whole.
    assert store.store(RECEIPT).written
    assert store.get(digest(RECEIPT)) == RECEIPT


def test_the_directory_lists_only_files_named_by_their_content(tmp_path: Path) -> None:
    store = FileSystemReceiptStore(tmp_path)
    sha256 = store.put(RECEIPT)
    (tmp_path / sha256[:2] / sha256[2:4] / ".upload-abc").write_bytes(b"half a fi")
    (tmp_path / "README").write_text("hello")
    assert [name for name, _ in store.digests()] == [sha256]


def test_reading_from_a_store_that_does_not_answer_says_so(object_store: ObjectStore) -> None:
    """A worker's read during an export: the run waits for the store, the transaction is not
    failed as if its receipt were bad (``ReceiptStoreUnavailable``, not botocore's error)."""
    location = object_store.location("x")
    stored = open_receipt_store(location, s3_endpoint_url=object_store.endpoint_url)
    sha256 = stored.put(b"%PDF-1 bon")
    gone = open_receipt_store(location, s3_endpoint_url="http://127.0.0.1:9")
    with pytest.raises(ReceiptStoreUnavailable, match=f"bucket {object_store.bucket}: unreachable"):
        gone.get(sha256)
