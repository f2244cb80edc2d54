"""Coding rules through the API: kept (checked, audited), applied on intake and on demand;
suggestions from the company's own history."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from auth_headers import bearer
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker
from test_intake_api import txn
from test_prep_api import add_company, imported, line, with_settings

from ledgerbridge.bootstrap import Container
from ledgerbridge.config import Settings
from ledgerbridge.db.models.core import AuditLogRow, TransactionRow
from ledgerbridge.db.uow import UnitOfWork
from ledgerbridge.domain.dimensions import Dimension, DimensionKind
from ledgerbridge.web.app import create_app


@pytest.fixture
def company(session_factory: sessionmaker[Session]) -> uuid.UUID:
    found = add_company(session_factory)
    other = add_company(session_factory, "globex")
    with UnitOfWork(session_factory) as uow:
        with_settings(uow, found)
        uow.dimensions.save(other, [Dimension(DimensionKind.GL_ACCOUNT, "7777", "Theirs")])
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


LATER = ("queued", "exporting", "exported", "failed")


def coolblue_rule(**changes: Any) -> dict[str, Any]:
    body = {
        "name": "Coolblue is office supplies",
        "conditions": [{"field": "merchant", "match": "contains", "value": "coolblue"}],
        "assignment": {"gl_account": "4230", "vat_code": "2"},
    }
    return body | changes


def seeded(client: TestClient) -> list[str]:
    return imported(
        client,
        txn("t-1", merchant_name="Coolblue B.V."),
        txn("t-2", merchant_name="Albert Heijn"),
    )


def audit(session_factory: sessionmaker[Session], company: uuid.UUID) -> list[AuditLogRow]:
    with UnitOfWork(session_factory) as uow:
        rows = uow.audit.entries(company)
        uow.session.expunge_all()
        return rows


def rule_id_of(session_factory: sessionmaker[Session], txn_id: str) -> uuid.UUID | None:
    with session_factory() as session:
        found = session.scalar(
            select(TransactionRow.rule_id).where(TransactionRow.id == uuid.UUID(txn_id))
        )
        return found


def lines_of(client: TestClient, txn_id: str) -> list[tuple[str, str | None, str]]:
    found = client.get(f"/api/v1/transactions/{txn_id}").json()["coding_lines"]
    return [(x["gl_account"], x["vat_code"], x["amount"]) for x in found]


def test_a_rule_is_saved_explained_and_audited(
    client: TestClient, session_factory: sessionmaker[Session], company: uuid.UUID
) -> None:
    seeded(client)

    answer = client.post("/api/v1/rules", json=coolblue_rule())

    assert answer.status_code == 201, answer.text
    made = answer.json()
    assert made["explanation"] == (
        'When the merchant contains "coolblue", assign GL account 4230 and VAT code 2'
    )
    listed = client.get("/api/v1/rules").json()["rules"]
    assert [(r["name"], r["matches_to_prepare"]) for r in listed] == [
        ("Coolblue is office supplies", 1)
    ]
    (created,) = [row for row in audit(session_factory, company) if row.action == "rule.created"]
    assert created.subject_id == made["id"]
    assert created.details["to"]["assignment"] == {"gl_account": "4230", "vat_code": "2"}


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"conditions": []}, "conditions", "at least one condition"),
        (
            {"conditions": [{"field": "merchant", "match": "contains", "value": " "}]},
            "conditions.1.value",
            "cannot be empty",
        ),
        ({"assignment": {}}, "assignment", "at least one value"),
        ({"assignment": {"gl_account": "9999"}}, "assignment.gl_account", "does not exist"),
        ({"assignment": {"gl_account": "7777"}}, "assignment.gl_account", "does not exist"),
        ({"assignment": {"gl_account": "4999"}}, "assignment.gl_account", "blocked"),
        (
            {"conditions": [{"field": "mcc", "match": "contains", "value": "54"}]},
            "conditions.1.match",
            "MCC",
        ),
        (
            {"conditions": [{"field": "colour", "match": "equals", "value": "red"}]},
            "conditions.1.field",
            "choose one of",
        ),
    ],
)
def test_a_bad_rule_is_refused_per_field_and_nothing_is_saved(
    client: TestClient, changes: dict[str, Any], field: str, words: str
) -> None:
    seeded(client)

    answer = client.post("/api/v1/rules", json=coolblue_rule(**changes))

    assert answer.status_code == 422, answer.text
    errors = answer.json()["errors"]
    assert any(e["field"] == field and words in e["message"] for e in errors), errors
    assert client.get("/api/v1/rules").json()["rules"] == []


@pytest.mark.parametrize(
    ("condition", "words"),
    [
        ({"field": "merchant", "match": "equals", "value": "Jumbo"}, "matches none of the"),
        ({"field": "mcc", "match": "equals", "values": ["5411"]}, "matches all 2 of the"),
    ],
)
def test_a_rule_that_matches_nothing_or_everything_is_refused_with_the_count(
    client: TestClient, condition: dict[str, Any], words: str
) -> None:
    seeded(client)

    answer = client.post("/api/v1/rules", json=coolblue_rule(conditions=[condition]))

    assert answer.status_code == 422, answer.text
    assert words in answer.json()["detail"]
    assert answer.json()["errors"][0]["field"] == "conditions"
    assert client.get("/api/v1/rules").json()["rules"] == []


def test_rules_are_changed_moved_and_deleted_with_audit_rows(
    client: TestClient, session_factory: sessionmaker[Session], company: uuid.UUID
) -> None:
    seeded(client)
    first = client.post("/api/v1/rules", json=coolblue_rule()).json()["id"]
    ah = {"field": "merchant", "match": "starts_with", "value": "albert"}
    second = client.post("/api/v1/rules", json=coolblue_rule(name="AH", conditions=[ah])).json()[
        "id"
    ]

    changed = client.put(
        f"/api/v1/rules/{first}", json=coolblue_rule(assignment={"gl_account": "4510"})
    )
    moved = client.post(f"/api/v1/rules/{second}/move", json={"direction": "up"})
    bad_move = client.post(f"/api/v1/rules/{second}/move", json={"direction": "sideways"})
    deleted = client.delete(f"/api/v1/rules/{first}")

    assert changed.status_code == 200, changed.text
    assert changed.json()["explanation"].endswith("assign GL account 4510")
    assert moved.json() == {"order": [second, first]}
    assert bad_move.status_code == 422
    assert deleted.status_code == 204
    assert [r["id"] for r in client.get("/api/v1/rules").json()["rules"]] == [second]
    assert client.delete(f"/api/v1/rules/{first}").status_code == 404
    rows = {row.action: row for row in audit(session_factory, company)}
    assert rows["rule.changed"].details["from"]["assignment"]["gl_account"] == "4230"
    assert rows["rule.changed"].details["to"]["assignment"] == {"gl_account": "4510"}
    assert rows["rule.moved"].details["position"] == {"from": 2, "to": 1}
    assert rows["rule.deleted"].subject_id == first


def test_new_transactions_are_coded_by_the_first_matching_rule_on_intake(
    client: TestClient, session_factory: sessionmaker[Session], company: uuid.UUID
) -> None:
    seeded(client)
    specific = coolblue_rule(
        name="Coolblue Amsterdam",
        conditions=[{"field": "description", "match": "contains", "value": "amsterdam"}],
        assignment={"gl_account": "4510", "vat_code": "1"},
    )
    imported(client, txn("t-0", merchant_name="Other", description="Amsterdam shop"))
    general = client.post("/api/v1/rules", json=coolblue_rule()).json()["id"]
    first = client.post("/api/v1/rules", json=specific).json()["id"]
    client.post(f"/api/v1/rules/{first}/move", json={"direction": "up"})

    new = imported(
        client,
        txn("t-3", merchant_name="COOLBLUE", amount="-19.99"),
        txn("t-4", merchant_name="Coolblue", description="Amsterdam", amount="-5.00"),
        txn("t-5", merchant_name="Jumbo"),
    )

    assert lines_of(client, new[0]) == [("4230", "2", "-19.99")]
    assert lines_of(client, new[1]) == [("4510", "1", "-5.00")]
    assert lines_of(client, new[2]) == []
    assert rule_id_of(session_factory, new[0]) == uuid.UUID(general)
    assert client.get(f"/api/v1/transactions/{new[0]}").json()["rule_id"] == general
    assert rule_id_of(session_factory, new[1]) == uuid.UUID(first)
    applied = [row for row in audit(session_factory, company) if row.action == "rule.applied"]
    assert sorted((row.subject_id, row.details["count"]) for row in applied) == sorted(
        [(general, 1), (first, 1)]
    )


def test_a_csv_import_is_coded_by_the_rules_too(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    seeded(client)
    client.post("/api/v1/rules", json=coolblue_rule())
    csv = (
        "external_id,booking_date,amount,currency,merchant_name\n"
        f"c-1,{txn()['booking_date']},-10.00,EUR,Coolblue\n"
        f"c-2,{txn()['booking_date']},-11.00,EUR,Jumbo\n"
    )

    answer = client.post(
        "/api/v1/transactions/import", files={"file": ("t.csv", csv.encode(), "text/csv")}
    )

    assert answer.status_code in (200, 201), answer.text
    with session_factory() as session:
        coded = dict(
            session.execute(select(TransactionRow.external_id, TransactionRow.rule_id)).all()
        )
    assert coded["c-1"] is not None
    assert coded["c-2"] is None


def test_applying_retroactively_codes_only_uncoded_transactions_still_to_prepare(
    client: TestClient, session_factory: sessionmaker[Session], company: uuid.UUID
) -> None:
    old, ready, by_hand, _, *later = imported(
        client,
        txn("t-1", merchant_name="Coolblue"),
        txn("t-2", merchant_name="Coolblue"),
        txn("t-3", merchant_name="Coolblue"),
        txn("t-4", merchant_name="Albert Heijn"),
        *(txn(f"s-{status}", merchant_name="Coolblue") for status in LATER),
    )
    with session_factory.begin() as session:  # further along: as the export left them
        for txn_id, status in zip(later, LATER, strict=True):
            session.execute(
                update(TransactionRow)
                .where(TransactionRow.id == uuid.UUID(txn_id))
                .values(status=status, status_reason="export" if status == "failed" else None)
            )
    client.put(f"/api/v1/transactions/{ready}/coding", json={"lines": [line("4510", "-42.50")]})
    assert client.post("/api/v1/transactions/mark-ready", json={"ids": [ready]}).json()["ready"]
    client.put(f"/api/v1/transactions/{by_hand}/coding", json={"lines": [line("4510", "-42.50")]})
    made = client.post("/api/v1/rules", json=coolblue_rule()).json()["id"]

    answer = client.post("/api/v1/rules/apply", json={})
    again = client.post("/api/v1/rules/apply", json={"rule_ids": [made]})

    assert answer.status_code == 200, answer.text
    assert answer.json()["rules"] == [
        {"id": made, "name": "Coolblue is office supplies", "count": 1}
    ]
    assert again.json()["applied"] == 1  # its own coding may be redone, never a hand's
    assert lines_of(client, old) == [("4230", "2", "-42.50")]
    assert lines_of(client, ready) == [("4510", "2", "-42.50")]
    assert lines_of(client, by_hand) == [("4510", "2", "-42.50")]
    assert rule_id_of(session_factory, by_hand) is None
    assert [lines_of(client, txn_id) for txn_id in later] == [[]] * len(LATER)
    unknown = client.post("/api/v1/rules/apply", json={"rule_ids": [str(uuid.uuid4())]})
    assert unknown.status_code == 422


def test_coding_by_hand_takes_the_transaction_from_its_rule(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    seeded(client)
    client.post("/api/v1/rules", json=coolblue_rule())
    (new,) = imported(client, txn("t-9", merchant_name="Coolblue"))
    assert rule_id_of(session_factory, new) is not None

    client.put(f"/api/v1/transactions/{new}/coding", json={"lines": [line("4510", "-42.50")]})

    assert rule_id_of(session_factory, new) is None
    client.post("/api/v1/rules/apply", json={})
    assert lines_of(client, new) == [("4510", "2", "-42.50")]


def test_a_suggestion_comes_from_the_merchants_history_with_its_reason(
    client: TestClient,
) -> None:
    history = imported(
        client,
        *(
            txn(f"h-{n}", merchant_name="Coolblue", booking_date=f"2026-11-{n + 1:02d}")
            for n in range(4)
        ),
        txn("new", merchant_name="COOLBLUE"),
    )
    *old, new = history
    for txn_id in old[:3]:
        client.put(
            f"/api/v1/transactions/{txn_id}/coding",
            json={"lines": [line("4230", "-42.50", cost_center="CC1")]},
        )
    client.put(f"/api/v1/transactions/{old[3]}/coding", json={"lines": [line("4510", "-42.50")]})

    answer = client.get(f"/api/v1/transactions/{new}/suggestions")

    assert answer.status_code == 200, answer.text
    (suggested,) = answer.json()["suggestions"]
    assert (suggested["gl_account"], suggested["vat_code"], suggested["cost_center"]) == (
        "4230",
        "2",
        "CC1",
    )
    assert suggested["reason"] == ("3 of the last 4 Coolblue transactions went to 4230, VAT code 2")
    assert lines_of(client, new) == []  # never applied by itself


def test_no_history_no_suggestion_and_another_companys_transaction_is_404(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    (new,) = imported(client, txn("t-1", merchant_name="Nobody"))

    assert client.get(f"/api/v1/transactions/{new}/suggestions").json()["suggestions"] == []
    assert client.get(f"/api/v1/transactions/{uuid.uuid4()}/suggestions").status_code == 404
    with TestClient(client.app, headers=bearer(session_factory, "globex")) as other:
        assert other.get(f"/api/v1/transactions/{new}/suggestions").status_code == 404


def test_a_rule_without_gl_account_only_completes_a_coding_a_rule_made(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    seeded(client)
    first = client.post("/api/v1/rules", json=coolblue_rule()).json()["id"]
    coded, uncoded = imported(
        client,
        txn("t-3", merchant_name="Coolblue", cardholder="Anna"),
        txn("t-4", merchant_name="Jumbo", cardholder="Anna"),
    )
    imported(client, txn("t-5", merchant_name="Other", description="Monitor"))
    narrower = [{"field": "description", "match": "contains", "value": "monitor"}]
    changed = client.put(f"/api/v1/rules/{first}", json=coolblue_rule(conditions=narrower))
    assert changed.status_code == 200, changed.text
    centre = client.post(
        "/api/v1/rules",
        json=coolblue_rule(
            name="Anna's cost centre",
            conditions=[{"field": "cardholder", "match": "equals", "value": "anna"}],
            assignment={"cost_center": "CC1"},
        ),
    ).json()["id"]

    answer = client.post("/api/v1/rules/apply", json={"rule_ids": [centre]})

    assert answer.json()["applied"] == 1, answer.text
    found = client.get(f"/api/v1/transactions/{coded}").json()["coding_lines"]
    assert [(x["gl_account"], x["cost_center"]) for x in found] == [("4230", "CC1")]
    assert rule_id_of(session_factory, coded) == uuid.UUID(centre)
    assert lines_of(client, uncoded) == []


def test_a_bulk_assign_takes_the_transactions_from_their_rule_and_a_viewer_reads_rules(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    seeded(client)
    client.post("/api/v1/rules", json=coolblue_rule())
    (new,) = imported(client, txn("t-9", merchant_name="Coolblue"))

    assigned = client.post(
        "/api/v1/transactions/assign", json={"ids": [new], "values": {"cost_center": "CC1"}}
    )

    assert assigned.status_code == 200, assigned.text
    assert rule_id_of(session_factory, new) is None
    with TestClient(client.app, headers=bearer(session_factory, "acme", "viewer")) as viewer:
        assert [r["name"] for r in viewer.get("/api/v1/rules").json()["rules"]] == [
            "Coolblue is office supplies"
        ]
        assert viewer.post("/api/v1/rules/apply", json={}).status_code == 403


def test_what_the_rule_engine_finds_in_a_rules_coding_is_kept_as_the_reason(
    client: TestClient,
) -> None:
    seeded(client)
    travel = coolblue_rule(name="Travel", assignment={"gl_account": "4600", "vat_code": "2"})
    assert client.post("/api/v1/rules", json=travel).status_code == 201
    good = coolblue_rule(
        name="Travel with centre",
        conditions=[{"field": "merchant", "match": "starts_with", "value": "albert"}],
        assignment={"gl_account": "4600", "vat_code": "2", "cost_center": "CC1"},
    )
    assert client.post("/api/v1/rules", json=good).status_code == 201

    missing, complete = imported(
        client, txn("t-7", merchant_name="Coolblue"), txn("t-8", merchant_name="Albert Heijn")
    )

    reason = client.get(f"/api/v1/transactions/{missing}").json()["status_reason"]
    assert "cost centre" in reason
    assert client.get(f"/api/v1/transactions/{complete}").json()["status_reason"] is None
