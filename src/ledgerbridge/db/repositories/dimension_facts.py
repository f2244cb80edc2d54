"""Typed dimension facts ⇄ the JSONB ``attributes`` column: the only place facts are JSON.

The layout is the one the dimensions table has always held (decimals as strings,
dates as ISO strings, VAT percentages as fractions):

- gl_account: ``type``, ``balance_type``, ``use_cost_center``, ``use_cost_unit``,
  ``default_vat_code``, ``default_cost_center``, ``default_cost_unit`` (the last two
  since migration 0017);
- vat_code: ``type``, ``transaction_type``, ``reverse_charge``,
  ``percentages`` [{``percentage``, ``start``, ``end``}];
- project: ``type``; journal: ``type``, ``currency``;
- supplier: ``vat_number``, ``coc_number``, ``country``, ``purchase_vat_code``;
- document_type: ``category``, ``creatable``.

Reading is strict: a fact missing from an Exact value's row, or of the wrong
type, raises ``UnreadableFacts`` naming the value and the key; nothing is
silently defaulted. Local values carry no facts (their ``attributes`` are
ignored): Exact's facts arrive with Exact's values on connect.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import fields
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, TypeVar

from ledgerbridge.domain.dimension_facts import (
    CostRule,
    DimensionFacts,
    DocumentTypeFacts,
    GLAccountFacts,
    JournalFacts,
    ProjectFacts,
    SupplierFacts,
    VatCodeFacts,
    VatRate,
    VatTransactionType,
    VatType,
)
from ledgerbridge.domain.dimensions import FACTS_OF, DimensionKind, DimensionSource

T = TypeVar("T")
Json = dict[str, Any]


class UnreadableFacts(ValueError):
    """A stored row whose facts do not fit its kind; the message names value and key."""


def facts_to_json(facts: DimensionFacts | None) -> Json:
    """The ``attributes`` column value for ``facts`` ({} for none)."""
    if facts is None:
        return {}
    if isinstance(facts, VatCodeFacts):
        return {
            "type": facts.type.value,
            "transaction_type": facts.transaction_type.value,
            "reverse_charge": facts.reverse_charge,
            "percentages": [_rate_json(rate) for rate in facts.percentages],
        }
    return {f.name: _plain(getattr(facts, f.name)) for f in fields(facts)}


def _plain(value: object) -> object:
    return value.value if isinstance(value, Enum) else value


def _rate_json(rate: VatRate) -> Json:
    fraction = rate.fraction.normalize() if rate.fraction != 0 else Decimal(0)
    return {
        "percentage": format(fraction, "f"),
        "start": rate.start.isoformat() if rate.start else None,
        "end": rate.end.isoformat() if rate.end else None,
    }


def facts_from_json(
    kind: DimensionKind, source: DimensionSource, code: str, data: Mapping[str, Any]
) -> DimensionFacts | None:
    """The typed facts of a stored row; raises ``UnreadableFacts`` when they do not fit."""
    if source is DimensionSource.LOCAL or kind not in FACTS_OF:
        return None
    reader = _READERS[kind]
    try:
        return reader(data)
    except KeyError as exc:
        raise UnreadableFacts(f"{kind.label} {code} lacks its {exc} fact") from exc
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise UnreadableFacts(f"{kind.label} {code} has unreadable facts: {exc}") from exc


def _typed(data: Mapping[str, Any], key: str, kind: type[T]) -> T:
    """``data[key]``, which must be present and a ``kind`` (an int is no bool)."""
    value = data[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TypeError(f"{key} must be {kind.__name__}, got {value!r}")
    return value


def _optional(data: Mapping[str, Any], key: str, kind: type[T]) -> T | None:
    """``data[key]``, which must be present: a ``kind`` or null."""
    return None if data[key] is None else _typed(data, key, kind)


def _text(data: Mapping[str, Any], key: str) -> str | None:
    return _optional(data, key, str)


def _whole(data: Mapping[str, Any], key: str) -> int | None:
    return _optional(data, key, int)


def _gl_account(data: Mapping[str, Any]) -> GLAccountFacts:
    return GLAccountFacts(
        type=_typed(data, "type", int),
        balance_type=_text(data, "balance_type"),
        use_cost_center=CostRule(_typed(data, "use_cost_center", int)),
        use_cost_unit=CostRule(_typed(data, "use_cost_unit", int)),
        default_vat_code=_text(data, "default_vat_code"),
        default_cost_center=_text(data, "default_cost_center"),
        default_cost_unit=_text(data, "default_cost_unit"),
    )


def _vat_code(data: Mapping[str, Any]) -> VatCodeFacts:
    return VatCodeFacts(
        type=VatType(_typed(data, "type", str)),
        transaction_type=VatTransactionType(_typed(data, "transaction_type", str)),
        reverse_charge=_typed(data, "reverse_charge", bool),
        percentages=tuple(_rate(item) for item in _typed(data, "percentages", list)),
    )


def _rate(item: object) -> VatRate:
    if not isinstance(item, dict):
        raise TypeError(f"a percentage must be an object, got {item!r}")
    try:
        fraction = Decimal(_typed(item, "percentage", str))
    except InvalidOperation as exc:
        raise ValueError(f"percentage {item['percentage']!r} is not a number") from exc
    return VatRate(fraction, _day(item, "start"), _day(item, "end"))


def _day(data: Mapping[str, Any], key: str) -> date | None:
    found = _text(data, key)
    return date.fromisoformat(found) if found else None


_READERS: dict[DimensionKind, Callable[[Mapping[str, Any]], DimensionFacts]] = {
    DimensionKind.GL_ACCOUNT: _gl_account,
    DimensionKind.VAT_CODE: _vat_code,
    DimensionKind.PROJECT: lambda d: ProjectFacts(type=_whole(d, "type")),
    DimensionKind.JOURNAL: lambda d: JournalFacts(
        type=_whole(d, "type"), currency=_text(d, "currency")
    ),
    DimensionKind.SUPPLIER: lambda d: SupplierFacts(
        vat_number=_text(d, "vat_number"),
        coc_number=_text(d, "coc_number"),
        country=_text(d, "country"),
        purchase_vat_code=_text(d, "purchase_vat_code"),
    ),
    DimensionKind.DOCUMENT_TYPE: lambda d: DocumentTypeFacts(
        category=_whole(d, "category"), creatable=_typed(d, "creatable", bool)
    ),
}
