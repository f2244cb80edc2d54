"""``ledgerbridge receipts migrate``: a local receipt directory copied into object storage,
safe to stop and to run again."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from object_store import ObjectStore
from typer.testing import CliRunner, Result

from ledgerbridge.cli import app
from ledgerbridge.config import get_settings
from ledgerbridge.files.migrate import Outcome, copy_receipts
from ledgerbridge.files.store import FileSystemReceiptStore, open_receipt_store

FILES = [f"%PDF-1.7 receipt number {n}".encode() for n in range(7)]


@pytest.fixture
def local(tmp_path: Path) -> FileSystemReceiptStore:
    """A store as ``ledgerbridge run`` leaves it in DATA_DIR/receipts."""
    store = FileSystemReceiptStore(tmp_path / "receipts")
    for data in FILES:
        store.put(data)
    return store


@pytest.fixture
def endpoint(object_store: ObjectStore, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("LEDGERBRIDGE_S3_ENDPOINT_URL", object_store.endpoint_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def migrate(source: Path, target: str) -> Result:
    args = ["receipts", "migrate", "--from", str(source), "--to", target]
    return CliRunner().invoke(app, args, terminal_width=200)


def counts(result: Result) -> tuple[int, int, int]:
    found = re.search(r"copied (\d+), already there (\d+), failed (\d+)", result.output)
    assert found is not None, result.output
    copied, there, failed = (int(n) for n in found.groups())
    return copied, there, failed


def test_a_local_store_is_copied_and_a_second_run_copies_nothing(
    local: FileSystemReceiptStore, object_store: ObjectStore, endpoint: None
) -> None:
    first = migrate(local.root, object_store.location())
    assert first.exit_code == 0, first.output
    assert counts(first) == (7, 0, 0)
    s3 = open_receipt_store(object_store.location(), s3_endpoint_url=object_store.endpoint_url)
    for data in FILES:
        assert s3.get(hashlib.sha256(data).hexdigest()) == data
    assert len(object_store.keys()) == 7
    again = migrate(local.root, object_store.location())
    assert again.exit_code == 0, again.output
    assert counts(again) == (0, 7, 0)


class Interrupted(Exception):
    pass


def test_a_run_stopped_midway_is_resumed_by_the_next(
    local: FileSystemReceiptStore, object_store: ObjectStore, endpoint: None
) -> None:
    def stop_after_three(_: str, outcome: Outcome) -> None:
        seen.append(outcome)
        if len(seen) == 3:
            raise Interrupted  # Ctrl-C, a killed pod, a lost network …

    seen: list[Outcome] = []
    with pytest.raises(Interrupted):
        copy_receipts(local, object_store.store(), after_each=stop_after_three)
    assert seen == ["copied"] * 3 and len(object_store.keys()) == 3
    resumed = migrate(local.root, object_store.location())
    assert resumed.exit_code == 0, resumed.output
    assert counts(resumed) == (4, 3, 0)
    assert counts(migrate(local.root, object_store.location())) == (0, 7, 0)


def test_failures_are_counted_named_and_retried_by_the_next_run(
    local: FileSystemReceiptStore, object_store: ObjectStore, endpoint: None
) -> None:
    damaged = hashlib.sha256(FILES[2]).hexdigest()
    path = local.root / damaged[:2] / damaged[2:4] / damaged
    path.write_bytes(b"bit rot")
    failed = migrate(local.root, object_store.location())
    assert failed.exit_code == 1
    assert counts(failed) == (6, 0, 1)
    assert f"failed {damaged}: the local file" in failed.output
    assert "damaged" in failed.output and "run the command again" in failed.output
    path.write_bytes(FILES[2])  # restored from a backup
    fixed = migrate(local.root, object_store.location())
    assert fixed.exit_code == 0, fixed.output
    assert counts(fixed) == (1, 6, 0)


def test_an_object_with_other_bytes_under_the_name_is_copied_again(
    local: FileSystemReceiptStore, object_store: ObjectStore, endpoint: None
) -> None:
    assert migrate(local.root, object_store.location()).exit_code == 0
    sha256 = hashlib.sha256(FILES[0]).hexdigest()
    key = f"receipts/{sha256[:2]}/{sha256[2:4]}/{sha256}"
    object_store.client.put_object(Bucket=object_store.bucket, Key=key, Body=b"truncat")
    again = migrate(local.root, object_store.location())
    assert counts(again) == (1, 6, 0)
    assert object_store.store().get(sha256) == FILES[0]


def test_a_bucket_that_does_not_answer_stops_before_copying(
    local: FileSystemReceiptStore, object_store: ObjectStore, endpoint: None
) -> None:
    missing = migrate(local.root, "s3://no-such-bucket/receipts")
    assert missing.exit_code == 1
    assert "Cannot copy to s3://no-such-bucket/receipts" in missing.output
    assert "bucket no-such-bucket: not found" in missing.output
    assert object_store.keys() == []
