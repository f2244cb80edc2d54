"""Prep through the API: code a transaction, mark ready (judged against synced data), reopen."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from auth_headers import bearer
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker
from test_intake_api import txn

from ledgerbridge.bootstrap import Container
from ledgerbridge.config import Settings
from ledgerbridge.db.models.core import Company
from ledgerbridge.db.uow import UnitOfWork
from ledgerbridge.domain.dimension_facts import (
    CostRule,
    GLAccountFacts,
    JournalFacts,
    SupplierFacts,
    VatCodeFacts,
    VatRate,
    VatTransactionType,
    VatType,
)
from ledgerbridge.domain.dimensions import Dimension, DimensionKind, DimensionSource
from ledgerbridge.domain.export_settings import ExportSettings, ReceiptPolicy
from ledgerbridge.domain.export_status import ExportStatus
from ledgerbridge.web.app import create_app

K = DimensionKind


def add_company(session_factory: sessionmaker[Session], slug: str = "acme") -> uuid.UUID:
    with session_factory.begin() as session:
        company = Company(slug=slug, name=f"{slug.title()} B.V.", base_currency="EUR")
        session.add(company)
        session.flush()
        return company.id


RATE_21 = (VatRate(Decimal("0.21")),)
RATE_9 = (VatRate(Decimal("0.09")),)


def exact(kind: DimensionKind, code: str, name: str, **values: Any) -> Dimension:
    return Dimension(kind, code, name, DimensionSource.EXACT, exact_id=f"g-{code}", **values)


DIMENSIONS = [
    exact(K.GL_ACCOUNT, "4230", "Office supplies", facts=GLAccountFacts(type=121)),
    exact(K.GL_ACCOUNT, "4510", "Business meals", facts=GLAccountFacts(type=121)),
    exact(
        K.GL_ACCOUNT,
        "4600",
        "Travel",
        facts=GLAccountFacts(
            type=121,
            use_cost_center=CostRule.MANDATORY,
            default_vat_code="2",
            default_cost_center="CC1",
        ),
    ),
    exact(K.GL_ACCOUNT, "4999", "Old costs", blocked=True, facts=GLAccountFacts(type=121)),
    exact(
        K.VAT_CODE,
        "2",
        "21% incl",
        facts=VatCodeFacts(VatType.INCLUDING, VatTransactionType.PURCHASE, RATE_21),
    ),
    exact(
        K.VAT_CODE,
        "1",
        "9% incl",
        facts=VatCodeFacts(VatType.INCLUDING, VatTransactionType.PURCHASE, RATE_9),
    ),
    exact(K.COST_CENTER, "CC1", "Sales"),
    exact(K.GL_ACCOUNT, "1600", "Creditors", facts=GLAccountFacts(type=22)),
    exact(K.JOURNAL, "60", "Purchases", facts=JournalFacts(type=22, currency="EUR")),
    exact(K.JOURNAL, "20", "Company card", facts=JournalFacts(type=12, currency="EUR")),
    exact(K.SUPPLIER, "CARDS", "Card purchases", facts=SupplierFacts()),
]
# Complete, and a receipt optional: these tests are about the coding.
SETTINGS = ExportSettings(
    purchase_journal="60",
    bank_journal="20",
    generic_supplier="CARDS",
    creditors_account="1600",
    receipt_policy=ReceiptPolicy.OPTIONAL,
)


def with_settings(uow: UnitOfWork, company: uuid.UUID) -> None:
    """The fixtures' dimensions and complete export settings for ``company``."""
    uow.dimensions.save(company, DIMENSIONS)
    uow.export_settings.save(company, SETTINGS, actor="test")


@pytest.fixture
def company(session_factory: sessionmaker[Session]) -> uuid.UUID:
    found = add_company(session_factory)
    with UnitOfWork(session_factory) as uow:
        with_settings(uow, found)
        uow.commit()
    return found


