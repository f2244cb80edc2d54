"""The Rules page and the suggestions fragment through a browser's requests."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from access_world import ANNA, PASSWORD, World, build_world
from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker
from test_intake_api import txn

from ledgerbridge.domain.dimensions import Dimension, DimensionKind
from ledgerbridge.services.access import setup

DAVE = "dave@a.example"  # a viewer of A
K = DimensionKind


@pytest.fixture
def world(
    tmp_path: Path, database_url: URL, engine: Engine, session_factory: sessionmaker[Session]
) -> Iterator[World]:
    found = build_world(tmp_path, database_url, session_factory, engine)
    setup.add_user(found.uow, "a", DAVE, "viewer", PASSWORD)
    with found.uow() as uow:
        uow.dimensions.save(
            found.a,
            [
                Dimension(K.GL_ACCOUNT, "4230", "Office supplies"),
                Dimension(K.GL_ACCOUNT, "4510", "Business meals"),
                Dimension(K.VAT_CODE, "2", "21% incl"),
                Dimension(K.GL_ACCOUNT, "4999", "Old costs", blocked=True),
            ],
        )
        uow.commit()
    yield found


def add(world: World, *items: dict[str, Any]) -> list[str]:
    with world.client(headers=world.key_of(world.a, "bookkeeper")) as client:
        answer = client.post("/api/v1/transactions", json={"transactions": list(items)})
        assert answer.status_code in (200, 201), answer.text
        return [item["id"] for item in answer.json()["items"]]


def form(csrf: str, **values: str) -> dict[str, str]:
    base = {
        "csrf_token": csrf,
        "name": "Coolblue",
        "merchant_match": "contains",
        "merchant_value": "coolblue",
        "gl_account": "4230",
        "vat_code": "2",
        "enabled": "yes",
    }
    return base | values


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#34;", '"')


def test_a_rule_added_on_the_page_is_listed_in_plain_words_with_its_matches(
    world: World,
) -> None:
    add(world, txn("c-1", merchant_name="Coolblue"), txn("c-2", merchant_name="Coolblue NL"))
    client, csrf = world.signed_in()

    empty = client.get("/rules")
    made = client.post("/rules", data=form(csrf))
    page = client.get(made.headers["location"])

    assert '<a href="/rules" aria-current="page">Rules</a>' in empty.text
    assert '<datalist id="gl_account-codes-new">' in empty.text
    assert '<option value="4230">4230 · Office supplies</option>' in empty.text
    assert "4999" not in empty.text  # blocked: not offered
    assert made.status_code == 303
    shown = text_of(page.text)
    assert "The rule was added." in shown
    assert 'When the merchant contains "coolblue", assign GL account 4230 and VAT code 2' in shown
    assert re.search(r"<td>2</td>", page.text)  # matches two to prepare now


def test_a_bad_rule_shows_its_reason_beside_the_field_and_saves_nothing(world: World) -> None:
    add(world, txn("c-1", merchant_name="Coolblue"))
    client, csrf = world.signed_in()

    unknown = client.post("/rules", data=form(csrf, vat_code="77"))
    everything = client.post("/rules", data=form(csrf, merchant_value="", mcc_value="5411"))

    assert unknown.status_code == 422
    assert re.search(r'id="vat_code-error">VAT code 77 does not exist', unknown.text)
    assert 'value="77"' in unknown.text  # the form keeps what was typed
    assert everything.status_code == 422
    assert "matches all 2 of the company" in text_of(everything.text)
    assert len(re.findall(r'<tr id="rule-', client.get("/rules").text)) == 1  # the world's only


def test_edit_move_delete_and_apply_on_the_page(world: World) -> None:
    old, ready = add(
        world, txn("c-1", merchant_name="Coolblue"), txn("c-2", merchant_name="Bol.com")
    )
    client, csrf = world.signed_in()
    client.post("/rules", data=form(csrf))
    client.post("/rules", data=form(csrf, name="Bol", merchant_value="bol.com"))
    ids = re.findall(r'id="rule-([0-9a-f-]{36})"', client.get("/rules").text)
    assert len(ids) == 3  # with the world's own rule first

    edit = client.get(f"/rules/{ids[1]}/edit")
    saved = client.post(f"/rules/{ids[1]}/edit", data=form(csrf, gl_account="4510"))
    moved = client.post(f"/rules/{ids[2]}/move", data={"csrf_token": csrf, "direction": "up"})
    confirm = client.get(f"/rules/{ids[0]}/delete")
    deleted = client.post(f"/rules/{ids[0]}/delete", data={"csrf_token": csrf})
    applied = client.post("/rules/apply", data={"csrf_token": csrf})

    assert 'value="coolblue"' in edit.text
    assert saved.status_code == moved.status_code == deleted.status_code == 303
    assert "Delete the rule" in text_of(confirm.text)
    assert re.findall(r'id="rule-([0-9a-f-]{36})"', applied.text) == [ids[2], ids[1]]
    shown = text_of(applied.text)
    assert "Applied to transactions still to prepare: 2 coded." in shown
    assert "assign GL account 4510 and VAT code 2" in shown
    with world.uow() as uow:
        lines = uow.transactions.coding_lines_of(world.a, [uuid.UUID(old), uuid.UUID(ready)])
        assert [[x.gl_account for x in v] for v in lines.values()] == [["4510"], ["4230"]]


def test_a_viewer_reads_the_rules_without_forms_and_cannot_post(world: World) -> None:
    client, _ = world.signed_in(DAVE)
    csrf = client.get("/api/v1/me").json()["csrf_token"]

    page = client.get("/rules")
    refused = client.post("/rules", data=form(csrf))

    assert page.status_code == 200 and "Rule only A has" in page.text
    assert "Add a rule" not in page.text and "/rules/apply" not in page.text
    assert refused.status_code == 403


def test_the_suggestion_fragment_shows_the_reason_and_uses_it_on_a_click(world: World) -> None:
    history = add(
        world,
        *(
            txn(f"h-{n}", merchant_name="Coolblue", booking_date=f"2026-11-0{n + 1}")
            for n in range(2)
        ),
        txn("new", merchant_name="Coolblue"),
    )
    *old, new = history
    with world.client(headers=world.key_of(world.a, "bookkeeper")) as api:
        for txn_id in old:
            coding = {"lines": [{"gl_account": "4230", "amount": "-42.50", "vat_code": "2"}]}
            assert api.put(f"/api/v1/transactions/{txn_id}/coding", json=coding).status_code == 200
    client, csrf = world.signed_in(ANNA)

    fragment = client.get(f"/transactions/{new}/suggestions")
    used = client.post(f"/transactions/{new}/suggestions/use", data={"csrf_token": csrf})
    after = client.get(f"/transactions/{new}/suggestions")

    shown = text_of(fragment.text)
    assert "<html" not in fragment.text  # a fragment for the drawer
    assert "the last 2 Coolblue transactions went to 4230, VAT code 2" in shown
    assert f'action="/transactions/{new}/suggestions/use"' in fragment.text
    assert used.status_code == 303 and used.headers["location"] == f"/transactions/{new}"
    with world.uow() as uow:
        (line,) = uow.transactions.coding_lines(world.a, uuid.UUID(new))
        assert (line.gl_account, line.vat_code, str(line.amount)) == ("4230", "2", "-42.500")
    assert "Coded by rule" not in after.text


def test_the_fragment_says_which_rule_coded_the_transaction(world: World) -> None:
    add(world, txn("c-1", merchant_name="Coolblue"), txn("c-2", merchant_name="Jumbo"))
    client, csrf = world.signed_in()
    client.post("/rules", data=form(csrf, name="Coolblue office"))
    (new,) = add(world, txn("c-3", merchant_name="Coolblue"))

    fragment = client.get(f"/transactions/{new}/suggestions")

    assert "Coded by rule Coolblue office" in text_of(fragment.text)
