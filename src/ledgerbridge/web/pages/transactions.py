"""Bookkeeping › Prep & Export: the transactions, a tab per export state with its count.

- ``/transactions``: filters (dates, merchant, amount, cardholder, receipt, currency),
  free-text search, the tab (export status) and keyset pages of 50; the URL carries
  it all, so a page can be bookmarked. "Next page" swaps rows in with htmx and is a
  plain link without it. The counts are one GROUP BY on the (company, status) index.
- ``/transactions/{id}``: the drawer (an htmx panel beside the list, or a page of its
  own without JavaScript): details, coding lines, status and reason, the receipts with
  a preview (images inline, PDFs in a frame), download, upload by drag and drop (or the
  file input) and removal — the last two for bookkeepers and admins only.
- ``/transactions/import``: a CSV file; every bad line in a table, nothing saved.

Another company's transaction answers 404, exactly like one that does not exist.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from ledgerbridge.domain.export_status import ExportStatus
from ledgerbridge.domain.wording import N_
from ledgerbridge.services.access.principal import require_role
from ledgerbridge.services.dimensions import upkeep
from ledgerbridge.services.errors import NotFoundError
from ledgerbridge.services.prep import coding
from ledgerbridge.services.prep.coding import MAX_SELECTION
from ledgerbridge.services.transactions import csv_import, receipts
from ledgerbridge.services.transactions import query as queries
from ledgerbridge.web.pages import coding_form
from ledgerbridge.web.pages.common import (
    Viewer,
    back_to,
    check_csrf,
    container,
    problem_of,
    render,
    viewer,
)

router = APIRouter()
PAGE_SIZE = 50
TABS: tuple[tuple[ExportStatus, str], ...] = (
    (ExportStatus.TO_PREPARE, N_("To prepare")),
    (ExportStatus.READY, N_("Ready")),
    (ExportStatus.QUEUED, N_("Queued")),
    (ExportStatus.EXPORTING, N_("Exporting")),
    (ExportStatus.FAILED, N_("Export queue")),
    (ExportStatus.EXPORTED, N_("Exported")),
)
PREP_TABS = (ExportStatus.TO_PREPARE.value, ExportStatus.READY.value)
STATUS_NAMES = {status.value: name for status, name in TABS}
NOTICES = {
    "uploaded": N_("The receipt was added."),
    "duplicate": N_("This file was already attached; nothing was added."),
    "removed": N_("The receipt was removed."),
    "saved": N_("The coding was saved."),
    "ready": N_("Marked ready: it moved to Ready."),
    "kept": N_("Not ready yet: it stays in To prepare; see the problems beside the fields."),
    "reopened": N_("Reopened: it is back in To prepare."),
    "period_moved": N_("It will be posted in the first open period."),
    "period_kept": N_("It will be posted in the period of its date again."),
    "period_back": N_(
        "It will be posted in the period of its date again; that period is closed, so it "
        "went back to To prepare."
    ),
}


@dataclass(frozen=True)
class Filters:
    """The list's query parameters, cleaned: what the form shows and the links carry."""

    status: str = ExportStatus.TO_PREPARE.value
    date_from: str = ""
    date_to: str = ""
    merchant: str = ""
    amount_min: str = ""
    amount_max: str = ""
    cardholder: str = ""
    has_receipt: str = ""
    currency: str = ""
    q: str = ""

    @classmethod
    def of(cls, params: dict[str, str]) -> Filters:
        status = params.get("status", "")
        if status not in {s.value for s, _ in TABS}:
            status = ExportStatus.TO_PREPARE.value
        text = {
            name: params.get(name, "").replace("\x00", "").strip()[:100]
            for name in ("merchant", "cardholder", "q")
        }
        return cls(
            status=status,
            date_from=_day(params.get("date_from")),
            date_to=_day(params.get("date_to")),
            amount_min=_amount(params.get("amount_min")),
            amount_max=_amount(params.get("amount_max")),
            has_receipt=receipt
            if (receipt := params.get("has_receipt", "")) in ("yes", "no")
            else "",
            currency=currency.upper()
            if len(currency := params.get("currency", "").strip()) == 3 and currency.isalpha()
            else "",
            **text,
        )

    def query(self) -> queries.TransactionFilter:
        return queries.TransactionFilter(
            status=ExportStatus(self.status),
            date_from=date.fromisoformat(self.date_from) if self.date_from else None,
            date_to=date.fromisoformat(self.date_to) if self.date_to else None,
            merchant=self.merchant or None,
            amount_min=Decimal(self.amount_min) if self.amount_min else None,
            amount_max=Decimal(self.amount_max) if self.amount_max else None,
            has_receipt={"yes": True, "no": False}.get(self.has_receipt),
            cardholder=self.cardholder or None,
            currency=self.currency or None,
            search=self.q or None,
        )

    def link(self, **changes: str) -> str:
        values = {**self.__dict__, **changes}
        return "/transactions?" + urlencode({k: v for k, v in values.items() if v})

    @property
    def any(self) -> bool:
        return any(v for k, v in self.__dict__.items() if k != "status")


