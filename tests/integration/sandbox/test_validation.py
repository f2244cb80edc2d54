"""Exact's business rules: every refusal is HTTP 500 with Exact's error body, in the
user's language; malformed bodies are 400 (EXACT_API.md §2.6, §4, §5)."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from .sandbox_api import Api, error_text, gl, make_sandbox, purchase, supplier

LINE = {"GLAccount": gl("4230"), "AmountFC": 100.0}


@pytest.fixture
def api() -> Api:
    return Api(make_sandbox())


@pytest.fixture
def api_nl() -> Api:
    return Api(make_sandbox(), "demo-nl")


def line(**fields: Any) -> list[dict[str, Any]]:
    return [{**LINE, **fields}]


PURCHASE_REFUSALS = [
    ("no journal", purchase(Journal=None), "Mandatory: Journal", "Verplicht: Dagboek"),
    ("sales journal", purchase(Journal="70"), "Invalid: Journal (type)",
     "Ongeldig: Dagboek (soort)"),
    ("blocked journal", purchase(Journal="61"), "Blocked: Journal", "Geblokkeerd: Dagboek"),
    ("unknown journal", purchase(Journal="99"), "Invalid reference: Journal",
     "Ongeldige referentie: Dagboek"),
    ("no supplier", purchase(Supplier=None), "Mandatory: Supplier", "Verplicht: Leverancier"),
    ("customer, not supplier", purchase(Supplier=supplier(202)), "Invalid reference: Supplier",
     "Ongeldige referentie: Leverancier"),
    ("blocked supplier", purchase(Supplier=supplier(201)), "Blocked: Supplier",
     "Geblokkeerd: Leverancier"),
    ("no lines", purchase(PurchaseEntryLines=[]), "Mandatory: Lines", "Verplicht: Regels"),
    ("line without GL", purchase(line(GLAccount=None)), "Mandatory: G/L account",
     "Verplicht: Grootboekrekening"),
    ("line without amount", purchase(line(AmountFC=None)), "Mandatory: Amount",
     "Verplicht: Bedrag"),
    ("balance-sheet GL", purchase(line(GLAccount=gl("1100"))), "Invalid: G/L account type",
     "Ongeldig: Grootboekrekeningtype"),
    ("blocked GL", purchase(line(GLAccount=gl("4990"))), "Blocked: G/L account",
     "Geblokkeerd: Grootboekrekening"),
    ("unknown VAT code", purchase(line(VATCode="77")), "Invalid reference: VAT code",
     "Ongeldige referentie: Btw-code"),
    ("sales VAT code", purchase(line(VATCode="1")), "Not allowed: VAT code",
     "Niet toegestaan: Btw-code"),
    ("blocked VAT code", purchase(line(VATCode="9")), "Blocked: VAT code", "Geblokkeerd: Btw-code"),
    ("mandatory cost centre", purchase(line(GLAccount=gl("4300"))), "Mandatory: Cost center",
     "Verplicht: Kostenplaats"),
    ("forbidden cost centre", purchase(line(GLAccount=gl("4600"), CostCenter="200")),
     "Not allowed: Cost center", "Niet toegestaan: Kostenplaats"),
    ("unknown cost centre", purchase(line(CostCenter="555")), "Invalid reference: Cost center",
     "Ongeldige referentie: Kostenplaats"),
    ("ended cost centre", purchase(line(CostCenter="900")), "Invalid: Cost center",
     "Ongeldig: Kostenplaats"),
    ("mandatory cost unit", purchase(line(GLAccount=gl("4410"))), "Mandatory: Cost unit",
     "Verplicht: Kostendrager"),
    ("ended cost unit", purchase(line(CostUnit="P9")), "Invalid: Cost unit",
     "Ongeldig: Kostendrager"),
    ("finished project", purchase(line(Project="%s")), "Invalid: Project", "Ongeldig: Project"),
    ("reporting year not in table", purchase(ReportingYear=2019, ReportingPeriod=3),
     "Unknown: Fiscal year (Period - date table).", "Onbekend: Boekjaar (Periode - datumtabel)."),
    ("closed period", purchase(EntryDate="2025-01-20"), "Period is closed",
     "Periode is afgesloten"),
    ("period not in table", purchase(EntryDate="2023-05-01"),
     "Unknown: Fiscal year (Period - date table).", "Onbekend: Boekjaar (Periode - datumtabel)."),
    ("VAT amount of an excluding code sent with an including code",
     purchase(line(VATCode="3", VATAmountFC=21.0)), "Entry 17", "Invoer 17"),
    ("VAT amount on a 0 % code", purchase(line(VATCode="6", VATAmountFC=5.0)), "Entry 17",
     "Invoer 17"),
]  # fmt: skip


def _with_project(body: dict[str, Any]) -> dict[str, Any]:
    from exact_sandbox.seed import guid

    for entry_line in body.get("PurchaseEntryLines") or []:
        if entry_line.get("Project") == "%s":
            entry_line["Project"] = guid(3101010, "project", "PRJ003")
    return body


@pytest.mark.parametrize(
    ("body", "english"),
    [(c[1], c[2]) for c in PURCHASE_REFUSALS],
    ids=[c[0] for c in PURCHASE_REFUSALS],
)
def test_purchase_entry_rule_is_refused_with_exacts_500_body(
    api: Api, body: dict[str, Any], english: str
) -> None:
    response = api.post("purchaseentry/PurchaseEntries", _with_project(body))
    assert response.status_code == 500
    assert english in error_text(response)
    assert api.results("purchaseentry/PurchaseEntries?$select=EntryID") == []


@pytest.mark.parametrize(
    ("body", "dutch"),
    [(c[1], c[3]) for c in PURCHASE_REFUSALS],
    ids=[c[0] for c in PURCHASE_REFUSALS],
)
def test_dutch_user_reads_the_refusal_in_dutch(
    api_nl: Api, body: dict[str, Any], dutch: str
) -> None:
    response = api_nl.post("purchaseentry/PurchaseEntries", _with_project(body))
    assert response.status_code == 500
    assert dutch in error_text(response)


def test_several_problems_come_back_newline_separated(api: Api) -> None:
    response = api.post("purchaseentry/PurchaseEntries", purchase(Journal=None, Supplier=None))
    assert error_text(response).split("\n") == ["Mandatory: Journal", "Mandatory: Supplier"]


def test_same_supplier_ref_date_and_amount_is_booked_twice_by_default(api: Api) -> None:
    # EXACT_API.md §5: Exact does not enforce a unique YourRef; a double booking is two entries.
    assert api.post("purchaseentry/PurchaseEntries", purchase()).status_code == 201
    assert api.post("purchaseentry/PurchaseEntries", purchase()).status_code == 201
    assert len(api.results("purchaseentry/PurchaseEntries?$select=EntryID")) == 2


def test_same_supplier_ref_date_and_amount_is_refused_when_the_setting_is_on() -> None:
    api = Api(make_sandbox(refuse_duplicate_your_ref=True))
    assert api.post("purchaseentry/PurchaseEntries", purchase()).status_code == 201
    again = api.post("purchaseentry/PurchaseEntries", purchase())
    assert again.status_code == 500
    assert error_text(again).startswith("Duplicate")
    other_amount = purchase(line(AmountFC=99.0))
    assert api.post("purchaseentry/PurchaseEntries", other_amount).status_code == 201


def test_entry_number_already_used_in_the_journal_is_refused(api_nl: Api) -> None:
    first = api_nl.post("purchaseentry/PurchaseEntries", purchase()).json()["d"]
    clash = purchase(YourRef="INV-2", EntryNumber=first["EntryNumber"])
    response = api_nl.post("purchaseentry/PurchaseEntries", clash)
    assert response.status_code == 500
    assert error_text(response) == "In gebruik: Boekstuknummer"


def test_a_vat_amount_within_a_cent_is_accepted_and_an_including_gross_is_kept(
    api: Api,
) -> None:
    body = purchase(line(VATCode="3", AmountFC=121.0, VATAmountFC=21.01))
    response = api.post("purchaseentry/PurchaseEntries", body)
    assert response.status_code == 201
    entry = response.json()["d"]
    assert (entry["AmountFC"], entry["VATAmountFC"]) == (121.0, 21.01)
    assert entry["PurchaseEntryLines"]["results"][0]["AmountFC"] == 99.99
    excluding = purchase(line(VATCode="2", AmountFC=100.0, VATAmountFC=21.01), YourRef="INV-2")
    assert api.post("purchaseentry/PurchaseEntries", excluding).json()["d"]["AmountFC"] == 121.01


BANK_REFUSALS = [
    ("purchase journal", {"JournalCode": "60"}, "Invalid: Journal (type)"),
    ("no journal", {"JournalCode": None}, "Mandatory: Journal"),
    ("no lines", {"BankEntryLines": []}, "Mandatory: Lines"),
    ("line without GL", {"BankEntryLines": [{"AmountFC": -1.0}]}, "Mandatory: G/L account"),
    ("line without amount", {"BankEntryLines": [{"GLAccount": gl("1600")}]}, "Mandatory: Amount"),
    ("unbalanced", {"OpeningBalanceFC": 100.0, "ClosingBalanceFC": 50.0},
     "Difference: EUR -0.01"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("change", "english"), [(c[1], c[2]) for c in BANK_REFUSALS], ids=[c[0] for c in BANK_REFUSALS]
)
def test_bank_entry_rule_is_refused(api: Api, change: dict[str, Any], english: str) -> None:
    body = {
        "JournalCode": "20",
        "BankEntryLines": [{"GLAccount": gl("4900"), "AmountFC": -50.01, "Date": "2026-10-15"}],
        **change,
    }
    response = api.post("financialtransaction/BankEntries", body)
    assert response.status_code == 500
    assert english in error_text(response)


def test_bank_line_our_ref_must_be_an_integer(api: Api) -> None:
    body = {"JournalCode": "20", "BankEntryLines": [{**LINE, "OurRef": "INV-1"}]}
    response = api.post("financialtransaction/BankEntries", body)
    assert response.status_code == 400
    assert "to type 'System.Int32'" in error_text(response)


DOCUMENT_REFUSALS = [
    ("no subject", {"Type": 20}, "Mandatory: Subject"),
    ("no type", {"Subject": "Receipt"}, "Mandatory: Document type"),
    ("unknown type", {"Subject": "Receipt", "Type": 999}, "Invalid: Document type"),
    ("type not creatable", {"Subject": "Receipt", "Type": 55}, "Invalid: Document type"),
]


@pytest.mark.parametrize(
    ("body", "english"),
    [(c[1], c[2]) for c in DOCUMENT_REFUSALS],
    ids=[c[0] for c in DOCUMENT_REFUSALS],
)
def test_document_rule_is_refused(api: Api, body: dict[str, Any], english: str) -> None:
    response = api.post("documents/Documents", body)
    assert response.status_code == 500
    assert error_text(response) == english


def test_raw_attachment_bytes_get_the_byte_array_conversion_error(api: Api) -> None:
    document = api.post("documents/Documents", {"Subject": "Receipt", "Type": 20}).json()["d"]
    body = {"Document": document["ID"], "FileName": "r.pdf", "Attachment": "%PDF-1.4 raw bytes"}
    response = api.post("documents/DocumentAttachments", body)
    assert response.status_code == 400
    assert "Error processing request stream" in error_text(response)
    assert "to type 'System.Byte[]'" in error_text(response)


def test_oversized_attachment_is_refused_and_a_small_one_accepted() -> None:
    api = Api(make_sandbox(attachment_max_bytes=1000))
    document = api.post("documents/Documents", {"Subject": "Receipt", "Type": 20}).json()["d"]
    big = {"Document": document["ID"], "FileName": "big.pdf",
           "Attachment": base64.b64encode(b"x" * 1001).decode()}  # fmt: skip
    response = api.post("documents/DocumentAttachments", big)
    assert response.status_code == 500
    assert error_text(response).startswith("The file is too large")
    small = {**big, "Attachment": base64.b64encode(b"x" * 1000).decode()}
    created = api.post("documents/DocumentAttachments", small)
    assert created.status_code == 201
    assert created.json()["d"]["FileSize"] == 1000.0


def test_a_request_over_the_size_limit_is_refused_before_anything_is_stored() -> None:
    api = Api(make_sandbox(request_max_bytes=2000, attachment_max_bytes=10**6))
    document = api.post("documents/Documents", {"Subject": "Receipt", "Type": 20}).json()["d"]
    big = {"Document": document["ID"], "FileName": "big.pdf",
           "Attachment": base64.b64encode(b"x" * 1600).decode()}  # fmt: skip
    response = api.post("documents/DocumentAttachments", big)
    assert response.status_code == 413
    assert "Request Entity Too Large" in response.text
    assert api.results("documents/DocumentAttachments?$select=ID") == []
    assert api.post("documents/DocumentAttachments", {**big, "Attachment": "eA=="}).is_success


def test_attachment_for_an_unknown_document_is_refused(api: Api) -> None:
    body = {"Document": supplier(1), "FileName": "r.pdf", "Attachment": "aGVsbG8="}
    response = api.post("documents/DocumentAttachments", body)
    assert response.status_code == 500
    assert error_text(response) == "Invalid reference: Document"


def test_webhook_callback_must_be_https(api: Api) -> None:
    body = {"CallbackURL": "http://example.com/hook", "Topic": "PurchaseEntries"}
    response = api.post("webhooks/WebhookSubscriptions", body)
    assert response.status_code == 500
    assert "HTTPS" in error_text(response)


MALFORMED = [
    ("bad JSON", b'{"Journal": "60",', "Error processing request stream"),
    ("not an object", b"[1, 2]", "Error processing request stream"),
    ("bad GUID", b'{"Journal": "60", "Supplier": "Coolblue"}', "to type 'System.Guid'"),
    ("bad date", b'{"Journal": "60", "EntryDate": "31-12-2026"}', "to type 'System.DateTime'"),
    ("bad amount", b'{"Journal": "60", "PurchaseEntryLines": [{"AmountFC": "ten"}]}',
     "to type 'System.Double'"),
    ("unknown property", b'{"Journal": "60", "InvoiceDate": "2026-01-01"}',
     "The property name 'InvoiceDate' specified for type"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "expected"), [(c[1], c[2]) for c in MALFORMED], ids=[c[0] for c in MALFORMED]
)
def test_malformed_body_is_a_400_with_exacts_text(api: Api, body: bytes, expected: str) -> None:
    response = api.post(
        "purchaseentry/PurchaseEntries", body, **{"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert expected in error_text(response)


def test_bookkeeper_changes_in_exact_take_effect_on_the_next_post(api: Api) -> None:
    from datetime import date

    sandbox = api.sandbox
    sandbox.end_cost_center(3101010, "200", date(2026, 10, 1))
    sandbox.close_period(3101010, 2026, 10)
    body = purchase(line(CostCenter="200"))
    problems = error_text(api.post("purchaseentry/PurchaseEntries", body)).split("\n")
    assert problems == ["Period is closed"]
    sandbox.close_period(3101010, 2026, 10, closed=False)
    problems = error_text(api.post("purchaseentry/PurchaseEntries", body)).split("\n")
    assert problems == ["Invalid: Cost center"]
    sandbox.block_gl_account(3101010, "4230")
    response = api.post("purchaseentry/PurchaseEntries", purchase())
    assert error_text(response) == "Blocked: G/L account"


def test_unbalanced_bank_entry_shows_the_difference_the_dutch_way(api_nl: Api) -> None:
    body = {
        "JournalCode": "20",
        "OpeningBalanceFC": 100.0,
        "ClosingBalanceFC": 50.0,
        "BankEntryLines": [{"GLAccount": gl("4900"), "AmountFC": -50.01, "Date": "2026-10-15"}],
    }
    response = api_nl.post("financialtransaction/BankEntries", body)
    assert response.status_code == 500
    assert error_text(response).startswith("De boeking is niet in evenwicht")
    assert error_text(response).endswith("Verschil: EUR -0,01")
