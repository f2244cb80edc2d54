"""A merchant's Exact supplier: VAT number first, then chamber of commerce number, then name."""

from __future__ import annotations

import pytest

from ledgerbridge.domain.dimension_facts import SupplierFacts
from ledgerbridge.domain.dimensions import Dimension, DimensionKind, DimensionSource
from ledgerbridge.services.suppliers import (
    MatchedBy,
    Merchant,
    SupplierDirectory,
    normal_coc,
    normal_iban,
    normal_name,
    normal_vat,
)


def supplier(
    code: str,
    name: str,
    vat: str | None = None,
    coc: str | None = None,
    country: str | None = "NL",
    blocked: bool = False,
) -> Dimension:
    return Dimension(
        DimensionKind.SUPPLIER,
        code,
        name,
        DimensionSource.EXACT,
        exact_id=f"guid-{code}",
        blocked=blocked,
        facts=SupplierFacts(vat_number=vat, coc_number=coc, country=country),
    )


DIRECTORY = SupplierDirectory(
    [
        supplier("2001", "Coolblue B.V.", vat="NL 8180.07.540.B01", coc="24435103"),
        supplier("2002", "Albert Heijn", coc="35012085"),
        supplier("2003", "Café Noir", country="BE", coc="0403.170.701"),
        supplier("2004", "Shell Nederland Verkoopmaatschappij", vat="NL001234560B01"),
        supplier("2005", "Bol.com"),
        supplier("2006", "Bol.com B.V."),
        supplier("2007", "Old Supplier", vat="NL123456782B01", blocked=True),
    ]
)


@pytest.mark.parametrize(
    ("merchant", "code", "by"),
    [
        # The VAT number wins over a different name, whatever its spelling.
        (Merchant("CB online", vat_number="nl818007540b01"), "2001", MatchedBy.VAT_NUMBER),
        # Without a country prefix, the merchant's country supplies it.
        (Merchant("x", vat_number="818007540B01", country="NL"), "2001", MatchedBy.VAT_NUMBER),
        # An invalid VAT number is ignored; the chamber of commerce number still matches.
        (
            Merchant("AH 1234", vat_number="NL123", coc_number="3501 2085"),
            "2002",
            MatchedBy.COC_NUMBER,
        ),
        # A Belgian enterprise number (KBO/BCE), checked by its mod-97 check digits.
        (Merchant("Noir", coc_number="BE 0403170701", country="BE"), "2003", MatchedBy.COC_NUMBER),
        # The name without case, accents, punctuation or legal form.
        (Merchant("CAFE NOIR bvba"), "2003", MatchedBy.NAME),
        (Merchant("albert heijn"), "2002", MatchedBy.NAME),
    ],
)
def test_a_merchant_is_matched_to_its_supplier(
    merchant: Merchant, code: str, by: MatchedBy
) -> None:
    found = DIRECTORY.match(merchant, generic="9999")

    assert (found.code, found.by) == (code, by)


def test_an_unknown_merchant_goes_to_the_generic_supplier_with_the_reason() -> None:
    found = DIRECTORY.match(Merchant("Unknown Shop"), generic="9999")

    assert (found.code, found.by) == ("9999", MatchedBy.GENERIC)
    assert found.reason == (
        "no supplier in Exact Online matches Unknown Shop: booked on the generic supplier 9999"
    )


def test_two_suppliers_with_one_name_are_not_guessed_between() -> None:
    found = DIRECTORY.match(Merchant("BOL.COM"), generic="9999")

    assert found.code == "9999"
    assert "belongs to several suppliers in Exact Online (2005, 2006)" in found.reason


def test_a_blocked_supplier_never_matches() -> None:
    found = DIRECTORY.match(Merchant("x", vat_number="NL123456782B01"), generic=None)

    assert (found.code, found.by) == (None, MatchedBy.GENERIC)
    assert found.reason.endswith("and no generic supplier is set")


def test_the_reason_is_a_translatable_phrase() -> None:
    found = DIRECTORY.match(Merchant("Coolblue"), generic=None)

    assert found.reason.msgid == "same name as supplier %(code)s"
    assert found.reason.values == {"code": "2001"}


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("NL 1234.56.782.B01", None, "NL123456782B01"),
        ("123456782B01", "NL", "NL123456782B01"),
        ("BE 0403.170.701", None, "BE0403170701"),
        ("NL123456783B01", None, None),  # wrong check digit
        ("", None, None),
        (None, None, None),
    ],
)
def test_vat_numbers_are_validated_and_compacted(
    raw: str | None, country: str | None, expected: str | None
) -> None:
    assert normal_vat(raw, country) == expected


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("3419 7976", "NL", "34197976"),
        ("0403.170.701", "BE", "0403170701"),
        ("0403.170.702", "BE", None),  # the Belgian check digits do not fit
        ("1234", "NL", None),
        ("abc", None, None),
    ],
)
def test_chamber_of_commerce_numbers(raw: str, country: str | None, expected: str | None) -> None:
    assert normal_coc(raw, country) == expected


def test_ibans_are_validated_and_compacted() -> None:
    assert normal_iban("NL91 ABNA 0417 1643 00") == "NL91ABNA0417164300"
    assert normal_iban("NL91 ABNA 0417 1643 01") is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Coolblue B.V.", "coolblue"),
        ("COOLBLUE BV", "coolblue"),
        ("Café Noir", "cafe noir"),
        ("Müller GmbH", "muller"),
        ("B.V.", "b v"),  # only a legal form: the words stay
    ],
)
def test_names_are_normalised(name: str, expected: str) -> None:
    assert normal_name(name) == expected


def test_the_reason_reads_in_dutch() -> None:
    from ledgerbridge.i18n import translate

    found = DIRECTORY.match(Merchant("Unknown Shop"), generic="9999")

    assert translate(found.reason, "nl") == (
        "geen leverancier in Exact Online past bij Unknown Shop: "
        "geboekt op de algemene leverancier 9999"
    )
