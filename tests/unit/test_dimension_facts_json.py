"""Typed facts ⇄ the JSONB attributes column: the old layout round-trips, gaps fail loudly."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from ledgerbridge.db.repositories.dimension_facts import (
    UnreadableFacts,
    facts_from_json,
    facts_to_json,
)
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
from ledgerbridge.domain.dimensions import DimensionKind, DimensionSource

K = DimensionKind
EXACT, LOCAL = DimensionSource.EXACT, DimensionSource.LOCAL

# The layout rows written before typed facts hold (and rows written now still hold).
STORED: list[tuple[DimensionKind, dict[str, Any], DimensionFacts]] = [
    (
        K.GL_ACCOUNT,
        {"type": 121, "balance_type": "W", "use_cost_center": 1, "use_cost_unit": 2,
         "default_vat_code": "5", "default_cost_center": "200", "default_cost_unit": None},
        GLAccountFacts(121, "W", CostRule.MANDATORY, CostRule.NOT_ALLOWED, "5", "200"),
    ),
    (
        K.VAT_CODE,
        {"type": "I", "transaction_type": "P", "reverse_charge": False, "percentages": [
            {"percentage": "0.19", "start": None, "end": "2012-09-30"},
            {"percentage": "0.21", "start": "2012-10-01", "end": None},
        ]},
        VatCodeFacts(VatType.INCLUDING, VatTransactionType.PURCHASE, (
            VatRate(Decimal("0.19"), None, date(2012, 9, 30)),
            VatRate(Decimal("0.21"), date(2012, 10, 1), None),
        )),
    ),
    (K.PROJECT, {"type": 3}, ProjectFacts(3)),
    (K.JOURNAL, {"type": 22, "currency": "EUR"}, JournalFacts(22, "EUR")),
    (
        K.SUPPLIER,
        {"vat_number": "NL001B01", "coc_number": None, "country": "NL", "purchase_vat_code": "2"},
        SupplierFacts("NL001B01", None, "NL", "2"),
    ),
    (K.DOCUMENT_TYPE, {"category": 2, "creatable": True}, DocumentTypeFacts(2, True)),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "stored", "facts"), STORED)
def test_stored_attributes_are_read_as_typed_facts_and_written_back_alike(
    kind: DimensionKind, stored: dict[str, Any], facts: DimensionFacts
) -> None:
    assert facts_from_json(kind, EXACT, "X", stored) == facts
    assert facts_to_json(facts) == stored


@pytest.mark.parametrize(("kind", "stored", "facts"), STORED)
def test_a_stored_row_missing_a_fact_fails_loudly_instead_of_defaulting(
    kind: DimensionKind, stored: dict[str, Any], facts: DimensionFacts
) -> None:
    for key in stored:
        partial = {k: v for k, v in stored.items() if k != key}
        with pytest.raises(UnreadableFacts, match=f"{kind.label} X lacks its '{key}' fact"):
            facts_from_json(kind, EXACT, "X", partial)


@pytest.mark.parametrize(
    ("kind", "stored"),
    [
        (K.GL_ACCOUNT, {"type": "121", "balance_type": "W", "use_cost_center": 0,
                        "use_cost_unit": 0, "default_vat_code": None,
                        "default_cost_center": None, "default_cost_unit": None}),
        (K.GL_ACCOUNT, {"type": 121, "balance_type": "W", "use_cost_center": 7,
                        "use_cost_unit": 0, "default_vat_code": None,
                        "default_cost_center": None, "default_cost_unit": None}),
        (K.VAT_CODE, {"type": "X", "transaction_type": "P", "reverse_charge": False,
                      "percentages": []}),
        (K.VAT_CODE, {"type": "E", "transaction_type": "P", "reverse_charge": False,
                      "percentages": [{"percentage": "lots", "start": None, "end": None}]}),
        (K.DOCUMENT_TYPE, {"category": 2, "creatable": "yes"}),
    ],
)  # fmt: skip
def test_a_stored_fact_of_the_wrong_type_fails_loudly(
    kind: DimensionKind, stored: dict[str, Any]
) -> None:
    with pytest.raises(UnreadableFacts, match=f"{kind.label} X has unreadable facts"):
        facts_from_json(kind, EXACT, "X", stored)


def test_kinds_without_facts_and_local_values_have_none() -> None:
    assert facts_from_json(K.COST_CENTER, EXACT, "KP1", {}) is None
    assert facts_from_json(K.GL_ACCOUNT, LOCAL, "4000", {"note": "kept by hand"}) is None
    assert facts_to_json(None) == {}
