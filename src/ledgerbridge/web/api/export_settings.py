"""Export settings (admin changes, everyone reads) and the journal preview (everyone reads).

Thin: the checks live in ``services.prep.export_settings``, the mapping in
``services.prep.preview`` (the export's own). Amounts are strings ("-121.00").
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from ledgerbridge.bootstrap import Container
from ledgerbridge.domain.dimensions import DimensionKind
from ledgerbridge.domain.export_settings import FinancialPeriod
from ledgerbridge.domain.journal_preview import DocumentPreview
from ledgerbridge.domain.money import Money
from ledgerbridge.services.prep import export_settings, preview
from ledgerbridge.web.api.prep import problem_json
from ledgerbridge.web.deps import (
    CurrentCompany,
    container,
    current_actor,
    current_company,
    require_role,
)
from ledgerbridge.web.text_input import StrictJsonRoute

router = APIRouter(prefix="/api/v1", tags=["prep"], route_class=StrictJsonRoute)
K = DimensionKind


class SettingsBody(BaseModel):
    """Any subset of the settings; the others keep their stored value."""

    purchase_journal: str | None = Field(default=None, max_length=64)
    bank_journal: str | None = Field(default=None, max_length=64)
    supplier_strategy: str | None = None
    generic_supplier: str | None = Field(default=None, max_length=64)
    merchant_suppliers: list[tuple[str, str]] | None = None
    create_missing_suppliers: bool | None = None
    description_template: str | None = Field(default=None, max_length=200)
    receipt_policy: str | None = None
    document_type: int | None = None
    book_in_original_currency: bool | None = None
    creditors_account: str | None = Field(default=None, max_length=64)
    card_account: str | None = Field(default=None, max_length=64)
    vat_to_claim_account: str | None = Field(default=None, max_length=64)
    vat_to_pay_account: str | None = Field(default=None, max_length=64)


def settings_json(app: Container, company_id: uuid.UUID) -> dict[str, Any]:
    s = export_settings.settings_of(app.uow, company_id)
    return {
        "purchase_journal": s.purchase_journal,
        "bank_journal": s.bank_journal,
        "supplier_strategy": s.supplier_strategy.value,
        "generic_supplier": s.generic_supplier,
        "merchant_suppliers": [list(pair) for pair in s.merchant_suppliers],
        "create_missing_suppliers": s.create_missing_suppliers,
        "description_template": s.description_template,
        "receipt_policy": s.receipt_policy.value,
        "document_type": s.document_type,
        "book_in_original_currency": s.book_in_original_currency,
        "creditors_account": s.creditors_account,
        "card_account": s.card_account,
        "vat_to_claim_account": s.vat_to_claim_account,
        "vat_to_pay_account": s.vat_to_pay_account,
        "problems": export_settings.check(app.uow, company_id),
    }


@router.get("/export-settings", summary="The export settings and what is wrong with them now")
def get_settings(
    company: CurrentCompany = Depends(current_company), app: Container = Depends(container)
) -> dict[str, Any]:
    return settings_json(app, company.id)


@router.put("/export-settings", summary="Change export settings (admin; checked, all or none)")
def put_settings(
    body: SettingsBody,
    company: CurrentCompany = Depends(require_role("admin")),
    actor: str = Depends(current_actor),
    app: Container = Depends(container),
) -> dict[str, Any]:
    """Checked against the synced journals, suppliers, document types and GL accounts;
    any problem answers 422 with ``errors`` per field and saves nothing."""
    values = body.model_dump(exclude_unset=True)
    if "merchant_suppliers" in values and values["merchant_suppliers"] is not None:
        values["merchant_suppliers"] = [list(pair) for pair in values["merchant_suppliers"]]
    export_settings.save(app.uow, company.id, values, actor=actor)
    return settings_json(app, company.id)


@router.get("/transactions/{transaction_id}/preview", summary="What exporting it will post")
def get_preview(
    transaction_id: uuid.UUID,
    company: CurrentCompany = Depends(current_company),
    app: Container = Depends(container),
) -> dict[str, Any]:
    """The documents as the export posts them, or the ``problems`` that stop it.
    ``period`` is the period posted in; ``moved_from_period`` the transaction date's
    closed period when the user chose to post in the first open one (``period_note``
    says it in a sentence)."""
    (found,) = preview.preview_of(app.uow, company.id, [transaction_id])
    return preview_json(found)


@router.get("/preview", summary="What exporting a selection will post (at most 200 ids)")
def get_selection_preview(
    ids: list[uuid.UUID] = Query(min_length=1, max_length=preview.MAX_PREVIEW),
    company: CurrentCompany = Depends(current_company),
    app: Container = Depends(container),
) -> dict[str, Any]:
    """``?ids=…&ids=…``: each transaction's preview, or the problems that stop it."""
    found = preview.preview_of(app.uow, company.id, ids)
    return {"items": [preview_json(one) for one in found]}