@pytest.fixture
def client(
    tmp_path: Path,
    database_url: URL,
    engine: Engine,
    session_factory: sessionmaker[Session],
    company: uuid.UUID,
) -> Iterator[TestClient]:
    container = Container(
        Settings(data_dir=tmp_path, demo=False), database_url, engine, session_factory
    )
    with TestClient(create_app(container), headers=bearer(session_factory, "acme")) as c:
        yield c


def imported(client: TestClient, *items: dict[str, Any]) -> list[str]:
    answer = client.post("/api/v1/transactions", json={"transactions": list(items)})
    assert answer.status_code in (200, 201), answer.text
    return [item["id"] for item in answer.json()["items"]]


def line(gl: str, amount: str, vat: str | None = "2", **more: Any) -> dict[str, Any]:
    return {"gl_account": gl, "amount": amount, "vat_code": vat, **more}


def status_of(client: TestClient, txn_id: str) -> tuple[str, str | None]:
    found = client.get(f"/api/v1/transactions/{txn_id}").json()
    return found["status"], found["status_reason"]


def audit_actions(session_factory: sessionmaker[Session], company: uuid.UUID) -> list[str]:
    with UnitOfWork(session_factory) as uow:
        return [row.action for row in uow.audit.entries(company)]


def test_a_split_coding_is_stored_and_shown_with_its_note(client: TestClient) -> None:
    (txn_id,) = imported(client, txn("t-1", amount="-42.50"))

    answer = client.put(
        f"/api/v1/transactions/{txn_id}/coding",
        json={"lines": [line("4230", "-30.00"), line("4510", "-12.50", "1")], "note": "team"},
    )

    assert answer.status_code == 200, answer.text
    assert answer.json() == {"id": txn_id, "status": "to_prepare", "problems": []}
    found = client.get(f"/api/v1/transactions/{txn_id}").json()
    assert [(x["gl_account"], x["amount"]) for x in found["coding_lines"]] == [
        ("4230", "-30.00"),
        ("4510", "-12.50"),
    ]


def test_lines_that_do_not_add_up_are_refused_and_nothing_is_saved(client: TestClient) -> None:
    (txn_id,) = imported(client, txn("t-1", amount="-42.50"))

    answer = client.put(
        f"/api/v1/transactions/{txn_id}/coding",
        json={"lines": [line("4230", "-30.00"), line("4510", "-12.00", "1")]},
    )

    assert answer.status_code == 400
    assert "0.50 unassigned" in answer.json()["detail"]
    assert client.get(f"/api/v1/transactions/{txn_id}").json()["coding_lines"] == []


def test_a_code_that_was_never_synced_is_refused_naming_line_and_field(
    client: TestClient,
) -> None:
    (txn_id,) = imported(client, txn("t-1", amount="-42.50"))

    answer = client.put(
        f"/api/v1/transactions/{txn_id}/coding",
        json={"lines": [line("4230", "-40.00"), line("4230", "-2.50", "77")]},
    )

    assert answer.status_code == 422
    assert answer.json()["errors"] == [
        {
            "line": "2",
            "field": "vat_code",
            "message": "line 2: VAT code 77 does not exist in the synced dimensions; "
            "choose one from the list",
        }
    ]
    assert client.get(f"/api/v1/transactions/{txn_id}").json()["coding_lines"] == []


def test_a_blocked_account_is_saved_but_shown_beside_its_field(client: TestClient) -> None:
    (txn_id,) = imported(client, txn("t-1", amount="-42.50"))

    answer = client.put(
        f"/api/v1/transactions/{txn_id}/coding", json={"lines": [line("4999", "-42.50")]}
    )

    assert answer.status_code == 200
    (problem,) = answer.json()["problems"]
    assert (problem["line"], problem["field"], problem["code"]) == (1, "gl_account", "4999")
    assert "blocked in Exact Online" in problem["message"]


