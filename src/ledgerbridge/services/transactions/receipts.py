"""Attaching receipt files to transactions.

The file type is decided by the bytes, never by the file name or the
client's content type: a ``.pdf`` that is really an executable is refused.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from pathlib import PurePath

import filetype

from ledgerbridge.db.models.core import ReceiptRow, TransactionRow
from ledgerbridge.db.repositories import NotFound
from ledgerbridge.domain.export_status import ExportStatus
from ledgerbridge.files.store import ReceiptStore
from ledgerbridge.services.errors import (
    ConflictError,
    NotFoundError,
    ServiceError,
    TooLarge,
    UnsupportedContent,
)
from ledgerbridge.services.ports import UnitOfWork
from ledgerbridge.services.transactions.query import ReceiptView

ACCEPTED = {
    "application/pdf": "PDF",
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/heic": "HEIC",
    "image/webp": "WebP",
    "image/gif": "GIF",
}


class ReceiptRefused(ServiceError):
    """The file cannot be a receipt."""


class ReceiptTooLarge(ReceiptRefused, TooLarge):
    """Above the configured receipt size limit."""


class UnsupportedReceiptType(ReceiptRefused, UnsupportedContent):
    """Not a PDF or an image type Exact shows (judged by content, not by name)."""


class ReceiptLocked(ConflictError):
    """The transaction is booked in Exact; its receipts no longer change here."""


@dataclass(frozen=True, slots=True)
class ReceiptAdded:
    id: uuid.UUID
    transaction_id: uuid.UUID
    sha256: str
    filename: str
    content_type: str
    size_bytes: int
    warning: str | None = None
    duplicate: bool = False  # these bytes were already attached: this is that receipt


@dataclass(frozen=True, slots=True)
class ReceiptFile:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class ReceiptLimits:
    max_bytes: int
    warn_bytes: int


# HEVC brands of HEIC photos; filetype knows only "heic", but Android phones write "heix".
HEIC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"})


def _is_heic(data: bytes) -> bool:
    """An ISO-BMFF file whose ``ftyp`` box names a HEVC image brand (major or compatible)."""
    if data[4:8] != b"ftyp":
        return False
    box = data[8 : min(int.from_bytes(data[:4], "big"), 256)]
    return any(box[i : i + 4] in HEIC_BRANDS for i in range(0, len(box), 4))


def detect_type(data: bytes, filename: str) -> str:
    """The MIME type of an accepted receipt, from its content; ``UnsupportedReceiptType``."""
    if _is_heic(data):
        return "image/heic"
    kind = filetype.guess(data[:8192])
    if kind is None or kind.mime not in ACCEPTED:
        found = "unrecognised content" if kind is None else f"{kind.mime} content"
        allowed = ", ".join(ACCEPTED.values())
        raise UnsupportedReceiptType(
            f"{filename!r} is not a receipt file we accept ({found}); "
            f"send one of: {allowed}. The type is read from the file's content, not its name."
        )
    return str(kind.mime)


def check_size(
    size: int, filename: str, limits: ReceiptLimits, *, real_size: int | None = None
) -> str | None:
    """A warning above ``warn_bytes``; ``ReceiptTooLarge`` above ``max_bytes``.

    ``size`` is what was read, which stops one byte past the limit; ``real_size``
    is the whole file's size when the caller knows it. Without it a file past
    the limit is only known to be over it, and the message says just that.
    """
    if size == 0:
        raise UnsupportedReceiptType(f"{filename!r} is empty")
    limit = f"{limits.max_bytes / 1_048_576:.1f} MB"
    if real_size is not None and real_size > limits.max_bytes:
        raise ReceiptTooLarge(
            f"{filename!r} is {real_size / 1_048_576:.1f} MB; the limit is {limit}"
        )
    if size > limits.max_bytes:
        raise ReceiptTooLarge(f"{filename!r} is over {limit}, the limit for a receipt")
    if size > limits.warn_bytes:
        return (
            f"{filename!r} is {size / 1_048_576:.1f} MB; Exact Online may refuse attachments "
            f"above {limits.warn_bytes / 1_048_576:.0f} MB, so the push to Exact may fail"
        )
    return None


# Control characters are no part of a name a person gave (and PostgreSQL cannot store a NUL).
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def receipt_name(filename: str) -> str:
    """The name a receipt is kept under: no folders, no control characters, 255 at most."""
    cleaned = _CONTROL_CHARACTERS.sub("", filename).replace("\\", "/")
    name = PurePath(cleaned).name[:255].strip()
    return "receipt" if name in {"", ".", ".."} else name


def add_receipt(
    uow: UnitOfWork,
    store: ReceiptStore,
    company_id: uuid.UUID,
    transaction_id: uuid.UUID,
    data: bytes,
    filename: str,
    *,
    actor: str,
    limits: ReceiptLimits,
    real_size: int | None = None,
) -> ReceiptAdded:
    """Store the file and attach it to the transaction (several per transaction allowed).

    The same bytes again on the same transaction add nothing: the receipt that
    has them is returned with ``duplicate=True``.

    Raises ``ReceiptTooLarge``, ``UnsupportedReceiptType`` or ``NotFoundError``
    (transaction not this company's); nothing is recorded then. ``data`` may be
    cut off one byte past the limit; ``real_size`` is the whole file's size if known.
    The bytes are stored before the commit: a failed commit leaves an unreferenced
    file, which is harmless because the store is content-addressed (the same upload
    again reuses it) — never a row pointing at a missing file.
    """
    name = receipt_name(filename)
    warning = check_size(len(data), name, limits, real_size=real_size)
    content_type = detect_type(data, name)
    with uow:
        repo = uow.transactions
        _require_transaction(uow, company_id, transaction_id)
        known = repo.receipt_with_sha256(
            company_id, transaction_id, hashlib.sha256(data).hexdigest()
        )
        if known is not None:
            return ReceiptAdded(
                known.id,
                transaction_id,
                known.sha256,
                known.filename,
                known.content_type,
                known.size_bytes,
                warning,
                duplicate=True,
            )
        sha256 = store.put(data)
        row = repo.add_receipt(
            company_id,
            transaction_id,
            sha256=sha256,
            filename=name,
            content_type=content_type,
            size_bytes=len(data),
            uploaded_by=actor,
        )
        uow.audit.record(
            action="receipt.added",
            actor=actor,
            company_id=company_id,
            subject_type="transaction",
            subject_id=transaction_id,
            details={"receipt_id": str(row.id), "filename": name, "size_bytes": len(data)},
        )
        uow.commit()
    return ReceiptAdded(row.id, transaction_id, sha256, name, content_type, len(data), warning)


def _require_transaction(
    uow: UnitOfWork, company_id: uuid.UUID, transaction_id: uuid.UUID
) -> TransactionRow:
    try:
        return uow.transactions.require(company_id, transaction_id)
    except NotFound:
        raise NotFoundError(f"transaction {transaction_id} not found") from None


def _require_receipt(
    uow: UnitOfWork, company_id: uuid.UUID, transaction_id: uuid.UUID, receipt_id: uuid.UUID
) -> ReceiptRow:
    row = uow.transactions.receipt(company_id, receipt_id)
    if row is None or row.transaction_id != transaction_id:
        raise NotFoundError(f"receipt {receipt_id} not found on transaction {transaction_id}")
    return row


def list_receipts(
    uow: UnitOfWork, company_id: uuid.UUID, transaction_id: uuid.UUID
) -> list[ReceiptView]:
    """The transaction's receipts, oldest first; ``NotFoundError`` if not this company's."""
    with uow:
        _require_transaction(uow, company_id, transaction_id)
        rows = uow.transactions.receipts(company_id, transaction_id)
        return [
            ReceiptView(
                r.id,
                r.filename,
                r.content_type,
                r.size_bytes,
                r.sha256,
                r.uploaded_by,
                r.created_at,
            )
            for r in rows
        ]


def receipt_file(
    uow: UnitOfWork,
    store: ReceiptStore,
    company_id: uuid.UUID,
    transaction_id: uuid.UUID,
    receipt_id: uuid.UUID,
) -> ReceiptFile:
    """The stored bytes of one receipt of the transaction; ``NotFoundError`` otherwise."""
    with uow:
        row = _require_receipt(uow, company_id, transaction_id, receipt_id)
        name, content_type, sha256 = row.filename, row.content_type, row.sha256
    try:
        data = store.get(sha256)
    except FileNotFoundError:
        raise NotFoundError(f"the file of receipt {receipt_id} is missing from the store") from None
    return ReceiptFile(name, content_type, data)


def remove_receipt(
    uow: UnitOfWork,
    company_id: uuid.UUID,
    transaction_id: uuid.UUID,
    receipt_id: uuid.UUID,
    *,
    actor: str,
) -> None:
    """Detach the receipt (audited). ``ReceiptLocked`` once the transaction is exported;
    ``NotFoundError`` unless the receipt is this company's, on this transaction.

    The stored file is kept: the store is content-addressed and other receipts may
    share the bytes.
    """
    with uow:
        transaction = _require_transaction(uow, company_id, transaction_id)
        row = _require_receipt(uow, company_id, transaction_id, receipt_id)
        if ExportStatus(transaction.status).is_final:
            raise ReceiptLocked(
                f"transaction {transaction_id} is exported to Exact Online; "
                "its receipts can no longer be removed here"
            )
        details = {"receipt_id": str(row.id), "filename": row.filename, "sha256": row.sha256}
        uow.transactions.remove_receipt(company_id, transaction_id, receipt_id)
        uow.audit.record(
            action="receipt.removed",
            actor=actor,
            company_id=company_id,
            subject_type="transaction",
            subject_id=transaction_id,
            details=details,
        )
        uow.commit()