class PreviewBody(BaseModel):
    ids: list[uuid.UUID] = Field(min_length=1, max_length=preview.MAX_PREVIEW)


@router.post("/preview", summary="What exporting a selection will post (body: at most 200 ids)")
def post_selection_preview(
    body: PreviewBody,
    company: CurrentCompany = Depends(current_company),
    app: Container = Depends(container),
) -> dict[str, Any]:
    """``{"ids": [...]}``: the same answer as ``GET /preview?ids=…``, for long selections."""
    found = preview.preview_of(app.uow, company.id, body.ids)
    return {"items": [preview_json(one) for one in found]}


def _money(value: Money | None) -> str | None:
    return None if value is None else f"{value.amount:f}"


def _document_json(document: DocumentPreview) -> dict[str, Any]:
    return {
        "title": document.title,
        "currency": document.currency,
        "rows": [
            {"account": r.account, "name": r.name, "debit": _money(r.debit),
             "credit": _money(r.credit)}
            for r in document.rows
        ],
        "debit_total": _money(document.debit_total),
        "credit_total": _money(document.credit_total),
        "balanced": document.balanced,
    }  # fmt: skip


def _period_json(period: FinancialPeriod | None) -> dict[str, Any] | None:
    if period is None:
        return None
    return {"year": period.year, "period": period.period, "label": period.label,
            "start": period.start.isoformat(), "end": period.end.isoformat()}  # fmt: skip


def preview_json(found: preview.TransactionPreview) -> dict[str, Any]:
    body: dict[str, Any] = {"id": str(found.transaction_id), "external_id": found.external_id}
    if found.documents is None or found.shown is None:
        return {**body, "bookable": False, "problems": [problem_json(p) for p in found.problems]}
    entry = found.documents.purchase_entry
    body["bookable"] = True
    body["problems"] = []
    body["purchase_entry"] = None if entry is None else {
        "journal": entry.journal,
        "supplier": entry.supplier,
        "supplier_name": found.name_of(K.SUPPLIER, entry.supplier),
        "entry_date": entry.entry_date.isoformat(),
        "document_date": entry.document_date.isoformat(),
        "currency": entry.currency,
        "exchange_rate": None if entry.exchange_rate is None else f"{entry.exchange_rate:f}",
        "reference": entry.reference,
        "description": entry.description,
        "period": _period_json(found.documents.period),
        "lines": [
            {"gl_account": line.gl_account, "net": _money(line.net),
             "vat_code": line.vat_code, "vat": _money(line.vat),
             "reverse_charge_vat": _money(line.reverse_charge_vat),
             "cost_center": line.cost_center, "cost_unit": line.cost_unit,
             "project": line.project, "description": line.description}
            for line in entry.lines
        ],
        "total": _money(entry.total),
    }  # fmt: skip
    body["bank_lines"] = [
        {"journal": line.journal, "date": line.date.isoformat(), "amount": _money(line.amount),
         "gl_account": line.gl_account, "supplier": line.supplier,
         "reference": line.reference, "invoice_reference": line.purchase_reference,
         "description": line.description}
        for line in found.documents.bank_lines
    ]  # fmt: skip
    body["period"] = _period_json(found.documents.period)
    body["moved_from_period"] = _period_json(found.documents.moved_from)
    body["period_note"] = found.shown.period_note
    body["documents"] = [_document_json(d) for d in found.shown.documents]
    body["balanced"] = found.shown.balanced
    return body
