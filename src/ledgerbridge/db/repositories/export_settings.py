"""A company's export settings ⇄ the JSONB ``settings`` column: the only place they are JSON.

Reading is strict, as for dimension facts: a key missing or of the wrong type raises
``UnreadableSettings`` naming the key, never a silent default. A company that never saved
its settings gets ``ExportSettings()`` (nothing chosen yet).
"""

from __future__ import annotations

import uuid
from dataclasses import fields
from typing import Any

from sqlalchemy.orm import Session

from ledgerbridge.db.models.export_settings import ExportSettingsRow
from ledgerbridge.domain.export_settings import ExportSettings, ReceiptPolicy, SupplierStrategy

TEXTS = (
    "purchase_journal",
    "bank_journal",
    "generic_supplier",
    "creditors_account",
    "card_account",
    "vat_to_claim_account",
    "vat_to_pay_account",
)


class UnreadableSettings(ValueError):
    """Stored settings that do not fit ``ExportSettings``; the message names the key."""


def settings_to_json(settings: ExportSettings) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for f in fields(settings):
        value = getattr(settings, f.name)
        if f.name == "merchant_suppliers":
            value = [[name, code] for name, code in value]
        elif isinstance(value, SupplierStrategy | ReceiptPolicy):
            value = value.value
        found[f.name] = value
    return found


def settings_from_json(data: dict[str, Any]) -> ExportSettings:
    def typed(key: str, kind: type | tuple[type, ...]) -> Any:
        if key not in data:
            raise UnreadableSettings(f"export settings lack {key!r}")
        if not isinstance(data[key], kind) or (kind is int and isinstance(data[key], bool)):
            raise UnreadableSettings(f"export settings: {key!r} is not {kind}")
        return data[key]

    try:
        pairs = typed("merchant_suppliers", list)
        merchants = tuple((str(name), str(code)) for name, code in pairs)
        return ExportSettings(
            **{key: typed(key, (str, type(None))) for key in TEXTS},
            supplier_strategy=SupplierStrategy(typed("supplier_strategy", str)),
            merchant_suppliers=merchants,
            description_template=typed("description_template", str),
            receipt_policy=ReceiptPolicy(typed("receipt_policy", str)),
            document_type=typed("document_type", int),
            book_in_original_currency=typed("book_in_original_currency", bool),
            create_missing_suppliers=typed("create_missing_suppliers", bool),
        )
    except (ValueError, TypeError) as error:
        raise UnreadableSettings(f"export settings: {error}") from error


class ExportSettingsRepository:
    """Reads and stores one company's settings; part of the caller's unit of work."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, company_id: uuid.UUID) -> ExportSettings:
        row = self.session.get(ExportSettingsRow, company_id)
        return ExportSettings() if row is None else settings_from_json(row.settings)

    def save(self, company_id: uuid.UUID, settings: ExportSettings, *, actor: str) -> None:
        row = self.session.get(ExportSettingsRow, company_id, with_for_update=True)
        if row is None:
            row = ExportSettingsRow(company_id=company_id, settings={}, updated_by=actor)
            self.session.add(row)
        row.settings = settings_to_json(settings)
        row.updated_by = actor
        self.session.flush()