def test_mark_ready_moves_the_bookable_and_keeps_back_the_rest_with_reasons(
    client: TestClient, session_factory: sessionmaker[Session], company: uuid.UUID
) -> None:
    good, travel, uncoded = imported(client, txn("t-1"), txn("t-2", merchant_name="NS"), txn("t-3"))
    client.put(f"/api/v1/transactions/{good}/coding", json={"lines": [line("4230", "-42.50")]})
    client.put(f"/api/v1/transactions/{travel}/coding", json={"lines": [line("4600", "-42.50")]})

    answer = client.post("/api/v1/transactions/mark-ready", json={"ids": [good, travel, uncoded]})

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["ready"], body["kept_back"]) == (1, 2)
    results = {r["id"]: r for r in body["results"]}
    assert results[good]["status"] == "ready"
    assert [p["field"] for p in results[travel]["problems"]] == ["cost_center"]
    assert "no coding yet" in results[uncoded]["problems"][0]["message"]
    assert status_of(client, good) == ("ready", None)
    travel_status, travel_reason = status_of(client, travel)
    assert travel_status == "to_prepare" and travel_reason and "cost centre" in travel_reason
    assert "transaction.ready" in audit_actions(session_factory, company)


def test_recoding_a_ready_one_with_a_problem_sends_it_back_to_prepare(client: TestClient) -> None:
    (txn_id,) = imported(client, txn("t-1"))
    client.put(f"/api/v1/transactions/{txn_id}/coding", json={"lines": [line("4230", "-42.50")]})
    client.post("/api/v1/transactions/mark-ready", json={"ids": [txn_id]})

    client.put(f"/api/v1/transactions/{txn_id}/coding", json={"lines": [line("4999", "-42.50")]})

    status, reason = status_of(client, txn_id)
    assert status == "to_prepare" and reason and "blocked" in reason


def test_reopen_takes_a_ready_one_back_and_is_audited(
    client: TestClient, session_factory: sessionmaker[Session], company: uuid.UUID
) -> None:
    (txn_id,) = imported(client, txn("t-1"))
    client.put(f"/api/v1/transactions/{txn_id}/coding", json={"lines": [line("4230", "-42.50")]})
    client.post("/api/v1/transactions/mark-ready", json={"ids": [txn_id]})

    answer = client.post("/api/v1/transactions/reopen", json={"ids": [txn_id]})

    assert answer.json() == {"reopened": [txn_id]}
    assert status_of(client, txn_id) == ("to_prepare", None)
    assert audit_actions(session_factory, company)[0] == "transaction.reopened"


def test_a_selection_with_an_exported_one_is_refused_whole(
    client: TestClient, session_factory: sessionmaker[Session], company: uuid.UUID
) -> None:
    fine, exported = imported(client, txn("t-1"), txn("t-2"))
    for txn_id in (fine, exported):
        client.put(
            f"/api/v1/transactions/{txn_id}/coding", json={"lines": [line("4230", "-42.50")]}
        )
    with UnitOfWork(session_factory) as uow:
        row = uow.transactions.require(company, uuid.UUID(exported))
        row.status = ExportStatus.EXPORTED.value
        uow.commit()

    answer = client.post("/api/v1/transactions/mark-ready", json={"ids": [fine, exported]})

    assert answer.status_code == 422
    assert answer.json()["errors"] == [
        {
            "id": exported,
            "message": "t-2 is exported: it is booked in Exact Online and cannot change",
        }
    ]
    assert status_of(client, fine)[0] == "to_prepare"  # nothing half-applied


