"""What an export of a selection will post, for the confirmation before it starts.

The counts come from the journal preview (``services.prep.preview``: the export's own
mapping), so the confirmation says exactly what the run will send: purchase entries,
receipts, bank entry lines and the total amount per currency. A selection holding a
transaction that is not *ready* is refused whole, with the reason per transaction, as
``start_export`` would refuse it. Reads only; nothing changes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from ledgerbridge.db.models.core import TransactionRow
from ledgerbridge.domain.export_status import ExportStatus
from ledgerbridge.domain.wording import N_
from ledgerbridge.services.ports import UnitOfWorkFactory
from ledgerbridge.services.prep.coding import select_rows
from ledgerbridge.services.prep.preview import MAX_PREVIEW, preview_of


@dataclass(frozen=True, slots=True)
class Held:
    """A selected transaction the mapping finds a problem in: the run sends it back to
    *to prepare* with that reason instead of posting it."""

    transaction_id: uuid.UUID
    external_id: str
    name: str
    messages: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ExportSummary:
    ids: tuple[uuid.UUID, ...]
    transactions: int
    purchase_entries: int
    receipts: int
    bank_lines: int
    totals: tuple[tuple[str, Decimal], ...]  # (currency, sum of the amounts paid)
    held: tuple[Held, ...]


def _ready(row: TransactionRow) -> str | None:
    if row.status == ExportStatus.READY.value:
        return None
    return N_(
        "%(ref)s is %(status)s, not ready: only ready transactions are exported",
        ref=row.external_id,
        status=row.status,
    )


def summarise(
    uow_factory: UnitOfWorkFactory, company_id: uuid.UUID, txn_ids: Iterable[uuid.UUID]
) -> ExportSummary:
    """The confirmation of exporting ``txn_ids`` (``ItemsRefused`` when one is not ready)."""
    with uow_factory() as uow:
        rows = select_rows(uow, company_id, txn_ids, _ready)
        facts = {
            r.id: (r.external_id, r.merchant_name or r.description or r.external_id,
                   r.receipt_count, r.currency, r.amount)
            for r in rows
        }  # fmt: skip
    ids = sorted(facts, key=lambda i: facts[i][0])
    entries = lines = 0
    held: list[Held] = []
    for start in range(0, len(ids), MAX_PREVIEW):
        for found in preview_of(uow_factory, company_id, ids[start : start + MAX_PREVIEW]):
            ref, name = facts[found.transaction_id][:2]
            if found.problems or found.documents is None:
                messages = tuple(p.message for p in found.problems)
                held.append(Held(found.transaction_id, ref, name, messages))
                continue
            entries += found.documents.purchase_entry is not None
            lines += len(found.documents.bank_lines)
    totals: dict[str, Decimal] = {}
    for _, _, _, currency, amount in facts.values():
        totals[currency] = totals.get(currency, Decimal(0)) + amount
    return ExportSummary(
        ids=tuple(ids),
        transactions=len(ids),
        purchase_entries=entries,
        receipts=sum(f[2] for f in facts.values()),
        bank_lines=lines,
        totals=tuple(sorted(totals.items())),
        held=tuple(held),
    )
