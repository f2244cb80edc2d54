"""Where receipts are kept, as the setting says it: a directory or s3://bucket/prefix."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from ledgerbridge.config import Settings
from ledgerbridge.files.store import S3Location

SHA = "ab" * 32


@pytest.mark.parametrize(
    ("location", "bucket", "key"),
    [
        ("s3://bills", "bills", f"ab/ab/{SHA}"),
        ("s3://bills/", "bills", f"ab/ab/{SHA}"),
        ("s3://bills/acme/receipts/", "bills", f"acme/receipts/ab/ab/{SHA}"),
    ],
)
def test_an_s3_location_names_a_bucket_and_the_key_layout_under_its_prefix(
    location: str, bucket: str, key: str
) -> None:
    found = S3Location.parse(location)
    assert (found.bucket, found.key(SHA)) == (bucket, key)


def test_the_default_store_is_the_data_directory() -> None:
    settings = Settings(data_dir=Path("/srv/lb"))
    assert settings.receipt_store_location == "/srv/lb/receipts"
    assert Settings(receipt_store="s3://bills/x").receipt_store_location == "s3://bills/x"


@pytest.mark.parametrize("location", ["s3://", "s3:///prefix", "gs://bills/x", "https://x/y"])
def test_a_location_that_is_neither_is_refused_when_the_settings_are_read(location: str) -> None:
    with pytest.raises(ValidationError, match="receipt_store"):
        Settings(receipt_store=location)
