"""Receipt storage, content-addressed by SHA-256.

The same bytes are stored once however often they are uploaded; the database
row (``receipts``) says which transaction a file belongs to. Two adapters: a local
directory (the default) and S3-compatible object storage (AWS S3, MinIO, Ceph, R2 …),
both keeping a file under ``ab/cd/<sha256>``; ``open_receipt_store`` picks one from a
location (a directory path, or ``s3://bucket/prefix``).

Both verify on read: bytes whose SHA-256 is not their name raise ``ReceiptCorrupted``.
Neither ever shows a partial file under a digest: the directory writes aside and
renames, an S3 PUT is atomic and is sent with its ``Content-MD5``, so the store refuses
an upload damaged on the way.
"""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

S3Client = Any  # a boto3 "s3" client (boto3 ships no types)

HEX = frozenset("0123456789abcdef")


class ReceiptCorrupted(Exception):
    """The bytes stored under a digest are not the bytes of that digest."""


class ReceiptStoreUnavailable(Exception):
    """The store does not answer (its reason is the message: short, no secrets)."""


class ReceiptStore(Protocol):
    def put(self, data: bytes) -> str:
        """Store ``data``; return its SHA-256 hex digest. Idempotent."""
        ...

    def get(self, sha256: str) -> bytes:
        """The bytes stored under ``sha256`` (``FileNotFoundError`` if absent,
        ``ReceiptCorrupted`` if they are not that digest's, ``ReceiptStoreUnavailable``
        if the store does not answer)."""
        ...

    def exists(self, sha256: str) -> bool: ...


@dataclass(frozen=True)
class Stored:
    sha256: str
    written: bool  # False: the same bytes were already there


class ReceiptStorage(ReceiptStore, Protocol):
    """A store as the entry points see it: also says whether it answers, and writes
    with a report (for ``ledgerbridge receipts migrate``)."""

    def store(self, data: bytes) -> Stored:
        """Like ``put``, and says whether anything was written."""
        ...

    def check(self) -> None:
        """``ReceiptStoreUnavailable`` unless the store can take a file now (cheap)."""
        ...


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_digest(name: str) -> bool:
    return len(name) == 64 and all(c in HEX for c in name)


def fan_out(sha256: str) -> str:
    """The digest's place in a store: ``ab/cd/abcd…``."""
    if not is_digest(sha256):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


def verified(sha256: str, data: bytes, where: str) -> bytes:
    found = sha256_of(data)
    if found != sha256:
        raise ReceiptCorrupted(
            f"receipt file {where} is damaged: its content has SHA-256 {found}, "
            f"not the {sha256} it is stored under"
        )
    return data


class FileSystemReceiptStore:
    """Files under ``root/ab/cd/abcd…`` (two fan-out levels keep directories small)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def __repr__(self) -> str:
        return f"FileSystemReceiptStore({str(self.root)!r})"

    def _path(self, sha256: str) -> Path:
        return self.root / fan_out(sha256)

    def put(self, data: bytes) -> str:
        return self.store(data).sha256

    def store(self, data: bytes) -> Stored:
        digest = sha256_of(data)
        path = self._path(digest)
        if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
            return Stored(digest, written=False)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write aside and rename, so a crash never leaves a half file under the digest
        # (and a damaged one is replaced whole).
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return Stored(digest, written=True)

    def get(self, sha256: str) -> bytes:
        path = self._path(sha256)
        return verified(sha256, path.read_bytes(), str(path))

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).is_file()

    def check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=self.root, prefix=".ready-"):
                pass
        except OSError as error:
            raise ReceiptStoreUnavailable(
                f"directory {self.root} is not writable ({error.strerror or error})"
            ) from error

    def digests(self) -> Iterator[tuple[str, Path]]:
        """Every file kept here as (its name, its path), in name order; files written
        aside (``.upload-…``) and anything not named by a digest are left out."""
        for first in sorted(p for p in self.root.iterdir() if p.is_dir()):
            for second in sorted(p for p in first.iterdir() if p.is_dir()):
                for path in sorted(second.iterdir()):
                    name = path.name
                    if (
                        is_digest(name)
                        and path.is_file()
                        and fan_out(name) == (f"{first.name}/{second.name}/{name}")
                    ):
                        yield name, path


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str  # without slashes at either end; "" for the bucket's root

    @classmethod
    def parse(cls, location: str) -> S3Location:
        """``s3://bucket`` or ``s3://bucket/some/prefix`` (a ``ValueError`` otherwise)."""
        if not location.startswith("s3://"):
            raise ValueError(f"not an s3:// location: {location!r}")
        bucket, _, prefix = location.removeprefix("s3://").partition("/")
        if not bucket:
            raise ValueError(f"no bucket in {location!r} (expected s3://bucket/prefix)")
        return cls(bucket, prefix.strip("/"))

    def key(self, sha256: str) -> str:
        path = fan_out(sha256)
        return f"{self.prefix}/{path}" if self.prefix else path

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"


