"""Receiving a batch of transactions through the API.

Contract: a batch is all-or-nothing for validity — if any item is bad, the
whole batch is refused (``BatchRejected`` listing every bad item) and nothing
is saved. A valid batch is idempotent by ``external_id``: an item already
stored with the same content is "unchanged"; with different content it is a
"conflict" and the stored transaction is left as it was.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from ledgerbridge.db.models.core import TransactionRow
from ledgerbridge.db.repositories import TransactionRepository
from ledgerbridge.services.ports import UnitOfWork
from ledgerbridge.services.prep import rules
from ledgerbridge.services.transactions.input import parse_transaction

MAX_BATCH = 1000


@dataclass(frozen=True, slots=True)
class ItemError:
    """One problem of one item: ``index`` in the batch (or ``line`` in a CSV file)."""

    field: str
    message: str
    index: int | None = None
    line: int | None = None
    external_id: str | None = None


class BatchRejected(Exception):
    """The batch had bad items; none of it was saved."""

    def __init__(self, errors: Sequence[ItemError], message: str | None = None) -> None:
        self.errors = list(errors)
        super().__init__(message or f"{len(self.errors)} problem(s) in the batch; nothing saved")


@dataclass(frozen=True, slots=True)
class ItemOutcome:
    index: int
    external_id: str
    outcome: str  # created | unchanged | conflict
    id: uuid.UUID
    conflicting_fields: tuple[str, ...] = ()


@dataclass
class BatchResult:
    items: list[ItemOutcome] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for item in self.items if item.outcome == outcome)


def validate_batch(items: Sequence[Mapping[str, Any]], *, today: date) -> list[dict[str, Any]]:
    """Column values for every item, or ``BatchRejected`` listing every problem."""
    if not 1 <= len(items) <= MAX_BATCH:
        problem = ItemError("transactions", f"send 1 to {MAX_BATCH} transactions per batch")
        raise BatchRejected([problem], f"a batch holds 1 to {MAX_BATCH} transactions")
    errors: list[ItemError] = []
    valid: list[dict[str, Any]] = []
    first_index: dict[str, int] = {}
    for index, raw in enumerate(items):
        if not isinstance(raw, Mapping):
            errors.append(ItemError("item", "must be an object", index=index))
            continue
        parsed = parse_transaction(raw, today=today)
        external_id = parsed.external_id
        errors += [
            ItemError(f, m, index=index, external_id=external_id) for f, m in parsed.problems
        ]
        if external_id in first_index:
            message = (
                f"duplicate external_id in this batch (first at index {first_index[external_id]})"
            )
            errors.append(ItemError("external_id", message, index=index, external_id=external_id))
        elif external_id:
            first_index[external_id] = index
        valid.append(parsed.values)
    if errors:
        raise BatchRejected(errors)
    return valid


def ingest_batch(
    uow: UnitOfWork,
    company_id: uuid.UUID,
    items: Sequence[Mapping[str, Any]],
    *,
    actor: str,
    today: date | None = None,
) -> BatchResult:
    """Validate and store a batch (see module docstring); commits once."""
    values = validate_batch(items, today=today or datetime.now(UTC).date())
    with uow:
        result = _store(uow.transactions, company_id, values)
        created = [item.id for item in result.items if item.outcome == "created"]
        if created:
            rules.apply_to_new(uow, company_id, created, actor=actor)
        if result.count("created") or result.count("conflict"):
            uow.audit.record(
                action="transaction.batch_received",
                actor=actor,
                company_id=company_id,
                subject_type="transaction_batch",
                details={k: result.count(k) for k in ("created", "unchanged", "conflict")},
            )
        uow.commit()
    return result


def _store(
    repo: TransactionRepository, company_id: uuid.UUID, values: list[dict[str, Any]]
) -> BatchResult:
    # Insert-or-skip, then compare: a concurrent batch with the same new external
    # id makes ours "unchanged"/"conflict" instead of failing on the unique key.
    ids = [item["external_id"] for item in values]
    known = repo.by_external_ids(company_id, ids)
    created = set(repo.insert_new(company_id, [v for v in values if v["external_id"] not in known]))
    rows = repo.by_external_ids(company_id, ids)
    result = BatchResult()
    for index, item in enumerate(values):
        row = rows[item["external_id"]]
        if row.external_id in created:
            result.items.append(ItemOutcome(index, row.external_id, "created", row.id))
            continue
        differing = differences(row, item)
        outcome = "conflict" if differing else "unchanged"
        result.items.append(ItemOutcome(index, row.external_id, outcome, row.id, differing))
    return result


def differences(row: TransactionRow, item: Mapping[str, Any]) -> tuple[str, ...]:
    """Names of the fields where ``item`` differs from the stored ``row``."""
    return tuple(name for name, value in item.items() if getattr(row, name) != value)
