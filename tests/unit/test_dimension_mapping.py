"""Exact records (as the client parses Exact's JSON) → dimensions with typed facts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

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
from ledgerbridge.domain.dimensions import DimensionKind, DimensionSource
from ledgerbridge.exact.models import (
    CostCenter,
    CostUnit,
    DocumentType,
    GLAccount,
    Journal,
    Project,
    Supplier,
    VatCode,
)
from ledgerbridge.services.dimensions import mapping
from ledgerbridge.services.dimensions.mapping import UnusableRecord

GUID = "3f6c1a2e-0000-4000-8000-00000000abcd"
JAN_1_2026 = "/Date(1767225600000)/"


def test_a_gl_account_keeps_type_balance_cost_rules_and_its_defaults() -> None:
    record = GLAccount.from_odata(
        {
            "ID": GUID,
            "Code": "  4000",
            "Description": "Autokosten",
            "Type": 121,
            "BalanceType": "W",
            "IsBlocked": False,
            "VATCode": "5  ",
            "Costcenter": "200",
            "Costunit": None,
            "UseCostcenter": 1,
            "UseCostunit": 2,
        }
    )
    gl = mapping.gl_account(record)
    assert (gl.kind, gl.code, gl.name, gl.exact_id) == (
        DimensionKind.GL_ACCOUNT,
        "4000",
        "Autokosten",
        GUID,
    )
    assert gl.source is DimensionSource.EXACT and gl.locked
    assert gl.facts == GLAccountFacts(
        type=121,
        balance_type="W",
        use_cost_center=CostRule.MANDATORY,
        use_cost_unit=CostRule.NOT_ALLOWED,
        default_vat_code="5",
        default_cost_center="200",
    )


def test_an_oddly_typed_gl_account_is_read_where_the_meaning_is_clear() -> None:
    record = GLAccount.from_odata(
        {"ID": GUID, "Code": "4000", "Type": "121", "IsBlocked": "true", "UseCostcenter": None}
    )
    gl = mapping.gl_account(record)
    assert gl.blocked is True
    assert isinstance(gl.facts, GLAccountFacts)
    assert (gl.facts.type, gl.facts.use_cost_center) == (121, CostRule.OPTIONAL)


def test_a_vat_code_keeps_its_dated_percentages_as_fractions() -> None:
    record = VatCode.from_odata(
        {
            "ID": GUID,
            "Code": " 2 ",
            "Description": "BTW hoog",
            "Type": "I",
            "VATTransactionType": "P",
            "Percentage": 0.21,
            "Charged": False,
            "VATPercentages": {
                "results": [
                    {"Percentage": 0.19, "StartDate": None, "EndDate": "/Date(1349049599000)/"},
                    {"Percentage": 0.21, "StartDate": "/Date(1349049600000)/", "EndDate": None},
                ]
            },
        }
    )
    vat = mapping.vat_code(record)
    assert vat.code == "2"
    assert vat.facts == VatCodeFacts(
        type=VatType.INCLUDING,
        transaction_type=VatTransactionType.PURCHASE,
        reverse_charge=False,
        percentages=(
            VatRate(Decimal("0.19"), None, date(2012, 9, 30)),
            VatRate(Decimal("0.21"), date(2012, 10, 1), None),
        ),
    )
    assert isinstance(vat.facts, VatCodeFacts) and vat.facts.including


def test_a_vat_code_without_dated_rates_uses_its_current_rate_without_limits() -> None:
    record = VatCode.from_odata(
        {"ID": GUID, "Code": "5", "Type": "E", "Percentage": "0.09", "Charged": True}
    )
    vat = mapping.vat_code(record)
    assert isinstance(vat.facts, VatCodeFacts)
    assert vat.facts.percentages == (VatRate(Decimal("0.09"), None, None),)
    assert vat.facts.reverse_charge is True
    assert vat.facts.transaction_type is VatTransactionType.BOTH


def test_a_vat_code_of_unknown_type_is_unusable_and_says_why() -> None:
    record = VatCode.from_odata({"ID": GUID, "Code": "7", "Type": "X"})
    with pytest.raises(UnusableRecord, match="vat_code 7: has an unknown VAT type"):
        mapping.vat_code(record)


def test_cost_centres_and_units_end_on_their_end_date() -> None:
    centre = mapping.cost_center(
        CostCenter.from_odata({"ID": GUID, "Code": "KP1", "EndDate": JAN_1_2026})
    )
    unit = mapping.cost_unit(CostUnit.from_odata({"ID": GUID, "Code": "KD1"}))
    assert (centre.kind, centre.valid_until) == (DimensionKind.COST_CENTER, date(2026, 1, 1))
    assert (unit.kind, unit.valid_until) == (DimensionKind.COST_UNIT, None)


def test_a_project_is_valid_between_its_start_and_end_dates() -> None:
    record = Project.from_odata(
        {"ID": GUID, "Code": "P-104", "Type": 3, "StartDate": JAN_1_2026, "EndDate": None}
    )
    project = mapping.project(record)
    assert (project.valid_from, project.valid_until) == (date(2026, 1, 1), None)
    assert project.facts == ProjectFacts(type=3)


def test_a_journal_keeps_its_type_and_currency() -> None:
    journal = mapping.journal(
        Journal.from_odata({"ID": GUID, "Code": "60", "Type": 22, "Currency": "eur"})
    )
    assert journal.facts == JournalFacts(type=22, currency="EUR")


def test_a_supplier_gets_its_trimmed_code_and_purchase_facts() -> None:
    record = Supplier.from_odata(
        {
            "ID": GUID,
            "Code": "              1068",
            "Name": "Shell",
            "VATNumber": "NL001234567B01",
            "ChamberOfCommerce": "12345678",
            "Country": "nl ",
            "IsSupplier": True,
            "PurchaseVATCode": "2",
        }
    )
    supplier = mapping.supplier(record)
    assert supplier is not None
    assert (supplier.code, supplier.name, supplier.exact_id) == ("1068", "Shell", GUID)
    assert supplier.facts == SupplierFacts(
        vat_number="NL001234567B01",
        coc_number="12345678",
        country="NL",
        purchase_vat_code="2",
    )


def test_an_account_that_is_not_a_supplier_is_no_supplier_dimension() -> None:
    record = Supplier.from_odata({"ID": GUID, "Code": "1", "Name": "A customer"})
    assert mapping.supplier(record) is None


def test_a_supplier_without_a_code_is_unusable() -> None:
    record = Supplier.from_odata({"ID": GUID, "Name": "Nameless", "IsSupplier": True})
    with pytest.raises(UnusableRecord, match="has no code"):
        mapping.supplier(record)


def test_a_document_type_is_coded_by_its_id() -> None:
    record = DocumentType.from_odata(
        {"ID": 20, "Description": "Purchase invoice", "TypeCategory": 2, "DocumentIsCreatable": 1}
    )
    doc = mapping.document_type(record)
    assert (doc.code, doc.name) == ("20", "Purchase invoice")
    assert doc.facts == DocumentTypeFacts(category=2, creatable=True)


def test_an_overlong_code_is_unusable_and_an_overlong_name_is_cut() -> None:
    long_code = GLAccount.from_odata({"ID": GUID, "Code": "9" * 65, "Type": 121})
    with pytest.raises(UnusableRecord, match="longer than 64"):
        mapping.gl_account(long_code)
    long_name = GLAccount.from_odata(
        {"ID": GUID, "Code": "4000", "Type": 121, "Description": "x" * 300}
    )
    assert len(mapping.gl_account(long_name).name) == 255


def test_a_gl_account_without_a_type_is_unusable() -> None:
    record = GLAccount.from_odata({"ID": GUID, "Code": "4000", "Type": "costs"})
    with pytest.raises(UnusableRecord, match="gl_account 4000: has no readable type"):
        mapping.gl_account(record)


def test_a_vat_percentage_sent_as_a_double_is_an_exact_fraction() -> None:
    record = VatCode.from_odata(
        {"ID": GUID, "Code": "9", "Type": "I", "Percentage": 0.09000000000000001}
    )
    assert record.percentage == Decimal("0.09")
    assert isinstance((vat := mapping.vat_code(record)).facts, VatCodeFacts)
    assert vat.facts.percentages == (VatRate(Decimal("0.09")),)
