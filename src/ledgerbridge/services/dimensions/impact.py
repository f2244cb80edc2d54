"""The impact of dimension changes on transactions that are being prepared.

Part of the caller's unit of work (nothing is committed here). Only
transactions in ``to_prepare`` or ``ready`` are looked at: later ones are
queued, exporting or exported and follow their own rules.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ledgerbridge.db.repositories.dimensions import CodedUse, OpenCoding
from ledgerbridge.domain.dimension_sync import Change, harmful, sync_problems
from ledgerbridge.domain.dimensions import Dimension, DimensionSource
from ledgerbridge.domain.export_status import ExportStatus
from ledgerbridge.domain.validation import LINE_FIELDS, Lookup, lookup_in
from ledgerbridge.services.errors import ConflictError
from ledgerbridge.services.ports import UnitOfWork

OPEN_STATUSES = (ExportStatus.TO_PREPARE.value, ExportStatus.READY.value)
ACTOR = "dimension-sync"


@dataclass(frozen=True)
class FlaggedTransaction:
    """A transaction whose coding a sync made unusable; ``previous_status`` before the flag."""

    transaction_id: uuid.UUID
    external_id: str
    merchant: str
    booking_date: str
    previous_status: str
    reason: str

    @property
    def moved_back(self) -> bool:
        return self.previous_status == ExportStatus.READY.value

    def line(self) -> str:
        moved = "; moved back to to prepare" if self.moved_back else ""
        who = f"{self.merchant} " if self.merchant else ""
        return f"transaction {who}{self.booking_date} ({self.external_id}): {self.reason}{moved}"

    def as_json(self) -> dict[str, object]:
        return {
            "transaction_id": str(self.transaction_id),
            "external_id": self.external_id,
            "merchant": self.merchant,
            "booking_date": self.booking_date,
            "previous_status": self.previous_status,
            "moved_back": self.moved_back,
            "reason": self.reason,
        }


def flag_transactions(
    uow: UnitOfWork, company_id: uuid.UUID, changes: Iterable[Change]
) -> list[FlaggedTransaction]:
    """Flag open transactions that ``changes`` made unbookable: reason set, ``ready`` →
    ``to_prepare``, an audit row each.

    Call it after the changes are written, in the same unit of work: the coding of each
    open transaction using a changed value is judged by the rule engine with the
    dimensions as they now are (``domain.dimension_sync.sync_problems``). Idempotent
    for a given set of changes. Returns the flagged ones, oldest first.
    """
    bad = harmful(changes)
    if not bad:
        return []
    codings = uow.dimensions.open_codings(company_id, bad.keys(), OPEN_STATUSES)
    lookup = _current_values(uow, company_id, codings)
    flagged = []
    for coding in codings:
        reasons = sync_problems(coding.lines, coding.booking_date, lookup, bad)
        if reasons:
            flagged.append(_flag(uow, company_id, coding, "; ".join(reasons)))
    return flagged


def _current_values(uow: UnitOfWork, company_id: uuid.UUID, codings: list[OpenCoding]) -> Lookup:
    keys = {
        (kind, code)
        for coding in codings
        for line in coding.lines
        for field_name, kind in LINE_FIELDS
        if (code := getattr(line, field_name)) is not None
    }
    return lookup_in(uow.dimensions.matching(company_id, keys, ()) if keys else [])


def _flag(
    uow: UnitOfWork, company_id: uuid.UUID, use: OpenCoding, reason: str
) -> FlaggedTransaction:
    transactions = uow.transactions
    if use.status == ExportStatus.READY.value:
        transactions.set_status(company_id, use.transaction_id, ExportStatus.TO_PREPARE, reason)
    else:
        row = transactions.require(company_id, use.transaction_id)
        row.status_reason = reason
    uow.audit.record(
        action="transaction.flagged.dimension_changed",
        actor=ACTOR,
        company_id=company_id,
        subject_type="transaction",
        subject_id=use.transaction_id,
        details={"reason": reason, "previous_status": use.status},
    )
    return FlaggedTransaction(
        use.transaction_id,
        use.external_id,
        use.merchant,
        use.booking_date.isoformat(),
        use.status,
        reason,
    )


# -- replacing local dimensions on connect -----------------------------------------------------


@dataclass(frozen=True)
class ReplacementPreview:
    """What connecting will replace: local dimensions, and open transactions that use them."""

    local_dimensions: list[Dimension]
    transactions: list[CodedUse]

    @property
    def message(self) -> str:
        """The confirmation text the connect flow shows before it goes ahead."""
        if not self.local_dimensions:
            return "No local dimensions: Exact Online's dimensions will be pulled."
        values = len(self.local_dimensions)
        count = len({u.transaction_id for u in self.transactions})
        return (
            f"{values} local {'dimension' if values == 1 else 'dimensions'} will be replaced by "
            f"Exact Online's dimensions; {count} "
            f"{'transaction' if count == 1 else 'transactions'} coded with them will go back "
            "to to prepare."
        )


def preview_replacement(
    uow_factory: Callable[[], UnitOfWork], company_id: uuid.UUID
) -> ReplacementPreview:
    """List the local dimensions a connect replaces and the open transactions using them."""
    with uow_factory() as uow:
        repo = uow.dimensions
        local = repo.all(company_id, source=DimensionSource.LOCAL)
        keys = [(d.kind, d.code) for d in local]
        uses = repo.open_uses(company_id, keys, OPEN_STATUSES) if keys else []
        return ReplacementPreview(local, uses)


class ReplacementNotConfirmed(ConflictError):
    """Connecting would replace local dimensions and the user has not confirmed that yet."""

    def __init__(self, preview: ReplacementPreview) -> None:
        self.preview = preview
        super().__init__(preview.message + " Confirm to connect.")


def require_replacement_confirmed(
    uow_factory: Callable[[], UnitOfWork], company_id: uuid.UUID, *, confirmed: bool
) -> ReplacementPreview:
    """The gate before a connect starts: the preview, or ``ReplacementNotConfirmed``
    when local dimensions exist and ``confirmed`` is false. Reads only."""
    preview = preview_replacement(uow_factory, company_id)
    if preview.local_dimensions and not confirmed:
        raise ReplacementNotConfirmed(preview)
    return preview
