"""Transactions, their coding lines and receipts, always within one company."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any, Literal, Protocol

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Uuid,
    and_,
    any_,
    bindparam,
    delete,
    exists,
    false,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ledgerbridge.db.models.core import CodingLineRow, ReceiptRow, TransactionRow
from ledgerbridge.db.repositories.bulk import copy_insert_new, copy_rows
from ledgerbridge.db.repositories.errors import NotFound
from ledgerbridge.domain.export_status import ExportStatus, transition
from ledgerbridge.domain.money import Money

CODED_FIELDS = ("gl_account", "vat_code", "cost_center", "cost_unit", "project")


class CodingLineLike(Protocol):
    """What the repository stores of a coding line (domain.coding.CodingLine fits)."""

    @property
    def gl_account(self) -> str | None: ...
    @property
    def vat_code(self) -> str | None: ...
    @property
    def cost_center(self) -> str | None: ...
    @property
    def cost_unit(self) -> str | None: ...
    @property
    def project(self) -> str | None: ...
    @property
    def amount(self) -> Money: ...
    @property
    def description(self) -> str: ...


@dataclass(frozen=True, slots=True)
class TransactionFilter:
    """List filters; ``None`` means "any". Amounts are signed (money out < 0)."""

    status: ExportStatus | None = None
    date_from: date | None = None
    date_to: date | None = None
    merchant: str | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    has_receipt: bool | None = None
    cardholder: str | None = None
    currency: str | None = None
    # Free text: part of the merchant, description, cardholder or external id.
    search: str | None = None


class StoredLine(Protocol):
    """A stored coding line as read by ``coding_lines_of``."""

    transaction_id: uuid.UUID
    position: int
    gl_account: str | None
    vat_code: str | None
    cost_center: str | None
    cost_unit: str | None
    project: str | None
    amount: Decimal
    description: str


def encode_cursor(row: TransactionRow) -> str:
    """An opaque cursor pointing just after ``row`` in list order."""
    raw = f"{row.booking_date.isoformat()}|{row.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[date, uuid.UUID]:
    """The position a cursor stands for; ``ValueError`` if it was not made by us."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        day, _, row_id = raw.partition("|")
        return date.fromisoformat(day), uuid.UUID(row_id)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValueError("invalid cursor; use the next_cursor of a previous page") from None