def test_another_companys_transaction_is_not_found(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    (txn_id,) = imported(client, txn("t-1"))
    add_company(session_factory, "beta")
    beta = bearer(session_factory, "beta")

    coded = client.put(
        f"/api/v1/transactions/{txn_id}/coding",
        json={"lines": [line("4230", "-42.50")]},
        headers=beta,
    )
    marked = client.post("/api/v1/transactions/mark-ready", json={"ids": [txn_id]}, headers=beta)

    assert coded.status_code == 404
    assert marked.status_code == 422
    assert marked.json()["errors"] == [{"id": txn_id, "message": f"transaction {txn_id} not found"}]


def test_a_viewer_may_not_code(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    (txn_id,) = imported(client, txn("t-1"))

    answer = client.put(
        f"/api/v1/transactions/{txn_id}/coding",
        json={"lines": [line("4230", "-42.50")]},
        headers=bearer(session_factory, "acme", "viewer"),
    )

    assert answer.status_code == 403
    assert client.get(f"/api/v1/transactions/{txn_id}").json()["coding_lines"] == []


def test_bulk_assign_by_filter_codes_every_match_and_mark_ready_by_filter_readies_them(
    client: TestClient, session_factory: sessionmaker[Session], company: uuid.UUID
) -> None:
    coolblue = imported(
        client, *(txn(f"cb-{n}", merchant_name="Coolblue", amount="-10.00") for n in range(20))
    )
    (other,) = imported(client, txn("ah-1", merchant_name="Albert Heijn"))
    selection = {"filter": {"merchant": "coolblue", "status": "to_prepare"}}

    assigned = client.post(
        "/api/v1/transactions/assign",
        json={**selection, "values": {"gl_account": "4230", "vat_code": "2"}},
    )
    readied = client.post("/api/v1/transactions/mark-ready", json=selection)

    assert assigned.status_code == 200, assigned.text
    assert (assigned.json()["assigned"], assigned.json()["with_problems"]) == (20, 0)
    assert readied.json()["ready"] == 20
    assert {status_of(client, txn_id)[0] for txn_id in coolblue} == {"ready"}
    assert client.get(f"/api/v1/transactions/{other}").json()["coding_lines"] == []
    actions = audit_actions(session_factory, company)
    assert actions.count("transaction.coding.assigned") == 20


def test_assigning_to_a_split_coding_keeps_the_amounts_and_changes_every_line(
    client: TestClient,
) -> None:
    (txn_id,) = imported(client, txn("t-1", amount="-42.50"))
    client.put(
        f"/api/v1/transactions/{txn_id}/coding",
        json={"lines": [line("4230", "-30.00"), line("4510", "-12.50", "1")]},
    )

    client.post(
        "/api/v1/transactions/assign", json={"ids": [txn_id], "values": {"cost_center": "CC1"}}
    )

    lines = client.get(f"/api/v1/transactions/{txn_id}").json()["coding_lines"]
    assert [(x["gl_account"], x["amount"], x["cost_center"]) for x in lines] == [
        ("4230", "-30.00", "CC1"),
        ("4510", "-12.50", "CC1"),
    ]


def test_a_bulk_assign_with_an_unknown_code_or_an_uncoded_one_without_gl_changes_nothing(
    client: TestClient,
) -> None:
    coded, uncoded = imported(client, txn("t-1"), txn("t-2"))
    client.put(f"/api/v1/transactions/{coded}/coding", json={"lines": [line("4230", "-42.50")]})

    unknown = client.post(
        "/api/v1/transactions/assign", json={"ids": [coded], "values": {"cost_center": "NOPE"}}
    )
    no_gl = client.post(
        "/api/v1/transactions/assign",
        json={"ids": [coded, uncoded], "values": {"cost_center": "CC1"}},
    )

    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "cost_center"
    assert "cost centre NOPE does not exist" in unknown.json()["errors"][0]["message"]
    assert no_gl.status_code == 422
    assert no_gl.json()["errors"] == [
        {"id": uncoded, "message": "t-2: no coding yet: assign a GL account too"}
    ]
    lines = client.get(f"/api/v1/transactions/{coded}").json()["coding_lines"]
    assert [x["cost_center"] for x in lines] == [None]


def test_a_selection_is_ids_or_a_filter_and_a_filter_matching_nothing_is_said(
    client: TestClient,
) -> None:
    imported(client, txn("t-1"))

    both = client.post(
        "/api/v1/transactions/mark-ready", json={"ids": [str(uuid.uuid4())], "filter": {}}
    )
    nothing = client.post("/api/v1/transactions/mark-ready", json={"filter": {"merchant": "zz"}})

    assert both.status_code == 422
    assert nothing.status_code == 400
    assert nothing.json()["detail"] == "no transaction matches the filter; nothing was changed"
