"""Injected faults reach the caller as they would over a network (in-process transport)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from exact_sandbox.app import create_sandbox_app
from exact_sandbox.clock import FakeClock
from exact_sandbox.core import Sandbox
from exact_sandbox.seed import DEMO_DIVISION, guid
from exact_sandbox.transport import SandboxTransport

ENTRIES = "purchaseentry/PurchaseEntries"
DOCUMENTS = "documents/Documents"
ACCOUNTS = "financial/GLAccounts?$select=ID,Code&$top=1"


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[httpx.Client]:
    access = sandbox.auth.connect("demo")["access_token"]
    headers = {"Authorization": f"Bearer {access}", "Accept": "application/json"}
    transport = SandboxTransport(create_sandbox_app(sandbox))
    base = f"http://sandbox/api/v1/{DEMO_DIVISION}/"
    with httpx.Client(transport=transport, base_url=base, headers=headers) as client:
        yield client


def purchase_entry(your_ref: str) -> dict[str, Any]:
    """A valid purchase entry: Coolblue, journal 60, one 100.00 line on 4230."""
    return {
        "Journal": "60",
        "Supplier": guid(DEMO_DIVISION, "account", 6),
        "EntryDate": "2026-10-15",
        "YourRef": your_ref,
        "PurchaseEntryLines": [{"GLAccount": guid(DEMO_DIVISION, "gl", "4230"), "AmountFC": 100.0}],
    }


def entries_with_ref(client: httpx.Client, your_ref: str) -> list[dict[str, Any]]:
    answer = client.get(
        ENTRIES, params={"$filter": f"YourRef eq '{your_ref}'", "$select": "EntryID"}
    )
    assert answer.status_code == 200, answer.text
    rows: list[dict[str, Any]] = answer.json()["d"]["results"]
    return rows


def test_a_valid_purchase_entry_is_created_without_faults(client: httpx.Client) -> None:
    assert client.post(ENTRIES, json=purchase_entry("INV-OK")).status_code == 201
    assert len(entries_with_ref(client, "INV-OK")) == 1


def test_write_then_drop_leaves_the_entry_while_the_caller_sees_a_failure(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    sandbox.faults.drop_after_commit(endpoint=ENTRIES, method="POST")
    with pytest.raises(httpx.RemoteProtocolError):
        client.post(ENTRIES, json=purchase_entry("INV-DROP"))
    assert len(entries_with_ref(client, "INV-DROP")) == 1


def test_write_then_timeout_is_a_read_timeout_without_waiting(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    sandbox.faults.drop_after_commit(endpoint=ENTRIES, method="POST", timeout=True, seconds=30)
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        client.post(ENTRIES, json=purchase_entry("INV-SLOW"))
    assert time.monotonic() - started < 5
    assert len(entries_with_ref(client, "INV-SLOW")) == 1


@pytest.mark.parametrize("status", [502, 504])
def test_write_then_gateway_error_leaves_the_entry_while_the_caller_sees_a_gateway_page(
    client: httpx.Client, sandbox: Sandbox, status: int
) -> None:
    sandbox.faults.add("write_then_error", endpoint=ENTRIES, method="POST", count=1, status=status)
    answer = client.post(ENTRIES, json=purchase_entry("INV-GATEWAY"))
    assert answer.status_code == status
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.text.lstrip().startswith("<html")
    assert str(status) in answer.text and '"error"' not in answer.text  # not Exact's JSON
    assert len(entries_with_ref(client, "INV-GATEWAY")) == 1


def test_write_then_error_answers_502_unless_told_otherwise(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    rule = sandbox.faults.add("write_then_error", endpoint=ENTRIES, method="POST", count=1)
    assert rule.status == 502
    assert client.post(ENTRIES, json=purchase_entry("INV-502")).status_code == 502
    assert len(entries_with_ref(client, "INV-502")) == 1
    with pytest.raises(ValueError):
        sandbox.faults.add("write_then_error", status=500)


def test_a_reset_connection_writes_nothing(client: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.faults.reset_connections(endpoint=ENTRIES, method="POST", count=1)
    with pytest.raises(httpx.ConnectError):
        client.post(ENTRIES, json=purchase_entry("INV-RESET"))
    assert entries_with_ref(client, "INV-RESET") == []
    assert client.post(ENTRIES, json=purchase_entry("INV-RESET")).status_code == 201


def test_an_injected_5xx_answers_before_the_write(client: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.faults.fail(500, endpoint=DOCUMENTS, method="POST", count=1)
    document = {"Subject": "Receipt Coolblue", "Type": 20}
    failed = client.post(DOCUMENTS, json=document)
    assert failed.status_code == 500
    assert "error" in failed.json()
    listed = client.get(DOCUMENTS, params={"$select": "ID,Subject"})
    assert listed.json()["d"]["results"] == []
    assert client.post(DOCUMENTS, json=document).status_code == 201


def test_the_next_n_calls_fail_then_calls_succeed_again(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    sandbox.faults.fail(502, count=3)
    statuses = [client.get(ACCOUNTS).status_code for _ in range(5)]
    assert statuses == [502, 502, 502, 200, 200]


def test_a_share_of_calls_fails(client: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.settings.minute_limit = 1000
    sandbox.faults.fail(503, share=0.3)
    failures = sum(client.get(ACCOUNTS).status_code == 503 for _ in range(200))
    assert 30 <= failures <= 90


def test_faults_target_only_their_endpoint_and_method(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    sandbox.faults.fail(503, endpoint=ENTRIES, method="POST")
    assert client.post(ENTRIES, json=purchase_entry("INV-T")).status_code == 503
    assert client.get(ENTRIES, params={"$select": "EntryID"}).status_code == 200
    assert client.post(DOCUMENTS, json={"Subject": "x", "Type": 20}).status_code == 201


def test_a_429_storm_lasts_its_duration_on_the_sandbox_clock(
    client: httpx.Client, sandbox: Sandbox, clock: FakeClock
) -> None:
    sandbox.faults.storm(duration=120)
    stormed = client.get(ACCOUNTS)
    assert stormed.status_code == 429
    assert stormed.content == b""
    assert "x-ratelimit-minutely-reset" in stormed.headers
    assert "x-ratelimit-reset" not in stormed.headers
    clock.advance(119)
    assert client.get(ACCOUNTS).status_code == 429
    clock.advance(1)
    assert client.get(ACCOUNTS).status_code == 200


def test_latency_in_sandbox_time_moves_the_fake_clock(
    client: httpx.Client, sandbox: Sandbox, clock: FakeClock
) -> None:
    sandbox.faults.latency(4.5, count=1)
    before = clock.now()
    assert client.get(ACCOUNTS).status_code == 200
    assert (clock.now() - before).total_seconds() == 4.5


def test_real_latency_beyond_the_read_timeout_is_a_read_timeout(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    sandbox.faults.latency(0.5, real=True, count=1)
    with pytest.raises(httpx.ReadTimeout):
        client.get(ACCOUNTS, timeout=0.05)


def test_a_revoked_chain_answers_401_until_a_new_consent(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    assert sandbox.auth.revoke(username="demo") == 1
    assert client.get(ACCOUNTS).status_code == 401
    fresh = sandbox.auth.connect("demo")["access_token"]
    answer = client.get(ACCOUNTS, headers={"Authorization": f"Bearer {fresh}"})
    assert answer.status_code == 200


def test_fifty_threads_can_share_one_transport(client: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.settings.minute_limit = 1000
    statuses: list[int] = []
    lock = threading.Lock()

    def get() -> None:
        status = client.get(ACCOUNTS).status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=get) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 50
    assert len(sandbox.call_log) == 50


def test_a_crash_in_the_app_is_a_500_when_the_transport_does_not_raise() -> None:
    async def crashing(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("boom")

    quiet = SandboxTransport(crashing, raise_app_exceptions=False)
    with httpx.Client(transport=quiet, base_url="http://sandbox") as client:
        assert client.get("/anything").status_code == 500
    with (
        httpx.Client(transport=SandboxTransport(crashing), base_url="http://sandbox") as client,
        pytest.raises(RuntimeError),
    ):
        client.get("/anything")
