"""What a test sees of its S3 bucket (moto's server, see conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledgerbridge.files.store import S3Location, S3ReceiptStore

REGION = "eu-west-1"


@dataclass
class ObjectStore:
    endpoint_url: str
    bucket: str
    client: Any  # a boto3 s3 client on the same server, for looking behind our back

    def location(self, prefix: str = "receipts") -> str:
        return f"s3://{self.bucket}/{prefix}" if prefix else f"s3://{self.bucket}"

    def store(self, prefix: str = "receipts") -> S3ReceiptStore:
        return S3ReceiptStore(self.client, S3Location.parse(self.location(prefix)))

    def keys(self) -> list[str]:
        listed = self.client.list_objects_v2(Bucket=self.bucket)
        return sorted(item["Key"] for item in listed.get("Contents", []))
