"""Transaction intake API: batches, listing, detail, CSV upload, receipts.

Thin: translate HTTP to a service call and the result back. The company is the
caller's (API key or session, see ``web.deps.current_company``); the audit log
names the caller.
"""

from __future__ import annotations

import json
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, File, HTTPException, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from ledgerbridge.bootstrap import Container
from ledgerbridge.domain.export_status import ExportStatus
from ledgerbridge.services.transactions import csv_import, intake, receipts
from ledgerbridge.services.transactions import query as queries
from ledgerbridge.web.api import _transaction_views as views
from ledgerbridge.web.deps import CurrentCompany, container, current_actor, current_company
from ledgerbridge.web.text_input import KeepableText, StrictJsonRoute, invalid_text_at

router = APIRouter(
    prefix="/api/v1/transactions", tags=["transactions"], route_class=StrictJsonRoute
)
BATCH_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": views.batch_schema()}},
    }
}


def _rejected(message: str, errors: list[dict[str, Any]], total: int | None = None) -> JSONResponse:
    body: dict[str, Any] = {"detail": message, "errors": errors}
    if total is not None:
        body["total_errors"] = total
    return JSONResponse(body, status_code=422)


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number")


def _batch_items(body: bytes) -> list[Any]:
    """The items of a batch body, with JSON numbers kept exact (as Decimal)."""
    try:
        data = json.loads(body, parse_float=Decimal, parse_constant=_refuse_constant)
    except ValueError as error:
        raise HTTPException(422, f"the body is not valid JSON: {error}") from None
    except RecursionError:
        raise HTTPException(422, "the body is not valid JSON: it is nested too deeply") from None
    if found := invalid_text_at(data):
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in found[0])
        raise HTTPException(422, f"the body at {where.lstrip('.') or 'top level'} {found[1]}")
    if not isinstance(data, dict) or not isinstance(data.get("transactions"), list):
        raise HTTPException(422, 'the body must be an object {"transactions": [...]}')
    items: list[Any] = data["transactions"]
    return items


@router.post("", openapi_extra=BATCH_SCHEMA, summary="Receive a batch of up to 1,000")
async def post_transactions(
    request: Request,
    company: CurrentCompany = Depends(current_company),
    actor: str = Depends(current_actor),
    app: Container = Depends(container),
) -> Any:
    """Idempotent by external_id: created / unchanged / conflict per item.

    Any bad item → 422 listing every problem (index, external_id, field,
    message); nothing is saved.
    """
    items = _batch_items(await request.body())
    try:
        result = await run_in_threadpool(
            intake.ingest_batch, app.uow(), company.id, items, actor=actor
        )
    except intake.BatchRejected as rejected:
        return _rejected(str(rejected), [views.error_json(e) for e in rejected.errors])
    return views.batch_json(result)


@router.get("", summary="List transactions (newest first, keyset pagination)")
def list_transactions(
    status: ExportStatus | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    merchant: KeepableText | None = Query(None, description="Part of the merchant name, any case."),
    amount_min: Decimal | None = Query(None, description="Signed: money out is negative."),
    amount_max: Decimal | None = None,
    has_receipt: bool | None = None,
    cardholder: KeepableText | None = Query(None, description="Part of the cardholder's name."),
    currency: str | None = Query(None, pattern="^[A-Za-z]{3}$"),
    q: KeepableText | None = Query(
        None, description="Part of the merchant, description, cardholder or external id."
    ),
    limit: int = Query(50, ge=1, le=500),
    cursor: str | None = Query(None, description="next_cursor of the previous page."),
    company: CurrentCompany = Depends(current_company),
    app: Container = Depends(container),
) -> dict[str, Any]:
    filters = queries.TransactionFilter(
        status, date_from, date_to, merchant, amount_min, amount_max, has_receipt,
        cardholder, currency, q,
    )  # fmt: skip
    page = queries.list_transactions(app.uow(), company.id, filters, limit, cursor)
    items = [views.transaction_json(t) for t in page.items]
    answer: dict[str, Any] = {"items": items, "next_cursor": page.next_cursor}
    if cursor is None:  # the first page also says how many match, per export status
        answer["counts"] = queries.status_counts(app.uow(), company.id, filters)
        answer["counts_cap"] = queries.COUNT_CAP  # a count this high means "or more"
    return answer


