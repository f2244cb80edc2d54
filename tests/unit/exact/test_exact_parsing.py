"""Parsing Exact's OData: shapes, /Date(ms)/, doubles, padded codes, tolerant records."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from ledgerbridge.exact.errors import ExactRecordInvalid
from ledgerbridge.exact.models import (
    Division,
    GLAccount,
    Me,
    PurchaseEntry,
    PurchaseEntryDraft,
    PurchaseEntryLineDraft,
    Supplier,
    VatCode,
)
from ledgerbridge.exact.odata import (
    datetime_literal,
    parse_date,
    parse_datetime,
    parse_decimal,
    rows,
    string_literal,
)

GUID = "3F6C1A2E-0000-4000-8000-00000000000A"


@pytest.mark.parametrize(
    "body",
    [{"d": [{"a": 1}]}, {"d": {"a": 1}}, {"d": {"results": [{"a": 1}], "__next": "x"}}],
)
def test_every_response_shape_exact_uses_yields_the_same_records(body):
    assert rows(body) == [{"a": 1}]


def test_an_empty_last_page_has_no_records():
    assert rows({"d": {"results": []}}) == []


def test_exact_dates_are_epoch_milliseconds_and_date_fields_use_the_utc_calendar_day():
    assert parse_datetime("/Date(1731320070997)/") == datetime(
        2024, 11, 11, 10, 14, 30, 997000, tzinfo=UTC)  # fmt: skip
    assert parse_date("/Date(1743379200000)/") == date(2025, 3, 31)
    assert parse_date("/Date(1743465599000)/") == date(2025, 3, 31)  # 23:59:59 UTC
    assert parse_date(None) is None and parse_date("soon") is None


def test_doubles_become_decimals_rounded_to_cents_without_binary_noise():
    assert parse_decimal(12.339999999999) == Decimal("12.34")
    assert parse_decimal(0.1 + 0.2) == Decimal("0.30")
    assert parse_decimal(2.675) == Decimal("2.68")  # str() first: 2.675, half-up
    assert parse_decimal("n/a") is None


def test_filter_literals_escape_quotes_and_always_carry_a_time():
    assert string_literal("O'Brien") == "'O''Brien'"
    assert datetime_literal(date(2025, 1, 1)) == "datetime'2025-01-01T00:00:00'"


def test_a_supplier_code_padded_to_18_characters_is_trimmed():
    supplier = Supplier.from_odata(
        {"ID": GUID, "Code": "              1068", "Name": " Albert Heijn ", "IsSupplier": True,
         "Blocked": None, "Timestamp": 44001, "Modified": "/Date(1731320070997)/"}
    )  # fmt: skip
    assert (supplier.code, supplier.name, supplier.id) == ("1068", "Albert Heijn", GUID.lower())
    assert supplier.is_supplier and not supplier.blocked
    assert supplier.timestamp == 44001


def test_a_gl_account_with_odd_fields_gets_safe_defaults():
    account = GLAccount.from_odata({"ID": GUID, "Code": " 4000 ", "Type": "121",
                                    "UseCostcenter": None, "Extra": {"x": 1}})  # fmt: skip
    assert (account.code, account.type, account.use_cost_center) == ("4000", 121, 0)
    assert account.description == "4000"
    assert account.timestamp is None


def test_a_record_without_a_key_is_invalid_with_a_clear_problem():
    with pytest.raises(ExactRecordInvalid) as raised:
        GLAccount.from_odata({"Code": "4000"})
    assert raised.value.resource == "GLAccount"
    assert "ID" in raised.value.problem


def test_vat_percentages_are_fractions_with_their_dates():
    vat = VatCode.from_odata({
        "ID": GUID, "Code": "2 ", "Description": "21% inclusief", "Type": "I",
        "VATTransactionType": "P", "Percentage": 0.21, "Charged": False,
        "VATPercentages": {"results": [
            {"Percentage": 0.19, "StartDate": None, "EndDate": "/Date(1349049600000)/"},
            {"Percentage": 0.21, "StartDate": "/Date(1349049600000)/", "EndDate": None},
        ]},
    })  # fmt: skip
    assert vat.code == "2" and vat.percentage == Decimal("0.21")
    assert [p.percentage for p in vat.percentages] == [Decimal("0.19"), Decimal("0.21")]
    assert vat.percentages[1].start == date(2012, 10, 1)


def test_me_and_divisions_are_read_from_exacts_field_names():
    me = Me.from_odata({"UserID": GUID, "UserName": "jan", "FullName": "Jan Jansen",
                        "LanguageCode": "nl-NL", "CurrentDivision": 1234567})  # fmt: skip
    assert (me.current_division, me.language) == (1234567, "nl-NL")
    division = Division.from_odata(
        {
            "Code": 1234567,
            "Description": "Demo BV",
            "Current": True,
            "IsMainDivision": False,
            "Status": 1,
            "Currency": "EUR",
        }
    )
    assert (division.code, division.is_current, division.currency) == (1234567, True, "EUR")


def test_a_purchase_entry_reads_its_totals_and_expanded_lines():
    entry = PurchaseEntry.from_odata({
        "EntryID": GUID, "EntryNumber": 26000012, "AmountFC": 121.00000001,
        "VATAmountFC": 21.0, "Status": 20, "YourRef": "INV-1",
        "PurchaseEntryLines": {"results": [{"ID": GUID, "AmountFC": 100.0, "VATCode": "2  "}]},
    })  # fmt: skip
    assert (entry.entry_number, entry.amount, entry.vat_amount) == (
        26000012, Decimal("121.00"), Decimal("21.00"))  # fmt: skip
    assert entry.lines[0].vat_code == "2"


def test_a_purchase_entry_draft_posts_codes_guids_and_exact_amounts():
    line = PurchaseEntryLineDraft("gl-guid", Decimal("10.00"), vat_code="2",
                                  vat_amount=Decimal("1.74"), cost_center="100")  # fmt: skip
    draft = PurchaseEntryDraft("60", "sup-guid", date(2026, 3, 31), "EUR", (line,),
                               your_ref="LB-1")  # fmt: skip
    body = draft.to_odata()
    assert body["Journal"] == "60" and body["Supplier"] == "sup-guid"
    assert body["PurchaseEntryLines"] == [{"GLAccount": "gl-guid", "AmountFC": Decimal("10.00"),
                                           "VATCode": "2", "VATAmountFC": Decimal("1.74"),
                                           "CostCenter": "100"}]  # fmt: skip
    assert "EntryID" not in body and "Document" not in body
