"""Exact Online master-data records → domain ``Dimension`` values. Pure functions.

The attribute shapes are the shared contract (see domain.dimensions): decimals
as strings, dates as ISO strings, VAT percentages as fractions (0.21 = 21 %).
Records are read through the read-only protocols of ``dimension_records``, so
any object with the client's field names maps (the client's dataclasses, test doubles).

Exact's data is not always tidy: codes come padded, numbers as strings, flags
as null. Each mapper tolerates that where the meaning stays clear and raises
``UnusableRecord`` (naming the record and the problem) where it does not; the
sync skips such a record and names it in its summary.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from ledgerbridge.domain.dimensions import Dimension, DimensionKind, DimensionSource
from ledgerbridge.exact.odata import parse_decimal
from ledgerbridge.services.dimensions.records import (
    CostRecord,
    DocumentTypeRecord,
    GLAccountRecord,
    JournalRecord,
    ProjectRecord,
    SupplierRecord,
    VatCodeRecord,
)

K = DimensionKind


class UnusableRecord(ValueError):
    """An Exact record that cannot become a dimension; the message says which and why."""

    def __init__(self, kind: DimensionKind, key: object, problem: str) -> None:
        self.kind = kind
        self.key = str(key)
        self.problem = problem
        super().__init__(f"{kind.value} {key}: {problem}")


# -- tolerant readers ------------------------------------------------------------------------


def text(value: object) -> str | None:
    """A trimmed string, or None for null/blank. Numbers become their digits."""
    if value is None or isinstance(value, bool):
        return None
    cleaned = str(value).strip()
    return cleaned or None


def whole(value: object, default: int | None = None) -> int | None:
    """An int from an int or a numeric string ('22', ' 22 ', '22.0'); ``default`` otherwise."""
    if isinstance(value, bool) or value is None:
        return default
    if isinstance(value, int):
        return value
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return default
    return int(number) if number.is_finite() and number == int(number) else default


def flag(value: object) -> bool:
    """Exact's booleans, also when sent as 0/1 or 'true'/'false'; null is False."""
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes"}
    return bool(value)