class TransactionRepository:
    """Every method takes ``company_id`` first and touches only that company's rows."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, company_id: uuid.UUID, txn_id: uuid.UUID) -> TransactionRow | None:
        query = select(TransactionRow).where(
            TransactionRow.company_id == company_id, TransactionRow.id == txn_id
        )
        return self.session.scalar(query)

    def many(self, company_id: uuid.UUID, txn_ids: Iterable[uuid.UUID]) -> list[TransactionRow]:
        """The company's transactions among ``txn_ids`` (others' ids find nothing), locked
        for update so that two bulk requests on one selection run one after the other."""
        wanted = list(dict.fromkeys(txn_ids))
        if not wanted:
            return []
        query = (
            select(TransactionRow)
            .where(TransactionRow.company_id == company_id, _any(TransactionRow.id, wanted))
            .order_by(TransactionRow.id)
            .with_for_update()
        )
        return list(self.session.scalars(query))

    def coding_lines_of(
        self, company_id: uuid.UUID, txn_ids: Iterable[uuid.UUID]
    ) -> dict[uuid.UUID, list[StoredLine]]:
        """The coding lines of several transactions at once, in position order: read-only
        rows (attribute access like ``CodingLineRow``), not ORM objects — a bulk action
        reads 10,000 transactions' lines and never changes them in place."""
        wanted = list(txn_ids)
        found: dict[uuid.UUID, list[StoredLine]] = {txn_id: [] for txn_id in wanted}
        if not wanted:
            return found
        c = CodingLineRow
        query = (
            select(c.transaction_id, c.position, c.gl_account, c.vat_code, c.cost_center,
                   c.cost_unit, c.project, c.amount, c.description)
            .where(c.company_id == company_id, _any(c.transaction_id, wanted))
            .order_by(c.transaction_id, c.position)
        )  # fmt: skip
        for row in self.session.execute(query):
            found[row.transaction_id].append(row)
        return found

    def require(self, company_id: uuid.UUID, txn_id: uuid.UUID) -> TransactionRow:
        """The transaction, or ``NotFound``."""
        row = self.get(company_id, txn_id)
        if row is None:
            raise NotFound(f"transaction {txn_id} not found")
        return row

    def by_external_ids(
        self, company_id: uuid.UUID, external_ids: Iterable[str]
    ) -> dict[str, TransactionRow]:
        query = select(TransactionRow).where(
            TransactionRow.company_id == company_id,
            TransactionRow.external_id.in_(list(external_ids)),
        )
        return {row.external_id: row for row in self.session.scalars(query)}

    def add(self, company_id: uuid.UUID, values: Mapping[str, Any]) -> TransactionRow:
        """Insert one transaction from column values (see ``TransactionRow``)."""
        row = TransactionRow(**{**values, "id": uuid.uuid4(), "company_id": company_id})
        self.session.add(row)
        self.session.flush()
        return row

    def insert_new(self, company_id: uuid.UUID, rows: Sequence[Mapping[str, Any]]) -> list[str]:
        """Bulk insert; rows whose external id exists are skipped. Returns the inserted ids."""
        return copy_insert_new(self.session, company_id, rows) if rows else []

    def created_in_this_transaction(
        self, company_id: uuid.UUID, external_ids: Sequence[str]
    ) -> set[str]:
        """Which of these ids were inserted by the current database transaction.

        ``created_at`` defaults to ``now()``, the start of the database
        transaction, so rows added earlier in it carry exactly that time.
        """
        query = select(TransactionRow.external_id).where(
            TransactionRow.company_id == company_id,
            TransactionRow.external_id.in_(list(external_ids)),
            TransactionRow.created_at == func.now(),
        )
        return set(self.session.scalars(query))

    def page(
        self,
        company_id: uuid.UUID,
        filters: TransactionFilter | None = None,
        *,
        limit: int = 50,
        cursor: str | None = None,
    ) -> list[TransactionRow]:
        """Newest booking date first (id breaks ties); ``cursor`` continues a listing."""
        conditions = [TransactionRow.company_id == company_id]
        conditions += self._conditions(company_id, filters or TransactionFilter())
        if cursor:
            day, row_id = decode_cursor(cursor)
            conditions.append(
                or_(
                    TransactionRow.booking_date < day,
                    and_(TransactionRow.booking_date == day, TransactionRow.id > row_id),
                )
            )
        query = (
            select(TransactionRow)
            .where(*conditions)
            .order_by(TransactionRow.booking_date.desc(), TransactionRow.id)
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def status_counts(
        self, company_id: uuid.UUID, filters: TransactionFilter, *, cap: int
    ) -> dict[str, int]:
        """How many of the company's transactions match ``filters`` (its status ignored),
        per export status, up to ``cap`` (a count of ``cap`` means "``cap`` or more"): the
        tab counts. Unfiltered, each status reads at most ``cap`` entries of the (company,
        status, date, id) index, so a million rows cost what ten thousand do; filtered,
        one GROUP BY over what the filters' indexes find."""
        others = replace(filters, status=None)
        base = [TransactionRow.company_id == company_id]
        base += self._conditions(company_id, others)
        if others != TransactionFilter():
            grouped = (
                select(TransactionRow.status, func.count())
                .where(*base)
                .group_by(TransactionRow.status)
            )
            return {status: min(count, cap) for status, count in self.session.execute(grouped)}
        found: dict[str, int] = {}
        for status in ExportStatus:
            capped = (
                select(TransactionRow.id)
                .where(*base, TransactionRow.status == status.value)
                .limit(cap)
                .subquery()
            )
            count = self.session.scalar(select(func.count()).select_from(capped)) or 0
            if count:
                found[status.value] = count
        return found

    def ids_matching(
        self, company_id: uuid.UUID, filters: TransactionFilter, *, limit: int
    ) -> list[uuid.UUID]:
        """The ids of up to ``limit`` transactions matching ``filters``, in list order."""
        conditions = [TransactionRow.company_id == company_id]
        conditions += self._conditions(company_id, filters)
        query = (
            select(TransactionRow.id)
            .where(*conditions)
            .order_by(TransactionRow.booking_date.desc(), TransactionRow.id)
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def move_status(
        self,
        company_id: uuid.UUID,
        rows: Iterable[TransactionRow],
        status: ExportStatus,
        reason: str | None = None,
    ) -> None:
        """``set_status`` for rows already locked by ``many`` (no query per row); raises
        ``InvalidTransition`` before changing any, or ``NotFound`` for another company's."""
        rows = list(rows)
        for row in rows:
            if row.company_id != company_id:
                raise NotFound(f"transaction {row.id} not found")
            transition(ExportStatus(row.status), status, reason)
        if not rows:
            return
        # One UPDATE for the lot (10,000 at month-end), not one per row; the rows in
        # the session are told their new values without being flushed again.
        self.session.execute(
            update(TransactionRow)
            .where(TransactionRow.company_id == company_id,
                   _any(TransactionRow.id, [row.id for row in rows]))
            .values(status=status.value, status_reason=reason, updated_at=func.now()),
            execution_options={"synchronize_session": False},
        )  # fmt: skip
        for row in rows:
            set_committed_value(row, "status", status.value)
            set_committed_value(row, "status_reason", reason)

    def set_reasons(self, company_id: uuid.UUID, reasons: Mapping[uuid.UUID, str | None]) -> None:
        """Store why each transaction is not ready (None clears it), in one statement;
        rows already in the session get the new values too. ``NotFound`` (change nothing:
        the unit of work rolls back) when one is not this company's."""
        held = self.session.identity_map
        reasons = {
            txn_id: reason
            for txn_id, reason in reasons.items()
            if (row := held.get(self.session.identity_key(TransactionRow, txn_id))) is None
            or row.status_reason != reason
        }  # rows known to hold that reason already are not rewritten (nine indexes each)
        if not reasons:
            return
        self.session.flush()
        done = self.session.execute(_SET_REASONS, {"company_id": company_id, "ids": list(reasons),
                                                   "reasons": list(reasons.values())})  # fmt: skip
        if done.rowcount != len(reasons):  # type: ignore[attr-defined]
            raise NotFound("a transaction of the selection was not found")
        for txn_id, reason in reasons.items():
            row = self.session.identity_map.get(self.session.identity_key(TransactionRow, txn_id))
            if row is not None:
                set_committed_value(row, "status_reason", reason)

    def replace_coding_lines_of(
        self, company_id: uuid.UUID, lines: Mapping[uuid.UUID, Sequence[CodingLineLike]]
    ) -> None:
        """``replace_coding_lines`` for many transactions at once (one delete, one insert)."""
        if not lines:
            return
        # The company's rows this session already holds (a bulk action locked them) need no
        # second look; the others are checked in the database.
        held = self.session.identity_map
        unsure = [txn_id for txn_id in lines
                  if (row := held.get(self.session.identity_key(TransactionRow, txn_id))) is None
                  or row.company_id != company_id]  # fmt: skip
        known = set(
            self.session.scalars(
                select(TransactionRow.id).where(
                    TransactionRow.company_id == company_id, _any(TransactionRow.id, unsure)
                )
            )
        ) if unsure else set()  # fmt: skip
        missing = [txn_id for txn_id in unsure if txn_id not in known]
        if missing:
            raise NotFound(f"transaction {missing[0]} not found")
        # Set-based: the old lines are not matched in the session one by one (with
        # 10,000 transactions that comparison alone took seconds), and the new ones go
        # in by COPY, not as 10,000 ORM objects. Old line objects the session still holds
        # are never flushed (they are unchanged) and no query returns them again.
        self.session.flush()
        self.session.execute(
            delete(CodingLineRow).where(
                CodingLineRow.company_id == company_id,
                _any(CodingLineRow.transaction_id, list(lines)),
            ),
            execution_options={"synchronize_session": False},
        )
        rows = [
            _coding_values(company_id, txn_id, n, line)
            for txn_id, coded in lines.items()
            for n, line in enumerate(coded, 1)
        ]
        if rows:
            columns = list(rows[0])
            copy_rows(self.session, "coding_lines", columns,
                      [[row[c] for c in columns] for row in rows])  # fmt: skip

    def set_status(
        self,
        company_id: uuid.UUID,
        txn_id: uuid.UUID,
        status: ExportStatus,
        reason: str | None = None,
    ) -> TransactionRow:
        """Move the export status, keeping ``reason`` (required for ``failed``).

        Raises ``InvalidTransition`` or ``NotFound``. The row is locked
        (``FOR UPDATE``) so two workers cannot both move it.
        """
        query = (
            select(TransactionRow)
            .where(TransactionRow.company_id == company_id, TransactionRow.id == txn_id)
            .with_for_update()
        )
        row = self.session.scalar(query)
        if row is None:
            raise NotFound(f"transaction {txn_id} not found")
        row.status = transition(ExportStatus(row.status), status, reason).value
        row.status_reason = reason
        self.session.flush()
        return row

    def coding_lines(self, company_id: uuid.UUID, txn_id: uuid.UUID) -> list[CodingLineRow]:
        query = (
            select(CodingLineRow)
            .where(CodingLineRow.company_id == company_id, CodingLineRow.transaction_id == txn_id)
            .order_by(CodingLineRow.position)
        )
        return list(self.session.scalars(query))

    def replace_coding_lines(
        self, company_id: uuid.UUID, txn_id: uuid.UUID, lines: Sequence[CodingLineLike]
    ) -> list[CodingLineRow]:
        """Replace all coding lines of the transaction (positions 1..n); ``NotFound``."""
        self.require(company_id, txn_id)
        self.session.execute(
            delete(CodingLineRow).where(
                CodingLineRow.company_id == company_id, CodingLineRow.transaction_id == txn_id
            )
        )
        rows = [_coding_row(company_id, txn_id, n, line) for n, line in enumerate(lines, 1)]
        self.session.add_all(rows)
        self.session.flush()
        return rows

    def using_code(self, company_id: uuid.UUID, field: str, code: str) -> list[TransactionRow]:
        """Transactions with a coding line whose ``field`` (e.g. ``vat_code``) is ``code``."""
        if field not in CODED_FIELDS:
            raise ValueError(f"unknown coding field {field!r} (expected one of {CODED_FIELDS})")
        column = getattr(CodingLineRow, field)
        used = select(CodingLineRow.transaction_id).where(
            CodingLineRow.company_id == company_id, column == code
        )
        query = (
            select(TransactionRow)
            .where(TransactionRow.company_id == company_id, TransactionRow.id.in_(used))
            .order_by(TransactionRow.booking_date.desc(), TransactionRow.id)
        )
        return list(self.session.scalars(query))

    def receipts(self, company_id: uuid.UUID, txn_id: uuid.UUID) -> list[ReceiptRow]:
        query = (
            select(ReceiptRow)
            .where(ReceiptRow.company_id == company_id, ReceiptRow.transaction_id == txn_id)
            .order_by(ReceiptRow.created_at, ReceiptRow.id)
        )
        return list(self.session.scalars(query))

    def with_receipts(self, company_id: uuid.UUID, txn_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
        """Which of these transactions have at least one receipt."""
        query = select(ReceiptRow.transaction_id).where(
            ReceiptRow.company_id == company_id, _any(ReceiptRow.transaction_id, list(txn_ids))
        )
        return set(self.session.scalars(query))

    def with_receipts_over(
        self, company_id: uuid.UUID, txn_ids: Iterable[uuid.UUID], limit: int
    ) -> dict[uuid.UUID, str]:
        """Which of these transactions have a receipt larger than ``limit`` bytes (one file
        name each)."""
        query = select(ReceiptRow.transaction_id, ReceiptRow.filename).where(
            ReceiptRow.company_id == company_id,
            _any(ReceiptRow.transaction_id, list(txn_ids)),
            ReceiptRow.size_bytes > limit,
        )
        return {txn_id: name for txn_id, name in self.session.execute(query)}

    def receipt(self, company_id: uuid.UUID, receipt_id: uuid.UUID) -> ReceiptRow | None:
        query = select(ReceiptRow).where(
            ReceiptRow.company_id == company_id, ReceiptRow.id == receipt_id
        )
        return self.session.scalar(query)

    def receipt_with_sha256(
        self, company_id: uuid.UUID, txn_id: uuid.UUID, sha256: str
    ) -> ReceiptRow | None:
        """The transaction's receipt with exactly these bytes, if it has one."""
        query = (
            select(ReceiptRow)
            .where(
                ReceiptRow.company_id == company_id,
                ReceiptRow.transaction_id == txn_id,
                ReceiptRow.sha256 == sha256,
            )
            .order_by(ReceiptRow.created_at, ReceiptRow.id)
            .limit(1)
        )
        return self.session.scalar(query)

    def remove_receipt(
        self, company_id: uuid.UUID, txn_id: uuid.UUID, receipt_id: uuid.UUID
    ) -> ReceiptRow:
        """Delete the transaction's receipt row (the stored file stays: other rows may
        share its bytes); ``NotFound`` unless it is this company's, on this transaction."""
        row = self.receipt(company_id, receipt_id)
        if row is None or row.transaction_id != txn_id:
            raise NotFound(f"receipt {receipt_id}")
        self.session.delete(row)
        self.session.flush()
        return row

    def add_receipt(self, company_id: uuid.UUID, txn_id: uuid.UUID, **values: Any) -> ReceiptRow:
        """Record a stored receipt file (sha256, filename, content_type, size_bytes,
        uploaded_by) on the transaction; ``NotFound`` if it is not this company's."""
        self.require(company_id, txn_id)
        row = ReceiptRow(id=uuid.uuid4(), company_id=company_id, transaction_id=txn_id, **values)
        self.session.add(row)
        self.session.flush()
        return row

    def _conditions(
        self, company_id: uuid.UUID, filters: TransactionFilter
    ) -> list[ColumnElement[bool]]:
        wanted: tuple[tuple[NameColumn, str | None], ...] = (
            ("cardholder", filters.cardholder),
            ("merchant_name", filters.merchant),
        )
        names: dict[NameColumn, list[str] | None] = {
            column: self.names_containing(company_id, column, part)
            for column, part in wanted
            if part
        }
        return _filter_conditions(filters, company_id, names=names)

    def names_containing(
        self, company_id: uuid.UUID, column: NameColumn, part: str
    ) -> list[str] | None:
        """The company's distinct cardholder or merchant names that contain ``part`` (any
        case), found by a skip scan of that column's (company, name, status …) index: one
        probe per distinct name. None — filter row by row (ILIKE) instead — when the
        company has more than ``MAX_NAMES`` names, or more than ``MAX_MATCHED`` match."""
        names = self.session.execute(
            _DISTINCT_NAMES[column], {"company_id": company_id, "limit": MAX_NAMES + 1}
        )
        found = [name for (name,) in names]  # fmt: skip
        if len(found) > MAX_NAMES:
            return None
        wanted = part.casefold()
        matched = [name for name in found if wanted in name.casefold()]
        return matched if len(matched) <= MAX_MATCHED else None

    def merchant_history(
        self, company_id: uuid.UUID, merchant: str, *, exclude: uuid.UUID, limit: int = 12
    ) -> list[tuple[str, str | None, str | None, str | None]]:
        """The merchant's name as stored and the first coding line (GL account, VAT code,
        cost centre) of the company's latest ``limit`` coded transactions of ``merchant``
        (any case), newest first: those past *to prepare*, and those coded by hand. One
        query on the (company, lower(merchant), date) index."""
        t = TransactionRow
        has_lines = exists().where(
            CodingLineRow.company_id == company_id, CodingLineRow.transaction_id == t.id
        )
        latest = (
            select(t.id, t.booking_date, t.merchant_name)
            .where(
                t.company_id == company_id,
                func.lower(t.merchant_name) == merchant.lower(),
                t.id != exclude,
                has_lines,
                or_(t.status != ExportStatus.TO_PREPARE.value, t.rule_id.is_(None)),
            )
            .order_by(t.booking_date.desc(), t.id)
            .limit(limit)
            .subquery()
        )
        line = CodingLineRow
        query = (
            select(latest.c.merchant_name, line.gl_account, line.vat_code, line.cost_center)
            .join(line, and_(line.transaction_id == latest.c.id, line.position == 1))
            .where(line.company_id == company_id)
            .order_by(latest.c.booking_date.desc(), latest.c.id)
        )
        return [(row[0], row[1], row[2], row[3]) for row in self.session.execute(query)]

    def count(self, company_id: uuid.UUID) -> int:
        query = select(func.count()).where(TransactionRow.company_id == company_id)
        return self.session.scalar(query) or 0


def _any(column: Any, ids: Sequence[uuid.UUID]) -> ColumnElement[bool]:
    """``column = ANY(:ids)`` with the ids as one array parameter: a selection of 10,000
    as ``IN (…)`` sends (and makes the driver parse) 10,000 parameters."""
    return column == any_(bindparam(None, list(ids), type_=ARRAY(Uuid())))


_SET_REASONS = text(
    """
    UPDATE transactions t SET status_reason = v.reason, updated_at = now()
    FROM unnest(CAST(:ids AS uuid[]), CAST(:reasons AS text[])) AS v(id, reason)
    WHERE t.id = v.id AND t.company_id = :company_id
    """
)
NameColumn = Literal["cardholder", "merchant_name"]
MAX_NAMES = 20_000
MAX_MATCHED = 1_000
# Each distinct name of a company in that column, in order: one index probe per name.
_DISTINCT_NAMES = {
    column: text(
        f"""
        WITH RECURSIVE names(name, n) AS (
            (SELECT {column}, 1 FROM transactions WHERE company_id = :company_id
             ORDER BY {column} LIMIT 1)
            UNION ALL
            SELECT (SELECT t.{column} FROM transactions t
                    WHERE t.company_id = :company_id AND t.{column} > names.name
                    ORDER BY t.{column} LIMIT 1), n + 1
            FROM names WHERE names.name IS NOT NULL AND n < :limit
        )
        SELECT name FROM names WHERE name IS NOT NULL
        """
    )
    for column in ("cardholder", "merchant_name")
}


def _filter_conditions(
    f: TransactionFilter,
    company_id: uuid.UUID,
    *,
    names: Mapping[NameColumn, list[str] | None] | None = None,
) -> list[ColumnElement[bool]]:
    """``names``: per column, the names its filter matched, when looked up first."""
    names = names or {}
    cardholders, merchants = names.get("cardholder"), names.get("merchant_name")
    t = TransactionRow
    found: list[ColumnElement[bool]] = []
    if f.status is not None:
        found.append(t.status == f.status.value)
    if f.date_from is not None:
        found.append(t.booking_date >= f.date_from)
    if f.date_to is not None:
        found.append(t.booking_date <= f.date_to)
    if f.merchant and merchants is not None:
        found.append(t.merchant_name.in_(merchants) if merchants else false())
    elif f.merchant:
        found.append(t.merchant_name.icontains(f.merchant, autoescape=True))
    if f.amount_min is not None:
        found.append(t.amount >= f.amount_min)
    if f.amount_max is not None:
        found.append(t.amount <= f.amount_max)
    if f.cardholder and cardholders is not None:
        found.append(t.cardholder.in_(cardholders) if cardholders else false())
    elif f.cardholder:
        found.append(t.cardholder.icontains(f.cardholder, autoescape=True))
    if f.currency:
        found.append(t.currency == f.currency.upper())
    if f.search:
        found.append(
            or_(
                *(
                    column.icontains(f.search, autoescape=True)
                    for column in (t.merchant_name, t.description, t.cardholder, t.external_id)
                )
            )
        )
    if f.has_receipt is not None:
        found.append(t.receipt_count > 0 if f.has_receipt else t.receipt_count == 0)
    return found


def _coding_row(
    company_id: uuid.UUID, txn_id: uuid.UUID, position: int, line: CodingLineLike
) -> CodingLineRow:
    return CodingLineRow(**_coding_values(company_id, txn_id, position, line))


def _coding_values(
    company_id: uuid.UUID, txn_id: uuid.UUID, position: int, line: CodingLineLike
) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "company_id": company_id,
        "transaction_id": txn_id,
        "position": position,
        "amount": line.amount.amount,
        "description": line.description or "",
        **{name: getattr(line, name) for name in CODED_FIELDS},
    }
