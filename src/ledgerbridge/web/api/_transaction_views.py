"""JSON shapes of the transaction API (documentation models and stored value → JSON)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, Field

from ledgerbridge.domain.money import MINOR_UNITS, round_cents
from ledgerbridge.domain.transactions import MAX_TEXT_LENGTH
from ledgerbridge.services.transactions.intake import MAX_BATCH, BatchResult, ItemError
from ledgerbridge.services.transactions.query import CodingLineView, ReceiptView, TransactionView


class TransactionIn(BaseModel):
    """One incoming transaction. Amounts are strings ("-12.34"; money out is negative);
    exact JSON numbers are accepted too, but never one that loses precision."""

    external_id: str = Field(
        max_length=MAX_TEXT_LENGTH["external_id"], examples=["card-2026-000123"]
    )
    booking_date: str = Field(examples=["2026-11-20"])
    settlement_date: str | None = None
    kind: str = Field("card_payment", examples=["card_payment", "refund", "fee", "transfer"])
    amount: str = Field(examples=["-42.50"])
    currency: str = Field(examples=["EUR"])
    original_amount: str | None = Field(None, examples=["-45.99"])
    original_currency: str | None = Field(None, examples=["USD"])
    fx_rate: str | None = Field(None, description="Account currency per original unit.")
    merchant_name: str = ""
    merchant_country: str | None = Field(None, examples=["NL"])
    mcc: str | None = Field(None, examples=["5411"])
    cardholder: str = ""
    card_last4: str | None = Field(None, examples=["4242"])
    description: str = ""


def batch_schema() -> dict[str, Any]:
    """OpenAPI schema of a batch body (inlined: the route reads the raw JSON itself)."""
    return {
        "type": "object",
        "required": ["transactions"],
        "properties": {
            "transactions": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_BATCH,
                "items": TransactionIn.model_json_schema(),
            }
        },
    }


def money_text(amount: Any, currency: str) -> str | None:
    if amount is None:
        return None
    return str(round_cents(amount, MINOR_UNITS.get(currency, 2)))


def transaction_json(row: TransactionView) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "external_id": row.external_id,
        "kind": row.kind,
        "booking_date": row.booking_date.isoformat(),
        "settlement_date": row.settlement_date.isoformat() if row.settlement_date else None,
        "merchant_name": row.merchant_name,
        "merchant_country": row.merchant_country,
        "mcc": row.mcc,
        "cardholder": row.cardholder,
        "card_last4": row.card_last4,
        "description": row.description,
        "amount": money_text(row.amount, row.currency),
        "currency": row.currency,
        "original_amount": money_text(row.original_amount, row.original_currency),
        "original_currency": row.original_currency,
        "fx_rate": None if row.fx_rate is None else str(row.fx_rate.normalize()),
        "status": row.status,
        "status_reason": row.status_reason,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
        "has_receipt": row.has_receipt,
        "rule_id": None if row.rule_id is None else str(row.rule_id),
        "post_in_first_open_period": row.post_in_first_open_period,
    }


def coding_line_json(row: CodingLineView, currency: str) -> dict[str, Any]:
    return {
        "position": row.position,
        "gl_account": row.gl_account,
        "vat_code": row.vat_code,
        "cost_center": row.cost_center,
        "cost_unit": row.cost_unit,
        "project": row.project,
        "amount": money_text(row.amount, currency),
        "description": row.description,
    }


def receipt_json(row: ReceiptView) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "filename": row.filename,
        "content_type": row.content_type,
        "size_bytes": row.size_bytes,
        "sha256": row.sha256,
        "uploaded_by": row.uploaded_by,
        "created_at": row.created_at.isoformat(),
    }


def attachment_disposition(filename: str) -> str:
    """``Content-Disposition`` for a download (RFC 6266): an ASCII ``filename`` with
    anything unsafe replaced by ``_`` for old clients, and the exact name as
    RFC 5987 ``filename*`` (UTF-8, percent-encoded)."""
    fallback = "".join(c if " " <= c <= "~" and c not in '"\\;%' else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def error_json(error: ItemError) -> dict[str, Any]:
    found: dict[str, Any] = {"field": error.field, "message": error.message}
    if error.index is not None:
        found["index"] = error.index
    if error.line is not None:
        found["line"] = error.line
    found["external_id"] = error.external_id
    return found


def batch_json(result: BatchResult) -> dict[str, Any]:
    items = []
    for item in result.items:
        entry: dict[str, Any] = {
            "index": item.index,
            "external_id": item.external_id,
            "result": item.outcome,
            "id": str(item.id),
        }
        if item.conflicting_fields:
            entry["conflicting_fields"] = list(item.conflicting_fields)
            entry["message"] = (
                "a transaction with this external_id exists with different "
                f"{', '.join(item.conflicting_fields)}; it was left unchanged"
            )
        items.append(entry)
    counts = {k: result.count(k) for k in ("created", "unchanged", "conflict")}
    return {"counts": counts, "items": items}
