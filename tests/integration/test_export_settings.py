"""Export settings (checked against the synced data, admin only, audited), their use at
mark ready, and the journal preview — API and pages."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from auth_headers import bearer
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker
from test_intake_api import txn
from test_prep_api import DIMENSIONS, add_company, exact, imported, line, status_of
from test_receipts import image

from ledgerbridge.bootstrap import Container
from ledgerbridge.config import Settings
from ledgerbridge.db.uow import UnitOfWork
from ledgerbridge.domain.dimension_facts import GLAccountFacts, JournalFacts, SupplierFacts
from ledgerbridge.domain.dimensions import DimensionKind
from ledgerbridge.web.app import create_app

K = DimensionKind
# BOOKKEEPING.md §1's chart: the card, creditors and VAT accounts, Coolblue.
MORE = [
    exact(K.GL_ACCOUNT, "1105", "Credit card", facts=GLAccountFacts(type=14)),
    exact(K.GL_ACCOUNT, "1520", "VAT to claim", facts=GLAccountFacts(type=24)),
    exact(K.GL_ACCOUNT, "1510", "VAT to pay", facts=GLAccountFacts(type=24)),
    exact(K.GL_ACCOUNT, "4231", "Computer equipment", facts=GLAccountFacts(type=121)),
    exact(K.SUPPLIER, "COOLBLUE", "Coolblue B.V.", facts=SupplierFacts()),
    exact(K.SUPPLIER, "OLD", "Gone B.V.", blocked=True, facts=SupplierFacts()),
    exact(K.JOURNAL, "90", "Memorial", facts=JournalFacts(type=90)),
]
GOOD = {
    "purchase_journal": "60",
    "bank_journal": "20",
    "supplier_strategy": "per_merchant",
    "generic_supplier": "CARDS",
    "merchant_suppliers": [["Coolblue", "COOLBLUE"]],
    "creditors_account": "1600",
    "card_account": "1105",
    "vat_to_claim_account": "1520",
    "vat_to_pay_account": "1510",
}


@pytest.fixture
def company(session_factory: sessionmaker[Session]) -> uuid.UUID:
    found = add_company(session_factory)
    add_company(session_factory, "other")
    with UnitOfWork(session_factory) as uow:
        uow.dimensions.save(found, [*DIMENSIONS, *MORE])
        uow.commit()
    return found


@pytest.fixture
def app_container(
    tmp_path: Path, database_url: URL, engine: Engine, session_factory: sessionmaker[Session]
) -> Container:
    return Container(Settings(data_dir=tmp_path, demo=False), database_url, engine, session_factory)


@pytest.fixture
def client(
    app_container: Container, session_factory: sessionmaker[Session], company: uuid.UUID
) -> Iterator[TestClient]:
    with TestClient(create_app(app_container), headers=bearer(session_factory, "acme")) as c:
        yield c


def put(client: TestClient, **values: Any) -> Any:
    return client.put("/api/v1/export-settings", json=values)


def test_an_admin_saves_settings_checked_against_the_synced_data_and_audited(
    client: TestClient, session_factory: sessionmaker[Session], company: uuid.UUID
) -> None:
    answer = put(client, **GOOD)
    assert answer.status_code == 200, answer.text
    found = client.get("/api/v1/export-settings").json()
    assert {key: found[key] for key in GOOD} == GOOD
    assert found["problems"] == []
    with UnitOfWork(session_factory) as uow:
        (details,) = [r.details for r in uow.audit.entries(company)
                      if r.action == "export_settings.changed"]  # fmt: skip
    assert details["purchase_journal"] == {"from": None, "to": "60"}
    assert details["merchant_suppliers"] == {"from": [], "to": [["Coolblue", "COOLBLUE"]]}


@pytest.mark.parametrize(
    ("values", "field", "says"),
    [
        ({"purchase_journal": "20"}, "purchase_journal", "is not a purchase journal (type 22)"),
        ({"bank_journal": "60"}, "bank_journal", "is not a bank journal (type 12)"),
        ({"bank_journal": "90"}, "bank_journal", "is not a bank journal"),
        ({"purchase_journal": "61"}, "purchase_journal", "does not exist in the synced data"),
        ({"generic_supplier": "OLD"}, "generic_supplier", "is blocked in Exact Online"),
        ({"merchant_suppliers": [["Shell", "SHELL"]]}, "merchant_suppliers",
         "supplier SHELL does not exist"),
        ({"creditors_account": "4999"}, "creditors_account", "is blocked in Exact Online"),
        ({"description_template": "%(merchant)s %(amount)s"}, "description_template",
         "may only use %(merchant)s"),
        ({"receipt_policy": "sometimes"}, "receipt_policy", "choose one of required, optional"),
        ({"supplier_strategy": "generic", "generic_supplier": ""}, "generic_supplier",
         "choose which supplier"),
    ],
)  # fmt: skip
def test_a_bad_value_is_refused_beside_its_field_and_nothing_is_saved(
    client: TestClient, values: dict[str, Any], field: str, says: str
) -> None:
    assert put(client, **GOOD).status_code == 200
    answer = put(client, **{**GOOD, "document_type": 20, **values})
    assert answer.status_code == 422, answer.text
    errors = answer.json()["errors"]
    assert [e["field"] for e in errors] == [field]
    assert says in errors[0]["message"]
    found = client.get("/api/v1/export-settings").json()
    assert {key: found[key] for key in GOOD} == GOOD  # unchanged


def test_only_an_admin_changes_them_and_every_role_reads_them(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    for role in ("bookkeeper", "viewer"):
        headers = bearer(session_factory, "acme", role)
        assert client.put("/api/v1/export-settings", json=GOOD, headers=headers).status_code == 403
        assert client.get("/api/v1/export-settings", headers=headers).status_code == 200
    other = bearer(session_factory, "other")
    assert put(client, **GOOD).status_code == 200
    # Another company's settings are its own: empty, and its codes are not ours.
    theirs = client.get("/api/v1/export-settings", headers=other).json()
    assert theirs["purchase_journal"] is None
    refused = client.put("/api/v1/export-settings", json=GOOD, headers=other)
    assert refused.status_code == 422


def test_mark_ready_keeps_back_what_the_settings_cannot_book_then_a_required_receipt(
    client: TestClient,
) -> None:
    (txn_id,) = imported(client, txn("m-1", amount="-121.00", merchant_name="Coolblue"))
    coded = client.put(f"/api/v1/transactions/{txn_id}/coding",
                       json={"lines": [line("4230", "-121.00")]})  # fmt: skip
    assert coded.status_code == 200, coded.text

    def ready() -> dict[str, Any]:
        found = client.post("/api/v1/transactions/mark-ready", json={"ids": [txn_id]}).json()
        return dict(found["results"][0])

    first = ready()
    assert not first["ready"]
    assert {p["field"] for p in first["problems"]} >= {"purchase_journal", "bank_journal"}
    assert "choose one in the export settings" in status_of(client, txn_id)[1]

    assert put(client, **GOOD).status_code == 200  # receipts required by default
    second = ready()
    assert [p["field"] for p in second["problems"]] == ["receipt"]

    files = {"file": ("bon.png", image("PNG"), "image/png")}
    assert client.post(f"/api/v1/transactions/{txn_id}/receipts", files=files).status_code == 201
    assert ready()["ready"]
    assert status_of(client, txn_id) == ("ready", None)


def test_the_preview_reproduces_bookkeeping_section_1(client: TestClient) -> None:
    assert put(client, **GOOD, receipt_policy="optional").status_code == 200
    (txn_id,) = imported(client, txn("b-1", amount="-121.00", merchant_name="Coolblue"))
    client.put(f"/api/v1/transactions/{txn_id}/coding", json={"lines": [line("4230", "-121.00")]})

    found = client.get(f"/api/v1/transactions/{txn_id}/preview").json()

    assert found["bookable"] and found["balanced"]
    entry = found["purchase_entry"]
    assert (entry["journal"], entry["supplier"], entry["supplier_name"]) == (
        "60", "COOLBLUE", "Coolblue B.V."
    )  # fmt: skip
    assert [(r["account"], r["debit"], r["credit"]) for r in found["documents"][0]["rows"]] == [
        ("4230", "100.00", None),
        ("1520", "21.00", None),
        ("1600", None, "121.00"),
    ]
    assert found["documents"][0]["rows"][2]["name"] == "Creditors (Coolblue B.V.)"
    assert [(r["account"], r["debit"], r["credit"]) for r in found["documents"][1]["rows"]] == [
        ("1600", "121.00", None),
        ("1105", None, "121.00"),
    ]
    (bank,) = found["bank_lines"]
    assert (bank["journal"], bank["amount"], bank["supplier"]) == ("20", "-121.00", "COOLBLUE")
    assert bank["invoice_reference"] == entry["reference"]


def test_a_preview_of_what_cannot_be_booked_says_why_and_another_companys_is_404(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    (txn_id,) = imported(client, txn("p-1", amount="-10.00"))
    found = client.get(f"/api/v1/transactions/{txn_id}/preview").json()
    assert not found["bookable"]
    assert "no coding yet" in found["problems"][0]["message"]
    many = client.get("/api/v1/preview", params={"ids": [txn_id, txn_id]}).json()
    assert [item["id"] for item in many["items"]] == [txn_id]
    other = bearer(session_factory, "other")
    assert client.get(f"/api/v1/transactions/{txn_id}/preview", headers=other).status_code == 404
    theirs = client.get("/api/v1/preview", params={"ids": [txn_id]}, headers=other)
    assert theirs.status_code == 404


def test_a_selection_preview_takes_its_ids_in_the_body_at_most_200(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    assert put(client, **GOOD, receipt_policy="optional").status_code == 200
    coded, bare = imported(
        client,
        txn("s-1", amount="-121.00", merchant_name="Coolblue"),
        txn("s-2", amount="-10.00"),
    )
    client.put(f"/api/v1/transactions/{coded}/coding", json={"lines": [line("4230", "-121.00")]})

    answer = client.post("/api/v1/preview", json={"ids": [coded, bare]})

    assert answer.status_code == 200, answer.text
    first, second = answer.json()["items"]
    assert (first["id"], first["bookable"], first["balanced"]) == (coded, True, True)
    assert first["purchase_entry"]["total"] == "121.00"
    assert (second["id"], second["bookable"]) == (bare, False)
    assert "no coding yet" in second["problems"][0]["message"]
    too_many = client.post("/api/v1/preview", json={"ids": [str(uuid.uuid4())] * 201})
    assert too_many.status_code == 422
    assert client.post("/api/v1/preview", json={"ids": []}).status_code == 422
    other = bearer(session_factory, "other")
    assert client.post("/api/v1/preview", json={"ids": [coded]}, headers=other).status_code == 404


# -- pages -------------------------------------------------------------------------------------


def signed_in(app_container: Container, session_factory: sessionmaker[Session], role: str) -> Any:
    from ledgerbridge.services.access import setup

    email = f"{role}@acme.example"
    setup.add_user(lambda: UnitOfWork(session_factory), "acme", email, role, "a-long-password-1")
    page = TestClient(create_app(app_container))
    signed = page.post("/login", data={"email": email, "password": "a-long-password-1"},
                       follow_redirects=False)  # fmt: skip
    assert signed.status_code == 303, signed.text
    return page


def csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


def test_the_settings_page_offers_only_fitting_journals_and_shows_an_error_beside_its_field(
    app_container: Container, session_factory: sessionmaker[Session], company: uuid.UUID
) -> None:
    admin = signed_in(app_container, session_factory, "admin")
    page = admin.get("/settings/export").text
    purchase = re.search(r'<select id="purchase_journal".*?</select>', page, re.S)
    assert purchase and "60 — Purchases" in purchase.group(0)
    assert "20 — Company card" not in purchase.group(0)  # a bank journal is not offered there

    form = {"csrf_token": csrf(page), **{k: v for k, v in GOOD.items() if isinstance(v, str)},
            "merchant_suppliers": "Coolblue = NOPE", "receipt_policy": "optional",
            "description_template": "%(merchant)s - %(cardholder)s"}  # fmt: skip
    refused = admin.post("/settings/export", data=form)
    assert refused.status_code == 422
    beside = re.search(
        r'<p class="field-problem" id="merchant_suppliers-problem">([^<]+)<', refused.text
    )
    assert beside and "supplier NOPE does not exist" in beside.group(1)
    assert "Coolblue = NOPE" in refused.text  # the input is kept

    saved = admin.post(
        "/settings/export", data={**form, "merchant_suppliers": "Coolblue = COOLBLUE"}
    )
    assert "The export settings were saved." in saved.text
    viewer = signed_in(app_container, session_factory, "viewer")
    read = viewer.get("/settings/export").text
    assert "Only an admin can change these settings." in read and "fieldset disabled" in read
    assert (
        viewer.post("/settings/export", data={**form, "csrf_token": csrf(read)}).status_code == 403
    )


def test_the_drawer_preview_fragment_shows_the_tables(
    client: TestClient, app_container: Container, session_factory: sessionmaker[Session]
) -> None:
    assert put(client, **GOOD, receipt_policy="optional").status_code == 200
    (txn_id,) = imported(client, txn("f-1", amount="-121.00", merchant_name="Coolblue"))
    client.put(f"/api/v1/transactions/{txn_id}/coding", json={"lines": [line("4230", "-121.00")]})
    viewer = signed_in(app_container, session_factory, "viewer")
    fragment = viewer.get(f"/transactions/{txn_id}/preview", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and "Journal preview" in fragment.text
    assert "1600 Creditors (Coolblue B.V.)" in fragment.text
    assert "€121.00" in fragment.text or "121.00" in fragment.text
