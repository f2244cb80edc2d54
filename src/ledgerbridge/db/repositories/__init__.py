"""Repositories: every method takes the company id and reads or writes only its rows.

Repositories never commit; the service that uses them commits its unit of work.
A row of another company is reported exactly like a missing row (``None`` or
``NotFound``), so one company cannot even learn that another's ids exist.
"""

from __future__ import annotations

from ledgerbridge.db.repositories.companies import CompanyRepository
from ledgerbridge.db.repositories.errors import NotFound
from ledgerbridge.db.repositories.transactions import (
    CodingLineLike,
    TransactionFilter,
    TransactionRepository,
    decode_cursor,
    encode_cursor,
)

__all__ = [
    "CodingLineLike",
    "CompanyRepository",
    "NotFound",
    "TransactionFilter",
    "TransactionRepository",
    "decode_cursor",
    "encode_cursor",
]
