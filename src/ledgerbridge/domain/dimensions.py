"""Accounting dimensions: the values a coding line refers to.

After an Exact Online administration is connected, Exact is the source of
truth: its dimensions have ``source=EXACT`` and are locked (read-only here).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from ledgerbridge.domain.dimension_facts import (
    DimensionFacts,
    DocumentTypeFacts,
    GLAccountFacts,
    JournalFacts,
    ProjectFacts,
    SupplierFacts,
    VatCodeFacts,
)
from ledgerbridge.domain.wording import N_


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
        """The kind in a finance user's words: N_("GL account"), "cost centre"."""
        return KIND_LABELS[self]


KIND_LABELS: dict[DimensionKind, str] = {
    DimensionKind.GL_ACCOUNT: N_("GL account"),
    DimensionKind.VAT_CODE: N_("VAT code"),
    DimensionKind.COST_CENTER: N_("cost centre"),
    DimensionKind.COST_UNIT: N_("cost unit"),
    DimensionKind.PROJECT: N_("project"),
    DimensionKind.JOURNAL: N_("journal"),
    DimensionKind.SUPPLIER: N_("supplier"),
    DimensionKind.DOCUMENT_TYPE: N_("document type"),
    DimensionKind.OTHER: N_("dimension"),
}


class DimensionSource(StrEnum):
    LOCAL = "local"
    EXACT = "exact"


@dataclass(frozen=True, slots=True)
class Dimension:
    """One value of one kind, as the finance user sees it.

    ``code`` is what a coding line stores (GL account code, VAT code, cost
    centre code, project code, supplier code); ``exact_id`` is Exact's GUID
    where Exact has one. ``facts`` are the kind's own typed facts from Exact
    (``domain.dimension_facts``: GL type and cost centre rules, VAT type, side
    and rates…); None for a local value or a kind without facts. Raises
    ``TypeError`` for facts of another kind.
    """

    kind: DimensionKind
    code: str
    name: str
    source: DimensionSource = DimensionSource.LOCAL
    exact_id: str | None = None
    blocked: bool = False
    valid_from: date | None = None
    valid_until: date | None = None
    facts: DimensionFacts | None = None
    synced_at: datetime | None = None

    def __post_init__(self) -> None:
        expected = FACTS_OF.get(self.kind)
        if self.facts is not None and not (expected and isinstance(self.facts, expected)):
            raise TypeError(
                f"{self.kind.label} {self.code}: {type(self.facts).__name__} are not its facts"
            )

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


FACTS_OF: dict[DimensionKind, type] = {
    DimensionKind.GL_ACCOUNT: GLAccountFacts,
    DimensionKind.VAT_CODE: VatCodeFacts,
    DimensionKind.PROJECT: ProjectFacts,
    DimensionKind.JOURNAL: JournalFacts,
    DimensionKind.SUPPLIER: SupplierFacts,
    DimensionKind.DOCUMENT_TYPE: DocumentTypeFacts,
}