def _error_code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _status(error: Exception) -> int:
    response = getattr(error, "response", None) or {}
    return int(response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


def _missing(error: Exception) -> bool:
    return _error_code(error) in {"404", "NoSuchKey", "NotFound"} or _status(error) == 404


def _reason(error: Exception) -> str:
    """A store's failure in short words, naming no host or credential."""
    code, status = _error_code(error), _status(error)
    if _missing(error) or code == "NoSuchBucket":
        return "not found"
    if status == 403 or code in {"403", "AccessDenied", "Forbidden"}:
        return "access denied"
    return f"answered {status}" if status else "unreachable"


def _etag_is(answer: dict[str, Any], md5_hex: str) -> bool:
    return str(answer.get("ETag", "")).strip('"').lower() == md5_hex


class S3ReceiptStore:
    """Objects ``prefix/ab/cd/abcd…`` in one bucket of an S3-compatible store."""

    def __init__(self, client: S3Client, location: S3Location) -> None:
        self.client = client
        self.location = location

    def __repr__(self) -> str:
        return f"S3ReceiptStore({str(self.location)!r})"

    def put(self, data: bytes) -> str:
        return self.store(data).sha256

    def store(self, data: bytes) -> Stored:
        digest = sha256_of(data)
        md5 = hashlib.md5(data, usedforsecurity=False)
        key = self.location.key(digest)
        if self._holds(key, md5.hexdigest(), digest, len(data)):
            return Stored(digest, written=False)
        # One PUT: the object appears whole or not at all. Content-MD5 makes the store
        # refuse bytes damaged on the way (AWS, MinIO, Ceph, R2 check it).
        answer = self.client.put_object(
            Bucket=self.location.bucket,
            Key=key,
            Body=data,
            ContentMD5=base64.b64encode(md5.digest()).decode("ascii"),
            ContentType="application/octet-stream",
        )
        # A store that does not check it says so in the ETag (the MD5 of what it kept);
        # an ETag of another kind (SSE-KMS) costs a read to be sure.
        if not _etag_is(answer, md5.hexdigest()):
            self.get(digest)  # ReceiptCorrupted when it kept other bytes
        return Stored(digest, written=True)

    def _holds(self, key: str, md5_hex: str, sha256: str, size: int) -> bool:
        """The object is there with these bytes: a HEAD, whose ETag is the MD5 of a plain
        PUT; an ETag of another kind (multipart, SSE-KMS) costs a read to be sure."""
        try:
            head = self.client.head_object(Bucket=self.location.bucket, Key=key)
        except Exception as error:
            if _missing(error):
                return False
            raise
        if int(head.get("ContentLength", -1)) != size:
            return False
        if _etag_is(head, md5_hex):
            return True
        try:
            self.get(sha256)
        except ReceiptCorrupted:
            return False
        return True

    def get(self, sha256: str) -> bytes:
        key = self.location.key(sha256)
        try:
            answer = self.client.get_object(Bucket=self.location.bucket, Key=key)
        except Exception as error:
            if _missing(error):
                raise FileNotFoundError(f"{self.location.bucket}/{key}") from None
            raise ReceiptStoreUnavailable(
                f"bucket {self.location.bucket}: {_reason(error)}"
            ) from error
        data: bytes = answer["Body"].read()
        return verified(sha256, data, f"s3://{self.location.bucket}/{key}")

    def exists(self, sha256: str) -> bool:
        try:
            self.client.head_object(Bucket=self.location.bucket, Key=self.location.key(sha256))
        except Exception as error:
            if _missing(error):
                return False
            raise
        return True

    def check(self) -> None:
        """A HEAD on the bucket."""
        try:
            self.client.head_bucket(Bucket=self.location.bucket)
        except Exception as error:
            reason = _reason(error)
            raise ReceiptStoreUnavailable(f"bucket {self.location.bucket}: {reason}") from error


def s3_client(*, endpoint_url: str | None = None, region: str | None = None) -> S3Client:
    """An S3 client; credentials from boto3's usual chain (``AWS_ACCESS_KEY_ID`` /
    ``AWS_SECRET_ACCESS_KEY``, a profile, an instance role).

    With an ``endpoint_url`` (MinIO, Ceph, R2 …) buckets are addressed by path, which
    every S3-compatible store understands, and checksums are sent only where required
    (our own ``Content-MD5`` is), since not every such store knows the newer ones.
    """
    import boto3
    from botocore.config import Config

    region = region or os.environ.get("AWS_REGION") or None  # botocore reads only the _DEFAULT_
    config = Config(
        connect_timeout=5,
        read_timeout=30,
        retries={"max_attempts": 3, "mode": "standard"},
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        s3={"addressing_style": "path"} if endpoint_url else {},
    )
    session = boto3.session.Session()
    return session.client("s3", endpoint_url=endpoint_url, region_name=region, config=config)


def open_receipt_store(location: str, *, s3_endpoint_url: str | None = None) -> ReceiptStorage:
    """The store at ``location``: ``s3://bucket/prefix``, else a directory path."""
    if location.startswith("s3://"):
        return S3ReceiptStore(s3_client(endpoint_url=s3_endpoint_url), S3Location.parse(location))
    if "://" in location:
        raise ValueError(f"receipt store {location!r}: expected a directory or s3://bucket/prefix")
    return FileSystemReceiptStore(Path(location))
