"""Exact Online master-data records → domain ``Dimension`` values. Pure functions.

The records come typed from ``exact.master_data`` (parsed once, there: trimmed
codes, ints, Decimals, dates); this module turns each into a dimension with its
typed facts (``domain.dimension_facts``). Where a record's meaning is unclear
(no code, a code too long to store, no GL type, an unknown VAT type) it raises
``UnusableRecord`` naming the record and the problem; the sync skips such a
record and names it in its summary.
"""

from __future__ import annotations

from dataclasses import replace

from ledgerbridge.domain.dimension_facts import (
    CostRule,
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
from ledgerbridge.domain.dimensions import Dimension, DimensionKind, DimensionSource
from ledgerbridge.exact.models import (
    CostCenter,
    DocumentType,
    GLAccount,
    Journal,
    Project,
    Supplier,
    VatCode,
)

K = DimensionKind


class UnusableRecord(ValueError):
    """An Exact record that cannot become a dimension; the message says which and why."""

    def __init__(self, kind: DimensionKind, key: object, problem: str) -> None:
        self.kind = kind
        self.key = str(key)
        self.problem = problem
        super().__init__(f"{kind.value} {key}: {problem}")


# Column sizes of the dimensions table: longer codes cannot be stored, names are cut.
MAX_CODE, MAX_NAME = 64, 255


def _required_code(kind: DimensionKind, ident: str | None, code: str | None) -> str:
    if not code:
        raise UnusableRecord(kind, ident or "?", "has no code")
    if len(code) > MAX_CODE:
        raise UnusableRecord(kind, code[:20] + "…", f"has a code longer than {MAX_CODE}")
    return code


def _exact(kind: DimensionKind, code: str, name: str | None, ident: str | None) -> Dimension:
    return Dimension(
        kind=kind,
        code=code,
        name=(name or code)[:MAX_NAME],
        source=DimensionSource.EXACT,
        exact_id=ident or None,
    )


def _upper(value: str | None) -> str | None:
    return value.upper() if value else None


# -- mappers ---------------------------------------------------------------------------------


def gl_account(record: GLAccount) -> Dimension:
    code = _required_code(K.GL_ACCOUNT, record.id, record.code)
    if record.type is None:
        raise UnusableRecord(K.GL_ACCOUNT, code, "has no readable type")
    facts = GLAccountFacts(
        type=record.type,
        balance_type=_upper(record.balance_type),
        use_cost_center=_cost_rule(record.use_cost_center),
        use_cost_unit=_cost_rule(record.use_cost_unit),
        default_vat_code=record.vat_code,
        default_cost_center=record.cost_center,
        default_cost_unit=record.cost_unit,
    )
    base = _exact(K.GL_ACCOUNT, code, record.description, record.id)
    return replace(base, blocked=record.blocked, facts=facts)


def _cost_rule(value: int) -> CostRule:
    """UseCostcenter/UseCostunit: 0 optional, 1 mandatory, 2 not allowed; unknown → optional."""
    return CostRule(value) if value in CostRule._value2member_map_ else CostRule.OPTIONAL


def vat_code(record: VatCode) -> Dimension:
    code = _required_code(K.VAT_CODE, record.id, record.code)
    try:
        vat_type = VatType(record.type.upper())
    except ValueError:
        problem = f"has an unknown VAT type ({record.type!r})"
        raise UnusableRecord(K.VAT_CODE, code, problem) from None
    side = record.transaction_type.upper()
    facts = VatCodeFacts(
        type=vat_type,
        # Exact documents P, S and B only; anything else is read as both sides.
        transaction_type=VatTransactionType(side)
        if side in VatTransactionType._value2member_map_
        else VatTransactionType.BOTH,
        percentages=_percentages(record),
        reverse_charge=record.charged,
    )
    base = _exact(K.VAT_CODE, code, record.description, record.id)
    return replace(base, blocked=record.blocked, facts=facts)


def _percentages(record: VatCode) -> tuple[VatRate, ...]:
    found = tuple(
        VatRate(rate.percentage, rate.start, rate.end)
        for rate in record.percentages
        if rate.percentage is not None
    )
    if not found and record.percentage is not None:
        # No dated rates listed: the current rate holds without limits.
        found = (VatRate(record.percentage),)
    return found


def cost_center(record: CostCenter) -> Dimension:
    return _cost(K.COST_CENTER, record)


def cost_unit(record: CostCenter) -> Dimension:
    return _cost(K.COST_UNIT, record)


def _cost(kind: DimensionKind, record: CostCenter) -> Dimension:
    code = _required_code(kind, record.id, record.code)
    base = _exact(kind, code, record.description, record.id)
    return replace(base, valid_until=record.end_date)


def project(record: Project) -> Dimension:
    code = _required_code(K.PROJECT, record.id, record.code)
    base = _exact(K.PROJECT, code, record.description, record.id)
    return replace(
        base,
        valid_from=record.start_date,
        valid_until=record.end_date,
        facts=ProjectFacts(type=record.type),
    )


def journal(record: Journal) -> Dimension:
    code = _required_code(K.JOURNAL, record.id, record.code)
    facts = JournalFacts(type=record.type, currency=_upper(record.currency))
    base = _exact(K.JOURNAL, code, record.description, record.id)
    return replace(base, blocked=record.blocked, facts=facts)


def supplier(record: Supplier) -> Dimension | None:
    """The supplier, or None when the Exact account is not (or no longer) a supplier."""
    if not record.is_supplier:
        return None
    code = _required_code(K.SUPPLIER, record.id, record.code)
    facts = SupplierFacts(
        vat_number=record.vat_number,
        coc_number=record.coc_number,
        country=_upper(record.country),
        purchase_vat_code=record.purchase_vat_code,
    )
    base = _exact(K.SUPPLIER, code, record.name, record.id)
    return replace(base, blocked=record.blocked, facts=facts)


def document_type(record: DocumentType) -> Dimension:
    code = str(record.id)
    return Dimension(
        kind=K.DOCUMENT_TYPE,
        code=code,
        name=record.description or code,
        source=DimensionSource.EXACT,
        exact_id=code,
        facts=DocumentTypeFacts(category=record.category, creatable=record.creatable),
    )
