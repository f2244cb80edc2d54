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


def test_the_demo_division_carries_a_dutch_sme_chart_that_pages_past_60_rows() -> None:
    api = Api(make_sandbox())
    url, codes, pages = "financial/GLAccounts?$select=Code,Type,BalanceType,BalanceSide", {}, 0
    while url:
        data = api.get(url).json()["d"]
        codes |= {
            r["Code"]: (r["Type"], r["BalanceType"], r["BalanceSide"]) for r in data["results"]
        }
        url, pages = data.get("__next"), pages + 1
    assert len(codes) == 197 and pages == 4  # Exact's 60-row pages
    assert {codes[c][0] for c in ("0100", "0220", "0230")} == {30}  # 0xxx fixed assets
    assert codes["0210"] == (35, "B", "C")  # accumulated depreciation
    assert (codes["1100"][0], codes["1600"][0], codes["1510"][0], codes["1520"][0]) == (
        12,
        22,
        24,
        24,
    )
    assert codes["8000"] == (110, "W", "C") and codes["4005"] == (125, "W", "D")
    assert sum(1 for c, (t, *_) in codes.items() if c[0] == "4" and 120 <= t <= 130) == 93
    vat = {v["Code"]: v for v in api.results(
        "vat/VATCodes?$select=Code,Type,VATTransactionType,Percentage,Charged")}  # fmt: skip
    sides = {v["VATTransactionType"] for v in vat.values()}
    assert len(vat) == 23 and sides == {"P", "S", "B"}
    for side in ("P", "S"):
        rates = {float(v["Percentage"]) for v in vat.values() if v["VATTransactionType"] == side}
        assert {0.0, 0.09, 0.21} <= rates
    charged = {c for c, v in vat.items() if v["Charged"]}
    assert {"7", "8", "15", "16", "17", "18"} == charged  # EU / non-EU / import reverse charge
    centres = api.results("hrm/Costcenters?$select=Code")
    assert len(centres) == 10
    closed = api.sandbox.store.rows(DIVISION, "financial/FinancialPeriods")
    year = api.sandbox.clock.now().year
    assert [(p["FinYear"], p["FinPeriod"]) for p in closed if p["_closed"]] == [(year - 1, 1)]


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