@router.get("/{transaction_id}", summary="One transaction with coding lines and receipts")
def get_transaction(
    transaction_id: uuid.UUID,
    company: CurrentCompany = Depends(current_company),
    app: Container = Depends(container),
) -> dict[str, Any]:
    detail = queries.get_transaction(app.uow(), company.id, transaction_id)
    if detail is None:
        raise HTTPException(404, f"transaction {transaction_id} not found")
    found = views.transaction_json(detail.transaction)
    currency = detail.transaction.currency
    found["coding_lines"] = [views.coding_line_json(line, currency) for line in detail.coding_lines]
    found["receipts"] = [views.receipt_json(f) for f in detail.receipts]
    return found


@router.post("/import", summary="Import a CSV file (same rules as the CLI)")
def import_transactions(
    file: UploadFile = File(..., description="CSV, UTF-8; ',' or ';'; see README"),
    company: CurrentCompany = Depends(current_company),
    actor: str = Depends(current_actor),
    app: Container = Depends(container),
) -> Any:
    """All-or-nothing: any bad row → 422 listing each with its line; nothing saved."""
    try:
        result = csv_import.import_csv(app.uow(), company.id, file.file, actor=actor)
    except csv_import.CsvImportError as error:
        return _rejected(str(error), [views.error_json(e) for e in error.errors], error.total)
    return {
        "rows": result.rows,
        "created": result.created,
        "skipped_existing": result.skipped_existing,
    }


@router.post(
    "/{transaction_id}/receipts",
    status_code=201,
    summary="Attach a receipt file",
    responses={200: {"description": "These bytes were already attached: that receipt"}},
)
def post_receipt(
    transaction_id: uuid.UUID,
    file: UploadFile = File(..., description="PDF, JPEG, PNG, HEIC, WebP or GIF"),
    company: CurrentCompany = Depends(current_company),
    actor: str = Depends(current_actor),
    app: Container = Depends(container),
) -> JSONResponse:
    """415 when the content is not an accepted type, 413 above the size limit.

    The same bytes again on the same transaction: 200 with the existing
    receipt and ``"duplicate": true``; nothing is added.
    """
    limits = receipts.ReceiptLimits(app.settings.receipt_max_bytes, app.settings.receipt_warn_bytes)
    # One byte over the limit is enough to know it is too large; never read more.
    data = file.file.read(limits.max_bytes + 1)
    added = receipts.add_receipt(
        app.uow(),
        app.receipts,
        company.id,
        transaction_id,
        data,
        file.filename or "receipt",
        actor=actor,
        limits=limits,
        real_size=file.size,
    )
    body = {
        "id": str(added.id),
        "transaction_id": str(added.transaction_id),
        "filename": added.filename,
        "content_type": added.content_type,
        "size_bytes": added.size_bytes,
        "sha256": added.sha256,
        "warning": added.warning,
        "duplicate": added.duplicate,
    }
    return JSONResponse(body, status_code=200 if added.duplicate else 201)


@router.get("/{transaction_id}/receipts", summary="The receipts of a transaction")
def list_receipts(
    transaction_id: uuid.UUID,
    company: CurrentCompany = Depends(current_company),
    app: Container = Depends(container),
) -> dict[str, Any]:
    found = receipts.list_receipts(app.uow(), company.id, transaction_id)
    return {"items": [views.receipt_json(r) for r in found]}


@router.get(
    "/{transaction_id}/receipts/{receipt_id}/file",
    summary="Download a receipt file",
    response_class=Response,
    responses={200: {"description": "The file, as an attachment", "content": {"*/*": {}}}},
)
def download_receipt(
    transaction_id: uuid.UUID,
    receipt_id: uuid.UUID,
    company: CurrentCompany = Depends(current_company),
    app: Container = Depends(container),
) -> Response:
    found = receipts.receipt_file(app.uow(), app.receipts, company.id, transaction_id, receipt_id)
    headers = {
        "Content-Disposition": views.attachment_disposition(found.filename),
        "X-Content-Type-Options": "nosniff",
    }
    return Response(found.data, media_type=found.content_type, headers=headers)


@router.delete(
    "/{transaction_id}/receipts/{receipt_id}",
    status_code=204,
    response_class=Response,
    summary="Remove a receipt (not once the transaction is exported: 409)",
)
def delete_receipt(
    transaction_id: uuid.UUID,
    receipt_id: uuid.UUID,
    company: CurrentCompany = Depends(current_company),
    actor: str = Depends(current_actor),
    app: Container = Depends(container),
) -> Response:
    receipts.remove_receipt(app.uow(), company.id, transaction_id, receipt_id, actor=actor)
    return Response(status_code=204)
