"""Integrations › Export settings, and the journal preview fragment of the drawer.

- ``/settings/export``: how the company's transactions are booked — journals (only the
  synced purchase and bank journals are offered), supplier strategy, the generic
  supplier and per-merchant suppliers, document type, description template, receipt
  policy, the ledger accounts. Admins change them (each problem beside its field, the
  input kept, nothing saved); others read them. The problems of the saved settings
  against today's synced data are listed on top.
- ``/transactions/{id}/preview``: what exporting the transaction will post (the
  export's own mapping), as debit/credit tables; or the problems that stop it.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from ledgerbridge.domain.export_settings import DEFAULT_DESCRIPTION, ReceiptPolicy, SupplierStrategy
from ledgerbridge.services.access.principal import require_role
from ledgerbridge.services.errors import ItemsRefused
from ledgerbridge.services.prep import export_settings, preview
from ledgerbridge.web.pages.common import back_to, check_csrf, container, render, viewer

router = APIRouter()
TEXT_FIELDS = (
    "purchase_journal",
    "bank_journal",
    "generic_supplier",
    "description_template",
    "creditors_account",
    "card_account",
    "vat_to_claim_account",
    "vat_to_pay_account",
)
EXAMPLE = {"merchant": "Coolblue", "cardholder": "Anna de Vries", "note": "Laptop",
           "reference": "TX-1042", "date": "2026-11-28"}  # fmt: skip


def _form_of(settings: export_settings.ExportSettings) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(settings, name) or "" for name in TEXT_FIELDS}
    values["supplier_strategy"] = settings.supplier_strategy.value
    values["receipt_policy"] = settings.receipt_policy.value
    values["document_type"] = str(settings.document_type)
    values["create_missing_suppliers"] = settings.create_missing_suppliers
    values["book_in_original_currency"] = settings.book_in_original_currency
    values["merchant_suppliers"] = "\n".join(f"{m} = {c}" for m, c in settings.merchant_suppliers)
    return values


def _example(template: str) -> str:
    try:
        text = template % EXAMPLE
    except (KeyError, ValueError, TypeError):
        return ""
    return " - ".join(part.strip() for part in text.split(" - ") if part.strip())


def _page(
    request: Request,
    form: dict[str, Any],
    errors: dict[str, list[str]],
    status: int = 200,
    saved: bool = False,
) -> HTMLResponse:
    who = viewer(request)
    company = require_role(who.principal, "viewer")
    app = container(request)
    return render(
        request, "export_settings.html", who, status, active="settings",
        form=form, errors=errors, saved=saved,
        choices=export_settings.choices(app.uow, company.id),
        problems=export_settings.check(app.uow, company.id),
        strategies=tuple(SupplierStrategy), policies=tuple(ReceiptPolicy),
        example=_example(form["description_template"] or DEFAULT_DESCRIPTION),
        can_edit=who.is_admin,
    )  # fmt: skip


@router.get("/settings/export", response_model=None)
def settings_page(request: Request, saved: str = "") -> HTMLResponse:
    who = viewer(request)
    company = require_role(who.principal, "viewer")
    current = export_settings.settings_of(container(request).uow, company.id)
    return _page(request, _form_of(current), {}, saved=saved == "1")


@router.post("/settings/export", response_model=None)
def save_settings(
    request: Request,
    csrf_token: str = Form(""),
    purchase_journal: str = Form(""),
    bank_journal: str = Form(""),
    supplier_strategy: str = Form("generic"),
    generic_supplier: str = Form(""),
    merchant_suppliers: str = Form(""),
    create_missing_suppliers: str = Form(""),
    description_template: str = Form(""),
    receipt_policy: str = Form("required"),
    document_type: str = Form(""),
    book_in_original_currency: str = Form(""),
    creditors_account: str = Form(""),
    card_account: str = Form(""),
    vat_to_claim_account: str = Form(""),
    vat_to_pay_account: str = Form(""),
) -> Response:
    who = viewer(request)
    check_csrf(request, who, csrf_token)
    company = require_role(who.principal, "admin")
    form: dict[str, Any] = {
        "purchase_journal": purchase_journal, "bank_journal": bank_journal,
        "supplier_strategy": supplier_strategy, "generic_supplier": generic_supplier,
        "merchant_suppliers": merchant_suppliers,
        "create_missing_suppliers": create_missing_suppliers == "on",
        "description_template": description_template, "receipt_policy": receipt_policy,
        "document_type": document_type,
        "book_in_original_currency": book_in_original_currency == "on",
        "creditors_account": creditors_account, "card_account": card_account,
        "vat_to_claim_account": vat_to_claim_account, "vat_to_pay_account": vat_to_pay_account,
    }  # fmt: skip
    values = {**form, "merchant_suppliers": _pairs(merchant_suppliers)}
    values["document_type"] = document_type.strip() or str(
        export_settings.ExportSettings().document_type
    )
    try:
        export_settings.save(container(request).uow, company.id, values, actor=who.principal.actor)
    except ItemsRefused as error:
        errors: dict[str, list[str]] = {}
        for item in error.items:
            errors.setdefault(item.get("field", ""), []).append(item["message"])
        return _page(request, form, errors, 422)
    return back_to("/settings/export?saved=1")


def _pairs(text: str) -> list[list[str]]:
    """ "Coolblue = 20001" per line; a line without "=" is a merchant without a code (which
    the service refuses, naming the line's field)."""
    found = []
    for line in text.replace("\r", "").split("\n"):
        if line.strip():
            merchant, _, code = line.partition("=")
            found.append([merchant.strip(), code.strip()])
    return found


@router.get("/transactions/{transaction_id}/preview", response_model=None)
def preview_fragment(request: Request, transaction_id: uuid.UUID) -> HTMLResponse:
    who = viewer(request)
    company = require_role(who.principal, "viewer")
    (found,) = preview.preview_of(container(request).uow, company.id, [transaction_id])
    fragment = request.headers.get("HX-Request") == "true"
    return render(request, "journal_preview.html" if fragment else "journal_preview_page.html",
                  who, found=found)  # fmt: skip
