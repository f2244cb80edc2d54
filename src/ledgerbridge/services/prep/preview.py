"""The journal preview of a transaction or a selection: exactly what the export will post.

It runs the one mapping (``domain.journal.map_transaction``) with the company's export
settings and the dimensions as synced, then ``domain.journal_preview.preview`` for the
debit/credit rows — the export builds its entries with the same call, so the two cannot
differ. A transaction the rule engine (with the export settings) finds problems in gets
those problems instead of a preview: what cannot be marked ready cannot be previewed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from ledgerbridge.db.models.core import TransactionRow
from ledgerbridge.domain.coding import Coding, CodingLine
from ledgerbridge.domain.dimensions import DimensionKind
from ledgerbridge.domain.errors import DomainError
from ledgerbridge.domain.journal import JournalDocuments, map_transaction
from ledgerbridge.domain.journal_preview import JournalPreview, preview
from ledgerbridge.domain.validation import LINE_FIELDS, Lookup, lookup_in
from ledgerbridge.services.errors import InvalidRequest, NotFoundError
from ledgerbridge.services.ports import UnitOfWork, UnitOfWorkFactory
from ledgerbridge.services.prep.coding import (
    ExportContext,
    Problem,
    as_transaction,
    judge,
    stored_lines,
)

MAX_PREVIEW = 200
K = DimensionKind


@dataclass(frozen=True, slots=True)
class TransactionPreview:
    transaction_id: uuid.UUID
    external_id: str
    documents: JournalDocuments | None = None
    shown: JournalPreview | None = None
    lookup: Lookup | None = None
    problems: list[Problem] = field(default_factory=list)

    def name_of(self, kind: DimensionKind, code: str | None) -> str:
        """The synced name of a code (for the preview's headers), else ""."""
        found = None if (code is None or self.lookup is None) else self.lookup(kind, code)
        return found.name if found is not None else ""


def preview_of(
    uow_factory: UnitOfWorkFactory, company_id: uuid.UUID, txn_ids: Iterable[uuid.UUID]
) -> list[TransactionPreview]:
    """The preview (or the problems) of each transaction, in the order given. Another
    company's id is ``NotFoundError``, like one that does not exist."""
    wanted = list(dict.fromkeys(txn_ids))
    if not wanted:
        raise InvalidRequest("ids: name at least one transaction to preview")
    if len(wanted) > MAX_PREVIEW:
        raise InvalidRequest(f"ids: at most {MAX_PREVIEW} transactions per preview")
    with uow_factory() as uow:
        rows = []
        for txn_id in wanted:
            row = uow.transactions.get(company_id, txn_id)
            if row is None:
                raise NotFoundError(f"transaction {txn_id} not found")
            rows.append(row)
        stored = uow.transactions.coding_lines_of(company_id, wanted)
        export = ExportContext.of(uow, company_id, wanted)
        lines_of = {row.id: stored_lines(row, stored[row.id]) for row in rows}
        lookup = _lookup(uow, company_id, lines_of.values(), export)
        return [_one(row, lines_of[row.id], lookup, export) for row in rows]


def _one(
    row: TransactionRow, lines: list[CodingLine] | str, lookup: Lookup, export: ExportContext
) -> TransactionPreview:
    base = TransactionPreview(row.id, row.external_id, lookup=lookup)
    if isinstance(lines, str):
        return _with(base, [Problem(0, "lines", "", lines)])
    problems = judge(row, lines, lookup, export)
    if problems:
        return _with(base, problems)
    txn = as_transaction(row)
    settings = export.settings
    try:
        documents = map_transaction(
            txn,
            Coding.for_transaction(txn, lines),
            settings,
            lookup,
            settings.ledger_accounts(),
            periods=export.periods,
            post_in_first_open_period=row.post_in_first_open_period,
        )
    except DomainError as error:
        return _with(base, [Problem(0, "lines", "", str(error))])
    shown = preview(documents, settings.ledger_accounts(), lookup)
    return TransactionPreview(row.id, row.external_id, documents, shown, lookup)


def _with(base: TransactionPreview, problems: list[Problem]) -> TransactionPreview:
    return TransactionPreview(base.transaction_id, base.external_id, lookup=base.lookup,
                              problems=problems)  # fmt: skip


def _lookup(
    uow: UnitOfWork,
    company_id: uuid.UUID,
    codings: Iterable[list[CodingLine] | str],
    export: ExportContext,
) -> Lookup:
    settings = export.settings
    keys = {
        (kind, code)
        for lines in codings
        if not isinstance(lines, str)
        for line in lines
        for name, kind in LINE_FIELDS
        if (code := getattr(line, name)) is not None
    }
    keys |= {(K.JOURNAL, code) for code in (settings.purchase_journal, settings.bank_journal)
             if code}  # fmt: skip
    keys |= {
        (K.SUPPLIER, code)
        for code in (settings.generic_supplier, *(c for _, c in settings.merchant_suppliers))
        if code
    }
    accounts = settings.ledger_accounts()
    keys |= {
        (K.GL_ACCOUNT, code)
        for code in (accounts.card, accounts.creditors, accounts.vat_to_claim, accounts.vat_to_pay)
        if code
    }
    return lookup_in(uow.dimensions.matching(company_id, keys, ()) if keys else [])
