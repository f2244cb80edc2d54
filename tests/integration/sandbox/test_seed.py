"""Seed data: the demo administration, the second division and large benchmark divisions."""

from __future__ import annotations

import time

from exact_sandbox.seed import DEMO_CLIENT_ID, SECOND_DIVISION, seed_large_division
from exact_sandbox.seed_data import DEMO_MERCHANTS

from .sandbox_api import DIVISION, Api, make_sandbox


def test_demo_merchants_are_seeded_as_suppliers_with_exactly_their_names() -> None:
    sandbox = make_sandbox()
    names = {row["Name"] for row in sandbox.store.rows(DIVISION, "crm/Accounts")}
    assert {name for name, _ in DEMO_MERCHANTS} <= names
    assert 200 <= len(names) <= 210


def test_seed_is_deterministic() -> None:
    first, second = make_sandbox(), make_sandbox()
    for table in ("crm/Accounts", "financial/GLAccounts", "vat/VATCodes"):
        assert [r["ID"] for r in first.store.rows(DIVISION, table)] == [
            r["ID"] for r in second.store.rows(DIVISION, table)
        ]


def test_demo_chart_has_what_a_purchase_needs() -> None:
    api = Api(make_sandbox())
    journals = api.results("financial/Journals?$select=Code,Type&$filter=IsBlocked eq false")
    assert {(j["Code"], j["Type"]) for j in journals} >= {("60", 22), ("20", 12), ("70", 20)}
    vat = api.results("vat/VATCodes?$select=Code&$filter=VATTransactionType ne 'S'")
    assert {"2", "3", "4", "5", "6", "7", "8", "0"} <= {v["Code"] for v in vat}
    blocked = api.results("financial/GLAccounts?$select=Code&$filter=IsBlocked eq true")
    assert blocked


def test_second_division_is_reachable_and_the_demo_app_is_registered() -> None:
    sandbox = make_sandbox()
    api = Api(sandbox)
    rows = api.get(api.url("crm/Accounts?$select=Name&$top=1", SECOND_DIVISION))
    assert rows.status_code == 200 and rows.json()["d"]["results"]
    assert "http://127.0.0.1:8000/integrations/exact/callback" in (
        sandbox.apps[DEMO_CLIENT_ID].redirect_uris
    )
    assert {u.language for u in sandbox.users.values()} == {"EN", "NL"}


def test_large_division_is_seeded_fast() -> None:
    sandbox = make_sandbox()
    started = time.perf_counter()
    seed_large_division(sandbox, 4200000, gl_accounts=10_000, suppliers=20_000, projects=2_000)
    assert time.perf_counter() - started < 5
    assert len(sandbox.store.rows(4200000, "crm/Accounts")) >= 20_000
    assert len(sandbox.store.rows(4200000, "financial/GLAccounts")) == 10_000
    api = Api(sandbox)
    found = api.get(api.url("crm/Accounts?$select=Name&$filter=Name eq 'Supplier 19000 B.V.'",
                            4200000))  # fmt: skip
    assert [r["Name"] for r in found.json()["d"]["results"]] == ["Supplier 19000 B.V."]
