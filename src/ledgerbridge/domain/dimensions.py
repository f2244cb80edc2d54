"""Accounting dimensions: the values a coding line refers to.

After an Exact Online administration is connected, Exact is the source of
truth: its dimensions have ``source=EXACT`` and are locked (read-only here).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class DimensionKind(StrEnum):
    GL_ACCOUNT = "gl_account"
    VAT_CODE = "vat_code"
    COST_CENTER = "cost_center"
    COST_UNIT = "cost_unit"
    PROJECT = "project"
    JOURNAL = "journal"
    SUPPLIER = "supplier"
    DOCUMENT_TYPE = "document_type"
    OTHER = "other"

    @property
    def label(self) -> str:
        """The kind in a finance user's words: "GL account", "cost centre"."""
        return KIND_LABELS[self]


KIND_LABELS: dict[DimensionKind, str] = {
    DimensionKind.GL_ACCOUNT: "GL account",
    DimensionKind.VAT_CODE: "VAT code",
    DimensionKind.COST_CENTER: "cost centre",
    DimensionKind.COST_UNIT: "cost unit",
    DimensionKind.PROJECT: "project",
    DimensionKind.JOURNAL: "journal",
    DimensionKind.SUPPLIER: "supplier",
    DimensionKind.DOCUMENT_TYPE: "document type",
    DimensionKind.OTHER: "dimension",
}


class DimensionSource(StrEnum):
    LOCAL = "local"
    EXACT = "exact"


@dataclass(frozen=True, slots=True)
class Dimension:
    """One value of one kind, as the finance user sees it.

    ``code`` is what a coding line stores (GL account code, VAT code, cost
    centre code, project code, supplier code); ``exact_id`` is Exact's GUID
    where Exact has one. ``attributes`` carries the kind's own facts (GL type,
    VAT type and percentages, UseCostcenter, dates…), JSON-friendly values, in
    the shape the team agreed per kind (see ``domain.vat`` and
    ``domain.validation`` for the readers of gl_account and vat_code).
    """

    kind: DimensionKind
    code: str
    name: str
    source: DimensionSource = DimensionSource.LOCAL
    exact_id: str | None = None
    blocked: bool = False
    valid_from: date | None = None
    valid_until: date | None = None
    attributes: dict[str, object] = field(default_factory=dict, hash=False)
    synced_at: datetime | None = None

    @property
    def locked(self) -> bool:
        """Exact-sourced values are read-only here."""
        return self.source is DimensionSource.EXACT

    def usable_on(self, day: date) -> bool:
        """Not blocked and within its validity dates on ``day`` (both ends inclusive)."""
        if self.blocked:
            return False
        if self.valid_from is not None and day < self.valid_from:
            return False
        return not (self.valid_until is not None and day > self.valid_until)
