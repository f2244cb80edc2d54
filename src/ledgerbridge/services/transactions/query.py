"""Use case: read a company's transactions — one page of a listing, or one in detail.

Read-only: each function runs in the unit of work it is given and never
commits. What it returns are plain frozen values, safe to use after the unit
of work has closed (its rows are expired then).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from ledgerbridge.db.repositories import TransactionFilter, encode_cursor
from ledgerbridge.services.errors import InvalidRequest
from ledgerbridge.services.ports import UnitOfWork

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = [
    "COUNT_CAP",
    "CodingLineView",
    "InvalidCursor",
    "ReceiptView",
    "TransactionDetail",
    "TransactionFilter",
    "TransactionPage",
    "TransactionView",
    "get_transaction",
    "list_transactions",
    "status_counts",
]
View = TypeVar("View", bound="DataclassInstance")


class InvalidCursor(InvalidRequest):
    """The cursor was not a ``next_cursor`` of an earlier page."""


@dataclass(frozen=True, slots=True)
class TransactionView:
    """One stored transaction as the finance user sees it (signed: money out < 0)."""

    id: uuid.UUID
    external_id: str
    kind: str
    booking_date: date
    settlement_date: date | None
    merchant_name: str
    merchant_country: str | None
    mcc: str | None
    cardholder: str
    card_last4: str | None
    description: str
    amount: Decimal
    currency: str
    original_amount: Decimal
    original_currency: str
    fx_rate: Decimal | None
    status: str
    status_reason: str | None
    created_at: datetime
    updated_at: datetime
    has_receipt: bool
    note: str = ""
    rule_id: uuid.UUID | None = None  # the rule that set the coding (None: by hand or none)
    # The user chose to post in the first open period (the date's period is closed).
    post_in_first_open_period: bool = False


@dataclass(frozen=True, slots=True)
class CodingLineView:
    position: int
    gl_account: str | None
    vat_code: str | None
    cost_center: str | None
    cost_unit: str | None
    project: str | None
    amount: Decimal
    description: str


@dataclass(frozen=True, slots=True)
class ReceiptView:
    id: uuid.UUID
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_by: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class TransactionPage:
    """Newest first; ``next_cursor`` continues the listing (``None`` on the last page)."""

    items: list[TransactionView]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class TransactionDetail:
    transaction: TransactionView
    coding_lines: list[CodingLineView]
    receipts: list[ReceiptView]


def list_transactions(
    uow: UnitOfWork,
    company_id: uuid.UUID,
    filters: TransactionFilter,
    limit: int,
    cursor: str | None = None,
) -> TransactionPage:
    """Up to ``limit`` of the company's transactions matching ``filters``, after ``cursor``.

    Raises ``InvalidCursor`` for a cursor that no earlier page handed out.
    """
    with uow:
        repo = uow.transactions
        try:
            # One row more than asked tells whether another page follows.
            rows = repo.page(company_id, filters, limit=limit + 1, cursor=cursor)
        except ValueError as error:
            raise InvalidCursor(str(error)) from None
        page = rows[:limit]
        with_receipt = repo.with_receipts(company_id, [r.id for r in page])
        items = [_copy(TransactionView, r, has_receipt=r.id in with_receipt) for r in page]
        next_cursor = encode_cursor(page[-1]) if len(rows) > limit else None
    return TransactionPage(items, next_cursor)


# Tab counts stop at this many ("10,000+"): exact beyond it would mean counting every row
# of a million-row company on each page view. It is also the largest bulk selection.
COUNT_CAP = 10_000


def status_counts(
    uow: UnitOfWork, company_id: uuid.UUID, filters: TransactionFilter
) -> dict[str, int]:
    """Per export status, how many transactions match ``filters`` (its status ignored),
    up to ``COUNT_CAP`` (a count of ``COUNT_CAP`` means "that many or more")."""
    with uow:
        return uow.transactions.status_counts(company_id, filters, cap=COUNT_CAP)


def get_transaction(
    uow: UnitOfWork, company_id: uuid.UUID, transaction_id: uuid.UUID
) -> TransactionDetail | None:
    """The transaction with its coding lines and receipts; ``None`` when not this company's."""
    with uow:
        repo = uow.transactions
        row = repo.get(company_id, transaction_id)
        if row is None:
            return None
        files = [_copy(ReceiptView, f) for f in repo.receipts(company_id, row.id)]
        return TransactionDetail(
            _copy(TransactionView, row, has_receipt=bool(files)),
            [_copy(CodingLineView, line) for line in repo.coding_lines(company_id, row.id)],
            files,
        )


def _copy(view: type[View], row: Any, **extra: Any) -> View:
    """``view`` filled from the row's attributes of the same names (and ``extra``)."""
    names = [f.name for f in fields(view) if f.name not in extra]
    return view(**{name: getattr(row, name) for name in names}, **extra)
