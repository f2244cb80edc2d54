"""The sandbox's control API (/_sandbox/…) and its Python twin, SandboxControl."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from exact_sandbox.app import create_sandbox_app
from exact_sandbox.clock import FakeClock
from exact_sandbox.control import SandboxControl
from exact_sandbox.core import Sandbox
from exact_sandbox.seed import DEMO_DIVISION, SECOND_DIVISION, guid
from exact_sandbox.serve import ShiftedClock
from exact_sandbox.transport import SandboxTransport

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ACCOUNTS = f"/api/v1/{DEMO_DIVISION}/financial/GLAccounts"


def bearer(sandbox: Sandbox, username: str = "demo") -> dict[str, str]:
    access = sandbox.auth.connect(username)["access_token"]
    return {"Authorization": f"Bearer {access}", "Accept": "application/json"}


def first_gl_account(client: httpx.Client, headers: dict[str, str], code: str) -> dict[str, Any]:
    params = {"$filter": f"Code eq '{code}'", "$select": "Code,IsBlocked"}
    answer = client.get(ACCOUNTS, params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    row: dict[str, Any] = answer.json()["d"]["results"][0]
    return row


def test_state_shows_users_apps_chains_and_faults_without_secrets(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    bearer(sandbox)
    sandbox.faults.fail(503, count=2)
    state = client.get("/_sandbox/state").json()
    assert {u["username"] for u in state["users"]} == {"demo", "demo-nl"}
    assert {d["code"] for d in state["divisions"]} >= {DEMO_DIVISION, SECOND_DIVISION}
    assert [c["alive"] for c in state["token_chains"]] == [True]
    assert state["faults"][0]["kind"] == "error"
    assert state["now"] == START.isoformat()
    text = client.get("/_sandbox/state").text
    assert "password" not in text and "access_token" not in text


def test_the_clock_moves_over_the_control_api(client: httpx.Client, clock: FakeClock) -> None:
    moved = client.post("/_sandbox/clock", json={"advance": 90})
    assert moved.json() == {"now": "2026-11-02T09:01:30+00:00"}
    client.post("/_sandbox/clock", json={"set": "2026-12-01T00:00:00+00:00"})
    assert clock.now() == datetime(2026, 12, 1, tzinfo=UTC)
    client.post("/_sandbox/clock", json={"set": "2026-12-02T00:00:00"})
    assert clock.now() == datetime(2026, 12, 2, tzinfo=UTC)
    backwards = client.post("/_sandbox/clock", json={"set": "2026-01-01T00:00:00+00:00"})
    assert backwards.status_code == 400


def test_a_served_sandbox_on_wall_time_can_still_be_moved_forward() -> None:
    sandbox = Sandbox(ShiftedClock())
    transport = SandboxTransport(create_sandbox_app(sandbox))
    with httpx.Client(transport=transport, base_url="http://sandbox") as client:
        access = sandbox.auth.connect("demo")["access_token"]
        headers = {"Authorization": f"Bearer {access}", "Accept": "application/json"}
        assert client.get(ACCOUNTS, params={"$top": 1}, headers=headers).status_code == 200
        moved = client.post("/_sandbox/clock", json={"advance": 600}).json()["now"]
        assert datetime.fromisoformat(moved) - datetime.now(UTC) > timedelta(seconds=590)
        assert client.get(ACCOUNTS, params={"$top": 1}, headers=headers).status_code == 401
        assert client.post("/_sandbox/clock", json={"advance": -5}).status_code == 400


def test_faults_are_added_listed_and_removed_over_http(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    rule = {"kind": "error", "status": 502, "endpoint": "financial/GLAccounts", "count": 2}
    added = client.post("/_sandbox/faults", json=rule).json()
    listed = client.get("/_sandbox/faults").json()
    assert [r["id"] for r in listed] == [added["id"]]
    headers = bearer(sandbox)
    assert client.get(ACCOUNTS, params={"$top": 1}, headers=headers).status_code == 502
    assert client.delete(f"/_sandbox/faults/{added['id']}").status_code == 200
    assert client.get("/_sandbox/faults").json() == []
    assert client.get(ACCOUNTS, params={"$top": 1}, headers=headers).status_code == 200
    assert client.delete(f"/_sandbox/faults/{added['id']}").status_code == 404


def test_a_bad_fault_is_refused_with_400(client: httpx.Client) -> None:
    assert client.post("/_sandbox/faults", json={"kind": "gremlins"}).status_code == 400
    assert client.post("/_sandbox/faults", json={"kind": "error", "status": 404}).status_code == 400
    assert client.post("/_sandbox/faults", json=["not", "an", "object"]).status_code == 400


def test_revoking_tokens_over_http_breaks_the_chain(client: httpx.Client, sandbox: Sandbox) -> None:
    headers = bearer(sandbox)
    revoked = client.post("/_sandbox/tokens/revoke", json={"username": "demo"})
    assert revoked.json() == {"revoked": 1}
    assert client.get(ACCOUNTS, params={"$top": 1}, headers=headers).status_code == 401


def test_deactivating_the_connecting_user_gives_403_inactive_user(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    headers = bearer(sandbox)
    assert client.post("/_sandbox/users/demo", json={"active": False}).json()["active"] is False
    answer = client.get(ACCOUNTS, params={"$top": 1}, headers=headers)
    assert answer.status_code == 403
    assert answer.headers["reason"] == "InactiveUser"
    assert client.post("/_sandbox/users/nobody", json={"active": False}).status_code == 404


def test_blocking_a_gl_account_shows_in_the_api(client: httpx.Client, sandbox: Sandbox) -> None:
    headers = bearer(sandbox)
    assert first_gl_account(client, headers, "4230")["IsBlocked"] is False
    path = f"/_sandbox/divisions/{DEMO_DIVISION}/gl-accounts/4230"
    assert client.post(path, json={"blocked": True}).status_code == 200
    assert first_gl_account(client, headers, "4230")["IsBlocked"] is True
    missing = f"/_sandbox/divisions/{DEMO_DIVISION}/gl-accounts/no-such-code"
    assert client.post(missing, json={}).status_code == 404


def test_blocking_a_vat_code_shows_in_the_api(client: httpx.Client, sandbox: Sandbox) -> None:
    headers = bearer(sandbox)
    codes = client.get(
        f"/api/v1/{DEMO_DIVISION}/vat/VATCodes",
        params={"$select": "Code,IsBlocked", "$filter": "IsBlocked eq false"},
        headers=headers,
    ).json()["d"]["results"]
    code = codes[0]["Code"].strip()
    client.post(f"/_sandbox/divisions/{DEMO_DIVISION}/vat-codes/{code}", json={"blocked": True})
    after = client.get(
        f"/api/v1/{DEMO_DIVISION}/vat/VATCodes",
        params={"$select": "Code,IsBlocked", "$filter": f"trim(Code) eq '{code}'"},
        headers=headers,
    ).json()["d"]["results"]
    assert [row["IsBlocked"] for row in after] == [True]


def test_closing_a_period_refuses_entries_dated_in_it(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    headers = bearer(sandbox) | {"Prefer": "return=representation"}
    entry = {
        "Journal": "60",
        "Supplier": guid(DEMO_DIVISION, "account", 6),
        "EntryDate": "2026-10-15",
        "PurchaseEntryLines": [{"GLAccount": guid(DEMO_DIVISION, "gl", "4230"), "AmountFC": 50.0}],
    }
    entries = f"/api/v1/{DEMO_DIVISION}/purchaseentry/PurchaseEntries"
    closed = client.post(f"/_sandbox/divisions/{DEMO_DIVISION}/periods/2026/10", json={})
    assert closed.json()["closed"] is True
    refused = client.post(entries, json=entry | {"YourRef": "A"}, headers=headers)
    assert refused.status_code == 500
    assert "closed" in refused.json()["error"]["message"]["value"].lower()
    client.post(f"/_sandbox/divisions/{DEMO_DIVISION}/periods/2026/10", json={"closed": False})
    assert client.post(entries, json=entry | {"YourRef": "B"}, headers=headers).status_code == 201


def test_calls_are_counted_per_endpoint_division_and_minute(
    client: httpx.Client, sandbox: Sandbox, clock: FakeClock
) -> None:
    headers = bearer(sandbox)
    for _ in range(3):
        client.get(ACCOUNTS, params={"$top": 1}, headers=headers)
    clock.advance(60)
    client.get(f"/api/v1/{SECOND_DIVISION}/financial/Journals?$select=Code", headers=headers)
    by_endpoint = client.get("/_sandbox/calls", params={"by": "endpoint"}).json()
    assert by_endpoint == {"financial/GLAccounts": 3, "financial/Journals": 1}
    by_division = client.get("/_sandbox/calls", params={"by": "division"}).json()
    assert by_division == {str(DEMO_DIVISION): 3, str(SECOND_DIVISION): 1}
    by_minute = SandboxControl(sandbox).calls("minute")
    assert by_minute == {"2026-11-02T09:00": 3, "2026-11-02T09:01": 1}
    assert client.get("/_sandbox/calls", params={"by": "colour"}).status_code == 400


def test_settings_change_over_http_and_wrong_types_are_refused(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    assert client.post("/_sandbox/settings", json={"minute_limit": 2}).status_code == 200
    assert sandbox.settings.minute_limit == 2
    assert client.post("/_sandbox/settings", json={"minute_limit": "x"}).status_code == 400
    assert client.post("/_sandbox/settings", json={"colour": 1}).status_code == 400


def test_reset_forgets_tokens_faults_and_counts(client: httpx.Client, sandbox: Sandbox) -> None:
    headers = bearer(sandbox)
    client.get(ACCOUNTS, params={"$top": 1}, headers=headers)
    sandbox.faults.storm(count=5)
    assert client.post("/_sandbox/reset", json={}).status_code == 200
    state = client.get("/_sandbox/state").json()
    assert state["token_chains"] == [] and state["faults"] == [] and state["calls"] == {}
    assert client.get(ACCOUNTS, params={"$top": 1}, headers=headers).status_code == 401
    assert client.get(ACCOUNTS, params={"$top": 1}, headers=bearer(sandbox)).status_code == 200


def test_seed_adds_a_large_division_the_demo_users_can_use(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    body = {"division": 3109000, "gl_accounts": 120, "suppliers": 230, "projects": 7}
    assert client.post("/_sandbox/seed", json=body).status_code == 200
    answer = client.get(
        "/api/v1/3109000/financial/GLAccounts/$count",
        headers=bearer(sandbox),
    )
    assert answer.status_code == 200
    assert int(answer.text) >= 120
