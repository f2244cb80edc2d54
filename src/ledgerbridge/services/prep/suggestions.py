"""Suggestions from the company's own history: how the same merchant was coded before.

For a transaction, the latest ``HISTORY`` coded transactions of the same merchant (any
case) — past *to prepare*, or coded by hand — are read in one indexed query; the most
common GL account + VAT code among them is proposed, with the cost centre when all that
agree share one, and a reason: "the last 12 Coolblue transactions went to 4230, VAT
code 2". A suggestion is never applied by itself: the user clicks, or a rule does it.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from ledgerbridge.domain.export_status import ExportStatus
from ledgerbridge.domain.wording import N_, Phrase
from ledgerbridge.services.errors import ConflictError, NotFoundError
from ledgerbridge.services.ports import UnitOfWorkFactory
from ledgerbridge.services.prep import coding

HISTORY = 12


@dataclass(frozen=True, slots=True)
class Suggestion:
    gl_account: str
    vat_code: str | None
    cost_center: str | None
    agreed: int
    count: int
    reason: Phrase


@dataclass(frozen=True, slots=True)
class SuggestionsOf:
    """What the drawer shows: the suggestion (if any) and the rule that coded it (if any)."""

    transaction_id: uuid.UUID
    merchant: str
    suggestion: Suggestion | None
    rule_id: uuid.UUID | None
    rule_name: str | None
    editable: bool
    amount: Decimal


def suggestions_for(
    uow_factory: UnitOfWorkFactory, company_id: uuid.UUID, txn_id: uuid.UUID
) -> SuggestionsOf:
    """The suggestion for one transaction (``NotFoundError`` for another company's)."""
    with uow_factory() as uow:
        row = uow.transactions.get(company_id, txn_id)
        if row is None:
            raise NotFoundError(f"transaction {txn_id} not found")
        merchant = row.merchant_name.strip()
        history = (
            uow.transactions.merchant_history(company_id, merchant, exclude=txn_id, limit=HISTORY)
            if merchant
            else []
        )
        rule_name = (
            uow.rules.names(company_id, [row.rule_id]).get(row.rule_id) if row.rule_id else None
        )
        editable = ExportStatus(row.status).coding_editable
        rule_id, amount = row.rule_id, row.amount
    return SuggestionsOf(
        txn_id, merchant, _suggestion(merchant, history), rule_id, rule_name, editable, amount
    )


def use_suggestion(
    uow_factory: UnitOfWorkFactory, company_id: uuid.UUID, txn_id: uuid.UUID, *, actor: str
) -> coding.CodingOutcome:
    """Code the transaction as suggested (the user clicked): one line of the full amount,
    through ``coding.code_transaction`` (checked and audited like any coding by hand)."""
    found = suggestions_for(uow_factory, company_id, txn_id)
    suggestion = found.suggestion
    if suggestion is None:
        raise ConflictError(N_("there is no suggestion for this transaction any more"))
    line = coding.LineInput(
        gl_account=suggestion.gl_account,
        amount=found.amount,
        vat_code=suggestion.vat_code,
        cost_center=suggestion.cost_center,
    )
    return coding.code_transaction(uow_factory, company_id, txn_id, [line], note=None, actor=actor)


def _suggestion(
    merchant: str, history: list[tuple[str, str | None, str | None, str | None]]
) -> Suggestion | None:
    if history:  # as the merchant's latest transaction spells it
        merchant = history[0][0] or merchant
    pairs = Counter((gl, vat) for _, gl, vat, _ in history if gl)
    if not pairs:
        return None
    # The most common pair; among equals, the one used most recently (history is newest first).
    order = {pair: -index for index, pair in enumerate((gl, vat) for _, gl, vat, _ in history)}
    (gl, vat), agreed = max(pairs.items(), key=lambda item: (item[1], order[item[0]]))
    centres = {cc for _, g, v, cc in history if (g, v) == (gl, vat)}
    cost_center = centres.pop() if len(centres) == 1 else None
    count = len(history)
    vat_words = N_("VAT code %(code)s", code=vat) if vat else N_("no VAT code")
    if agreed == count:
        reason = N_(
            "the last %(count)s %(merchant)s transactions went to %(gl)s, %(vat)s",
            count=count,
            merchant=merchant,
            gl=gl,
            vat=vat_words,
        )
    else:
        reason = N_(
            "%(agreed)s of the last %(count)s %(merchant)s transactions went to %(gl)s, %(vat)s",
            agreed=agreed,
            count=count,
            merchant=merchant,
            gl=gl,
            vat=vat_words,
        )
    return Suggestion(gl, vat, cost_center, agreed, count, reason)


__all__ = ["HISTORY", "Suggestion", "SuggestionsOf", "suggestions_for", "use_suggestion"]
