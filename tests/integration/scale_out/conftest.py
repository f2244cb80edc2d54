"""An S3-compatible server for the tests: moto's server mode over real HTTP on a free
port of 127.0.0.1, started once per test session; each test gets a bucket of its own."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from moto.server import ThreadedMotoServer
from object_store import REGION, ObjectStore

from ledgerbridge.files.store import s3_client


@pytest.fixture(scope="session")
def s3_endpoint_url() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """The standard AWS variables, as a deployment sets them (boto3 reads them itself)."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_REGION", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test-key-id")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
    monkeypatch.setenv("AWS_REGION", REGION)


@pytest.fixture
def object_store(s3_endpoint_url: str, s3_credentials: None) -> ObjectStore:
    client = s3_client(endpoint_url=s3_endpoint_url)
    bucket = f"receipts-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    return ObjectStore(s3_endpoint_url, bucket, client)