def _choice(value: str | None, allowed: tuple[str, ...]) -> str:
    return value if value in allowed else ""


def _currency(value: str | None) -> str:
    code = (value or "").strip().upper()
    return code if len(code) == 3 and code.isalpha() and code.isascii() else ""


def _day(value: str | None) -> str:
    try:
        return date.fromisoformat((value or "").strip()).isoformat() if value else ""
    except ValueError:
        return ""


def _amount(value: str | None) -> str:
    raw = (value or "").strip().replace(",", ".")
    try:
        found = Decimal(raw) if raw else None
    except InvalidOperation:
        return ""
    return str(found) if found is not None and found.is_finite() and abs(found) < 10**12 else ""


@router.get("/transactions", response_model=None)
def transactions(request: Request) -> HTMLResponse:
    who = viewer(request)
    company = require_role(who.principal, "viewer")
    filters = Filters.of(dict(request.query_params))
    return list_page(request, who, company.id, filters, request.query_params.get("after", ""))


def list_page(
    request: Request,
    who: Viewer,
    company_id: uuid.UUID,
    filters: Filters,
    after: str = "",
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    """The list (or, for htmx's "Next page", only its rows) of what ``filters`` find."""
    app = container(request)
    upkeep.note_prep_activity(app.uow, company_id, app.now)
    try:
        page = queries.list_transactions(
            app.uow(), company_id, filters.query(), PAGE_SIZE, after or None
        )
    except queries.InvalidCursor:
        page = queries.list_transactions(app.uow(), company_id, filters.query(), PAGE_SIZE)
        after = ""
    partial = request.headers.get("HX-Request") == "true" and bool(after)
    counts = {} if partial else queries.status_counts(app.uow(), company_id, filters.query())
    can_select = selectable(who, filters)
    if can_select and not partial:
        context = {**coding_form.picker_context(app, company_id), **context}
    return render(
        request,
        "transactions_rows.html" if partial else "transactions.html",
        who,
        status,
        active="transactions",
        tabs=TABS,
        counts=counts,
        count_cap=queries.COUNT_CAP,
        max_selection=MAX_SELECTION,
        filters=filters,
        page=page,
        after=after,
        selectable=can_select,
        **context,
    )


def selectable(who: Viewer, filters: Filters) -> bool:
    """Rows get a checkbox (for the bulk bar) on the tabs where prep happens."""
    return who.can_change and filters.status in PREP_TABS


@router.get("/transactions/import", response_model=None)
def import_form(request: Request) -> HTMLResponse:
    who = viewer(request)
    require_role(who.principal, "bookkeeper")
    return render(request, "transactions_import.html", who, active="transactions")


@router.post("/transactions/import", response_model=None)
def import_file(
    request: Request, csrf_token: str = Form(""), file: UploadFile | None = File(None)
) -> HTMLResponse:
    who = viewer(request)
    check_csrf(request, who, csrf_token)
    company = require_role(who.principal, "bookkeeper")
    app = container(request)
    if file is None:
        problem = N_("choose a CSV file to import")
        return render(request, "transactions_import.html", who, 400, problem=problem)
    context: dict[str, Any] = {"active": "transactions", "filename": file.filename or ""}
    try:
        result = csv_import.import_csv(app.uow(), company.id, file.file, actor=who.principal.actor)
    except csv_import.CsvImportError as error:
        context.update(problem=str(error), errors=error.errors, total=error.total)
        return render(request, "transactions_import.html", who, 422, **context)
    context["result"] = result
    return render(request, "transactions_import.html", who, **context)


@router.get("/transactions/{transaction_id}", response_model=None)
def drawer(request: Request, transaction_id: uuid.UUID, notice: str = "") -> HTMLResponse:
    who = viewer(request)
    company = require_role(who.principal, "viewer")
    return drawer_page(request, who, company.id, transaction_id, notice=NOTICES.get(notice))


def drawer_page(
    request: Request,
    who: Viewer,
    company_id: uuid.UUID,
    transaction_id: uuid.UUID,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    app = container(request)
    upkeep.note_prep_activity(app.uow, company_id, app.now)
    detail = queries.get_transaction(app.uow(), company_id, transaction_id)
    if detail is None:
        raise NotFoundError(f"transaction {transaction_id} not found")
    partial = request.headers.get("HX-Request") == "true"
    limits = receipts.ReceiptLimits(app.settings.receipt_max_bytes, app.settings.receipt_warn_bytes)
    form: coding_form.CodingForm | None = context.pop("form", None)
    problems = context.pop("problems", None)
    if problems is None and form is None:
        problems = coding.problems_of(app.uow, company_id, transaction_id)
    editing = coding_form.form_context(app, company_id, detail, form, problems)
    period_choice = coding.period_choice_of(app.uow, company_id, transaction_id)
    return render(
        request,
        "transaction_drawer.html" if partial else "transaction.html",
        who,
        status,
        active="transactions",
        detail=detail,
        txn=detail.transaction,
        status_names=STATUS_NAMES,
        editable=ExportStatus(detail.transaction.status).coding_editable,
        max_mb=limits.max_bytes // 1_000_000,
        period_choice=period_choice,
        **editing,
        **context,
    )


@router.post("/transactions/{transaction_id}/receipts", response_model=None)
def upload(
    request: Request,
    transaction_id: uuid.UUID,
    csrf_token: str = Form(""),
    file: UploadFile | None = File(None),
) -> Response:
    who = viewer(request)
    check_csrf(request, who, csrf_token)
    company = require_role(who.principal, "bookkeeper")
    app = container(request)
    if file is None:
        problem = N_("choose a receipt file to upload")
        return drawer_page(request, who, company.id, transaction_id, 400, problem=problem)
    limits = receipts.ReceiptLimits(app.settings.receipt_max_bytes, app.settings.receipt_warn_bytes)
    data = file.file.read(limits.max_bytes + 1)
    try:
        added = receipts.add_receipt(
            app.uow(),
            app.receipts,
            company.id,
            transaction_id,
            data,
            file.filename or "receipt",
            actor=who.principal.actor,
            limits=limits,
            real_size=file.size,
        )
    except receipts.ReceiptRefused as error:
        return drawer_page(request, who, company.id, transaction_id, 400, problem=problem_of(error))
    notice = "duplicate" if added.duplicate else "uploaded"
    if request.headers.get("HX-Request") == "true":
        return drawer_page(
            request, who, company.id, transaction_id, notice=NOTICES[notice], warning=added.warning
        )
    return back_to(f"/transactions/{transaction_id}?notice={notice}")


@router.post("/transactions/{transaction_id}/receipts/{receipt_id}/remove", response_model=None)
def remove(
    request: Request, transaction_id: uuid.UUID, receipt_id: uuid.UUID, csrf_token: str = Form("")
) -> Response:
    who = viewer(request)
    check_csrf(request, who, csrf_token)
    company = require_role(who.principal, "bookkeeper")
    app = container(request)
    try:
        receipts.remove_receipt(
            app.uow(), company.id, transaction_id, receipt_id, actor=who.principal.actor
        )
    except receipts.ReceiptLocked as error:
        return drawer_page(request, who, company.id, transaction_id, 409, problem=problem_of(error))
    return back_to(f"/transactions/{transaction_id}?notice=removed")


@router.get("/transactions/{transaction_id}/receipts/{receipt_id}/view", response_model=None)
def view_receipt(request: Request, transaction_id: uuid.UUID, receipt_id: uuid.UUID) -> Response:
    """The file inline, for the preview: its own type, never sniffed, sandboxed."""
    who = viewer(request)
    company = require_role(who.principal, "viewer")
    app = container(request)
    found = receipts.receipt_file(app.uow(), app.receipts, company.id, transaction_id, receipt_id)
    # Only types recognised by their content are stored (PDF, images): safe inline.
    headers = {
        "Content-Disposition": "inline",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, max-age=300",
    }
    return Response(found.data, media_type=found.content_type, headers=headers)
