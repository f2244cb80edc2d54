"""Prep on the Transactions pages through a browser's requests: the drawer's coding form
(split lines, problems beside their fields with the input kept), mark ready / reopen,
the pickers' options, and the bulk bar by ids and by filter."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from access_world import BOB, PASSWORD, World, build_world
from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker
from test_intake_api import txn
from test_prep_api import with_settings

from ledgerbridge.domain.export_status import ExportStatus
from ledgerbridge.services.access import setup

DAVE = "dave@a.example"  # a viewer of A
LIST_URL = "http://testserver/transactions?status=to_prepare"


@pytest.fixture
def world(
    tmp_path: Path, database_url: URL, engine: Engine, session_factory: sessionmaker[Session]
) -> Iterator[World]:
    found = build_world(tmp_path, database_url, session_factory, engine)
    setup.add_user(found.uow, "a", DAVE, "viewer", PASSWORD)
    with found.uow() as uow:
        with_settings(uow, found.a)
        uow.commit()
    yield found


def add(world: World, *items: dict[str, Any]) -> list[str]:
    with world.client(headers=world.key_of(world.a, "bookkeeper")) as client:
        answer = client.post("/api/v1/transactions", json={"transactions": list(items)})
        assert answer.status_code in (200, 201), answer.text
        return [item["id"] for item in answer.json()["items"]]


def lines(*rows: tuple[str, str, str], note: str = "") -> dict[str, Any]:
    """Form fields of coding lines (GL account, VAT code, amount)."""
    return {
        "gl_account": [r[0] for r in rows],
        "vat_code": [r[1] for r in rows],
        "cost_center": ["" for _ in rows],
        "cost_unit": ["" for _ in rows],
        "project": ["" for _ in rows],
        "amount": [r[2] for r in rows],
        "line_description": ["" for _ in rows],
        "note": note,
    }


def stored(world: World, txn_id: str) -> tuple[str, list[tuple[str | None, str]]]:
    with world.uow() as uow:
        row = uow.transactions.get(world.a, uuid.UUID(txn_id))
        assert row is not None
        found = uow.transactions.coding_lines(world.a, uuid.UUID(txn_id))
        return row.status, [(line.gl_account, f"{line.amount:.2f}") for line in found]


def beside(page: str, field_id: str) -> str:
    """The message under the field ``field_id``, which the field names as its description."""
    assert f'aria-describedby="{field_id}-problem"' in page or (
        f'id="{field_id}"' in page and f"{field_id}-problem" in page
    ), f"{field_id} does not point at a problem"
    found = re.search(rf'<p class="field-problem" id="{field_id}-problem">(.*?)</p>', page, re.S)
    assert found, f"no problem beside {field_id}"
    return found.group(1)


def test_a_split_coding_is_saved_from_the_drawer(world: World) -> None:
    (txn_id,) = add(world, txn("s-1", amount="-42.50"))
    client, csrf = world.signed_in()

    saved = client.post(
        f"/transactions/{txn_id}/coding",
        data={"csrf_token": csrf, **lines(("4230", "2", "-30.00"), ("4510", "1", "-12.50"),
                                          note="team lunch")},
    )  # fmt: skip

    assert saved.status_code == 303
    page = client.get(saved.headers["location"]).text
    assert "The coding was saved." in page
    assert 'id="l2-gl_account" name="gl_account" value="4510"' in page
    assert 'id="l2-amount" name="amount" value="-12.50"' in page
    assert "team lunch</textarea>" in page
    assert stored(world, txn_id) == ("to_prepare", [("4230", "-30.00"), ("4510", "-12.50")])


def test_lines_that_do_not_add_up_are_shown_beside_the_amount_with_the_input_kept(
    world: World,
) -> None:
    (txn_id,) = add(world, txn("s-1", amount="-42.50"))
    client, csrf = world.signed_in()

    refused = client.post(
        f"/transactions/{txn_id}/coding",
        data={"csrf_token": csrf, **lines(("4230", "2", "-30.00"), ("4510", "1", "-12.00"))},
    )

    assert refused.status_code == 422
    assert "Nothing was saved." in refused.text
    assert "0.50 unassigned" in beside(refused.text, "coding-total")
    amount = re.search(r'<input id="l2-amount"[^>]*>', refused.text)
    assert amount and 'value="-12.00"' in amount.group(0)
    assert 'aria-describedby="coding-total-problem"' in amount.group(0)
    assert stored(world, txn_id) == ("to_prepare", [])


def test_an_unknown_code_is_shown_beside_its_field_and_a_bad_amount_beside_the_amount(
    world: World,
) -> None:
    (txn_id,) = add(world, txn("s-1", amount="-42.50"))
    client, csrf = world.signed_in()

    unknown = client.post(
        f"/transactions/{txn_id}/coding",
        data={"csrf_token": csrf, **lines(("4230", "2", "-30.00"), ("9999", "1", "-12.50"))},
    )
    not_a_number = client.post(
        f"/transactions/{txn_id}/coding",
        data={"csrf_token": csrf, **lines(("4230", "2", "-30,0x"))},
    )

    assert unknown.status_code == 422
    assert "9999 does not exist" in beside(unknown.text, "l2-gl_account")
    assert 'value="9999"' in unknown.text
    assert not_a_number.status_code == 422
    assert "not an amount" in beside(not_a_number.text, "l1-amount")
    assert stored(world, txn_id) == ("to_prepare", [])


def test_add_a_line_proposes_the_rest_and_remove_drops_it_without_saving(world: World) -> None:
    (txn_id,) = add(world, txn("s-1", amount="-42.50"))
    client, csrf = world.signed_in()

    added = client.post(
        f"/transactions/{txn_id}/coding",
        data={"csrf_token": csrf, "add_line": "1", **lines(("4230", "2", "-30.00"))},
    )
    removed = client.post(
        f"/transactions/{txn_id}/coding",
        data={"csrf_token": csrf, "remove_line": "1",
              **lines(("4230", "2", "-30.00"), ("4510", "1", "-12.50"))},
    )  # fmt: skip

    assert added.status_code == 200
    assert 'id="l2-amount" name="amount" value="-12.50"' in added.text
    assert 'id="l1-gl_account" name="gl_account" value="4510"' in removed.text
    assert 'id="l2-gl_account"' not in removed.text
    assert stored(world, txn_id) == ("to_prepare", [])


def test_mark_ready_keeps_it_back_with_reasons_beside_fields_then_moves_it_and_reopen(
    world: World,
) -> None:
    (txn_id,) = add(world, txn("s-1", amount="-42.50"))
    client, csrf = world.signed_in()
    client.post(
        f"/transactions/{txn_id}/coding",
        data={"csrf_token": csrf, **lines(("4600", "2", "-42.50"))},  # needs a cost centre
    )
    htmx = {"HX-Request": "true", "HX-Current-URL": LIST_URL}

    kept = client.post(f"/transactions/{txn_id}/ready", data={"csrf_token": csrf}, headers=htmx)
    assert kept.status_code == 200
    assert "it stays in To prepare" in kept.text
    assert "cost centre" in beside(kept.text, "l1-cost_center")
    assert stored(world, txn_id)[0] == "to_prepare"

    fixed = {**lines(("4600", "2", "-42.50")), "cost_center": ["CC1"]}
    client.post(f"/transactions/{txn_id}/coding", data={"csrf_token": csrf, **fixed})
    ready = client.post(f"/transactions/{txn_id}/ready", data={"csrf_token": csrf}, headers=htmx)
    assert "Marked ready: it moved to Ready." in ready.text
    assert stored(world, txn_id)[0] == "ready"
    # The list refreshes out of band: the row leaves To prepare, the counts follow.
    assert f'<tr id="row-{txn_id}" hx-swap-oob="delete">' in ready.text
    tabs = re.search(r'<nav id="tabs"[^>]*hx-swap-oob="true">(.*?)</nav>', ready.text, re.S)
    assert tabs and re.findall(r'class="count">(\d+)<', tabs.group(1))[:2] == ["1", "1"]
    assert ready.headers["HX-Trigger"] == "coding-saved"

    reopened = client.post(f"/transactions/{txn_id}/reopen", data={"csrf_token": csrf})
    assert reopened.status_code == 303
    assert "Reopened" in client.get(reopened.headers["location"]).text
    assert stored(world, txn_id)[0] == "to_prepare"


def test_an_htmx_save_answers_the_drawer_with_the_row_and_counts_out_of_band(
    world: World,
) -> None:
    (txn_id,) = add(world, txn("s-1", amount="-42.50"))
    client, csrf = world.signed_in()

    saved = client.post(
        f"/transactions/{txn_id}/coding",
        data={"csrf_token": csrf, **lines(("4230", "2", "-42.50"))},
        headers={"HX-Request": "true", "HX-Current-URL": LIST_URL},
    )

    assert saved.status_code == 200 and "<html" not in saved.text
    assert "The coding was saved." in saved.text
    assert f'<tr id="row-{txn_id}" data-row="{txn_id}" tabindex="-1" hx-swap-oob="true">' in (
        saved.text
    )
    assert 'hx-get="/transactions/' + txn_id + '/preview"' in saved.text  # the preview's place


def test_the_pickers_offer_usable_values_matching_code_or_name(world: World) -> None:
    client, _ = world.signed_in()

    by_name = client.get("/dimensions/options", params={"kind": "gl_account", "q": "office"})
    by_field = client.get("/dimensions/options", params={"kind": "gl_account", "gl_account": "4"})
    vat = client.get("/dimensions/options", params={"kind": "vat_code"})
    bob, _ = world.signed_in(BOB)
    other = bob.get("/dimensions/options", params={"kind": "gl_account"})

    assert re.findall(r'<option value="([^"]+)"', by_name.text) == ["4230"]
    assert "4230 — Office supplies" in by_name.text
    codes = re.findall(r'<option value="([^"]+)"', by_field.text)
    assert "4600" in codes and "4999" not in codes  # the blocked one is not offered
    assert re.findall(r'<option value="([^"]+)"', vat.text) == ["1", "2"]
    assert "4230" not in other.text
    travel = client.get("/dimensions/options", params={"kind": "gl_account", "q": "travel"}).text
    # Choosing it proposes its defaults (app.js reads these) and asks for a cost centre.
    assert 'data-vat="2"' in travel and 'data-default-cost-center="CC1"' in travel
    assert 'data-cost-center="mandatory"' in travel


def test_bulk_assign_by_ids_then_by_filter(world: World) -> None:
    ids = add(
        world,
        txn("b-1", merchant_name="Coolblue", amount="-10.00"),
        txn("b-2", merchant_name="Coolblue", amount="-20.00"),
        txn("b-3", merchant_name="Shell", amount="-30.00"),
    )
    client, csrf = world.signed_in()

    by_ids = client.post(
        "/transactions/bulk/assign",
        data={"csrf_token": csrf, "scope": "selected", "ids": ids[:1], "gl_account": "4230",
              "vat_code": "2"},
    )  # fmt: skip
    by_filter = client.post(
        "/transactions/bulk/assign",
        data={"csrf_token": csrf, "scope": "all", "status": "to_prepare",
              "merchant": "coolblue", "gl_account": "4510", "vat_code": "1", "cost_center": ""},
    )  # fmt: skip

    assert by_ids.status_code == 200
    assert "1 transaction assigned." in by_ids.text
    assert by_filter.status_code == 200
    assert "2 transactions assigned." in by_filter.text
    assert stored(world, ids[0])[1] == [("4510", "-10.00")]
    assert stored(world, ids[1])[1] == [("4510", "-20.00")]
    assert stored(world, ids[2])[1] == []  # Shell is not in the filter


def test_bulk_ready_by_filter_lists_the_ones_kept_back_with_their_reasons(world: World) -> None:
    good, bad = add(
        world,
        txn("b-1", merchant_name="Coolblue", amount="-10.00"),
        txn("b-2", merchant_name="Coolblue", amount="-20.00"),
    )
    client, csrf = world.signed_in()
    for txn_id, gl in ((good, "4230"), (bad, "4600")):  # 4600 needs a cost centre
        values = {"csrf_token": csrf, "ids": [txn_id], "gl_account": gl, "vat_code": "2"}
        client.post("/transactions/bulk/assign", data=values)

    answer = client.post(
        "/transactions/bulk/ready",
        data={"csrf_token": csrf, "scope": "all", "status": "to_prepare", "merchant": "coolblue"},
    )

    assert answer.status_code == 200
    assert "1 transaction marked ready." in answer.text
    result = answer.text.split('id="bulk-result"')[1].split("</div>")[0]
    assert "1 kept back in To prepare" in result and "Coolblue (b-2)" in result
    assert "cost centre" in result
    assert stored(world, good)[0] == "ready" and stored(world, bad)[0] == "to_prepare"

    reopened = client.post(
        "/transactions/bulk/reopen", data={"csrf_token": csrf, "ids": [good], "status": "ready"}
    )
    assert "1 transaction reopened" in reopened.text
    assert stored(world, good)[0] == "to_prepare"


def test_a_bulk_selection_with_an_exported_one_is_refused_whole(world: World) -> None:
    open_one, exported = add(world, txn("b-1"), txn("b-2"))
    with world.uow() as uow:
        for status in ("READY", "QUEUED", "EXPORTING", "EXPORTED"):
            uow.transactions.set_status(world.a, uuid.UUID(exported), ExportStatus[status])
        uow.commit()
    client, csrf = world.signed_in()

    answer = client.post(
        "/transactions/bulk/assign",
        data={"csrf_token": csrf, "ids": [open_one, exported], "gl_account": "4230"},
    )

    assert answer.status_code == 422
    result = answer.text.split('id="bulk-result"')[1].split("</div>")[0]
    assert "Nothing was changed." in result
    assert "b-2 is exported" in result
    ticked = re.findall(r'name="ids" value="([0-9a-f-]{36})"[^>]* checked', answer.text)
    assert ticked == [open_one]  # still ticked, to untick the other and send again
    assert stored(world, open_one)[1] == [] and stored(world, exported)[1] == []


def test_all_matching_beyond_the_maximum_is_refused_with_a_clear_message(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ledgerbridge.services.prep import coding

    monkeypatch.setattr(coding, "MAX_SELECTION", 2)
    add(world, txn("b-1"), txn("b-2"))  # with A's own: 3 to prepare
    client, csrf = world.signed_in()

    answer = client.post(
        "/transactions/bulk/ready",
        data={"csrf_token": csrf, "scope": "all", "status": "to_prepare"},
    )

    assert answer.status_code == 400
    assert "more than 2 transactions match; narrow the filter" in answer.text
    assert "Nothing was changed." in answer.text


def test_the_list_has_checkboxes_and_the_bulk_bar_for_a_bookkeeper_only(world: World) -> None:
    client, _ = world.signed_in()
    viewer, _ = world.signed_in(DAVE)

    page = client.get("/transactions").text
    exported_tab = client.get("/transactions", params={"status": "exported"}).text
    read_only = viewer.get("/transactions").text
    drawer = viewer.get(f"/transactions/{world.txn}").text

    assert f'name="ids" value="{world.txn}"' in page and 'id="bulk"' in page
    assert "Select all on this page" in page and "Keyboard shortcuts" in page
    assert 'id="bulk"' not in exported_tab
    assert 'id="bulk"' not in read_only and 'name="ids"' not in read_only
    assert "data-coding-form" not in drawer and "Mark ready" not in drawer


def test_a_viewer_is_refused_every_prep_post(world: World) -> None:
    client, csrf = world.signed_in(DAVE)

    answers = [
        client.post(f"/transactions/{world.txn}/coding",
                    data={"csrf_token": csrf, **lines(("4230", "2", "-42.50"))}),
        client.post(f"/transactions/{world.txn}/ready", data={"csrf_token": csrf}),
        client.post(f"/transactions/{world.txn}/reopen", data={"csrf_token": csrf}),
        client.post("/transactions/bulk/assign",
                    data={"csrf_token": csrf, "ids": [world.txn], "gl_account": "4230"}),
        client.post("/transactions/bulk/ready", data={"csrf_token": csrf, "ids": [world.txn]}),
        client.post("/transactions/bulk/reopen", data={"csrf_token": csrf, "ids": [world.txn]}),
    ]  # fmt: skip

    assert [a.status_code for a in answers] == [403] * 6
    assert stored(world, world.txn) == ("to_prepare", [])


def test_another_companys_transaction_answers_404_and_stays_untouched(world: World) -> None:
    client, csrf = world.signed_in(BOB)

    answers = [
        client.post(f"/transactions/{world.txn}/coding",
                    data={"csrf_token": csrf, **lines(("4230", "2", "-42.50"))}),
        client.post(f"/transactions/{world.txn}/ready", data={"csrf_token": csrf}),
        client.post(f"/transactions/{world.txn}/reopen", data={"csrf_token": csrf}),
    ]  # fmt: skip
    bulk = client.post(
        "/transactions/bulk/assign",
        data={"csrf_token": csrf, "ids": [world.txn], "gl_account": "4230"},
    )

    assert [a.status_code for a in answers] == [404] * 3
    assert bulk.status_code == 422 and "a-secret-ext" not in bulk.text
    assert stored(world, world.txn) == ("to_prepare", [])