def day(value: object) -> date | None:
    """The calendar date of a date, datetime or ISO string; None when absent or unreadable."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    found = text(value)
    if found is None:
        return None
    try:
        return date.fromisoformat(found[:10])
    except ValueError:
        return None


def fraction(value: object) -> str | None:
    """A decimal as a normalised string ('0.21'); floats go through ``str`` to stay exact."""
    number = parse_decimal(value, places=None)
    if number is None:
        return None
    return format(number.normalize(), "f") if number != 0 else "0"


# Column sizes of the dimensions table: longer codes cannot be stored, names are cut.
MAX_CODE, MAX_NAME = 64, 255


def _required_code(kind: DimensionKind, record: object, value: object) -> str:
    code = text(value)
    if code is None:
        raise UnusableRecord(kind, text(getattr(record, "id", None)) or "?", "has no code")
    if len(code) > MAX_CODE:
        raise UnusableRecord(kind, code[:20] + "…", f"has a code longer than {MAX_CODE}")
    return code


def _exact(kind: DimensionKind, code: str, name: object, record: object) -> Dimension:
    return Dimension(
        kind=kind,
        code=code,
        name=(text(name) or code)[:MAX_NAME],
        source=DimensionSource.EXACT,
        exact_id=text(getattr(record, "id", None)),
    )


# -- mappers ---------------------------------------------------------------------------------


def gl_account(record: GLAccountRecord) -> Dimension:
    code = _required_code(K.GL_ACCOUNT, record, record.code)
    gl_type = whole(record.type)
    if gl_type is None:
        raise UnusableRecord(K.GL_ACCOUNT, code, f"has no readable type ({record.type!r})")
    balance = text(record.balance_type)
    attributes: dict[str, object] = {
        "type": gl_type,
        "balance_type": balance.upper() if balance else None,
        "use_cost_center": _usage(record.use_cost_center),
        "use_cost_unit": _usage(record.use_cost_unit),
        "default_vat_code": text(record.vat_code),
    }
    base = _exact(K.GL_ACCOUNT, code, record.description, record)
    return replace(base, blocked=flag(record.blocked), attributes=attributes)


def _usage(value: object) -> int:
    """UseCostcenter/UseCostunit: 0 optional, 1 mandatory, 2 not allowed; unknown → optional."""
    found = whole(value, 0)
    return found if found in (0, 1, 2) else 0


def vat_code(record: VatCodeRecord) -> Dimension:
    code = _required_code(K.VAT_CODE, record, record.code)
    vat_type = (text(record.type) or "").upper()
    if vat_type not in {"E", "I", "B", "N"}:
        raise UnusableRecord(K.VAT_CODE, code, f"has an unknown VAT type ({record.type!r})")
    transaction_type = (text(record.transaction_type) or "B").upper()
    attributes: dict[str, object] = {
        "type": vat_type,
        "transaction_type": transaction_type if transaction_type in {"P", "S", "B"} else "B",
        "reverse_charge": flag(record.charged),
        "percentages": _percentages(record),
    }
    base = _exact(K.VAT_CODE, code, record.description, record)
    return replace(base, blocked=flag(record.blocked), attributes=attributes)


def _percentages(record: VatCodeRecord) -> list[dict[str, str | None]]:
    periods = record.percentages if isinstance(record.percentages, (list, tuple)) else ()
    found = [
        {"percentage": share, "start": _iso(day(p.start)), "end": _iso(day(p.end))}
        for p in periods
        if (share := fraction(getattr(p, "percentage", None))) is not None
    ]
    if not found and (current := fraction(record.percentage)) is not None:
        # No dated rates listed: the current rate holds without limits.
        found = [{"percentage": current, "start": None, "end": None}]
    return found


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def cost_center(record: CostRecord) -> Dimension:
    return _cost(K.COST_CENTER, record)


def cost_unit(record: CostRecord) -> Dimension:
    return _cost(K.COST_UNIT, record)


def _cost(kind: DimensionKind, record: CostRecord) -> Dimension:
    code = _required_code(kind, record, record.code)
    base = _exact(kind, code, record.description, record)
    return replace(base, valid_until=day(record.end_date))


def project(record: ProjectRecord) -> Dimension:
    code = _required_code(K.PROJECT, record, record.code)
    base = _exact(K.PROJECT, code, record.description, record)
    return replace(
        base,
        valid_from=day(record.start_date),
        valid_until=day(record.end_date),
        attributes={"type": whole(record.type)},
    )


def journal(record: JournalRecord) -> Dimension:
    code = _required_code(K.JOURNAL, record, record.code)
    currency = text(record.currency)
    attributes: dict[str, object] = {
        "type": whole(record.type),
        "currency": currency.upper() if currency else None,
    }
    base = _exact(K.JOURNAL, code, record.description, record)
    return replace(base, blocked=flag(record.blocked), attributes=attributes)


def supplier(record: SupplierRecord) -> Dimension | None:
    """The supplier, or None when the Exact account is not (or no longer) a supplier."""
    if not flag(record.is_supplier):
        return None
    if text(record.id) is None:
        raise UnusableRecord(K.SUPPLIER, text(record.code) or "?", "has no ID")
    code = _required_code(K.SUPPLIER, record, record.code)
    country = text(record.country)
    attributes: dict[str, object] = {
        "vat_number": text(record.vat_number),
        "coc_number": text(record.coc_number),
        "country": country.upper() if country else None,
        "purchase_vat_code": text(record.purchase_vat_code),
    }
    base = _exact(K.SUPPLIER, code, record.name, record)
    return replace(base, blocked=flag(record.blocked), attributes=attributes)


def document_type(record: DocumentTypeRecord) -> Dimension:
    code = whole(record.id)
    if code is None:
        raise UnusableRecord(K.DOCUMENT_TYPE, text(record.id) or "?", "has no numeric ID")
    return Dimension(
        kind=K.DOCUMENT_TYPE,
        code=str(code),
        name=text(record.description) or str(code),
        source=DimensionSource.EXACT,
        exact_id=str(code),
        attributes={"category": whole(record.category), "creatable": flag(record.creatable)},
    )
