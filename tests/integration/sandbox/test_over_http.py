"""The sandbox over real HTTP: uvicorn on 127.0.0.1, a free port, a plain httpx client."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy.engine import URL

from exact_sandbox.clock import FakeClock
from exact_sandbox.core import Sandbox
from exact_sandbox.persistence import clear_persisted
from exact_sandbox.seed import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_DIVISION,
    DEMO_REDIRECT_URIS,
    guid,
)
from exact_sandbox.serve import describe, persisted_sandbox, running

pytestmark = pytest.mark.timeout(60)
ENTRIES = f"/api/v1/{DEMO_DIVISION}/purchaseentry/PurchaseEntries"


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox(FakeClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC)))


@pytest.fixture
def base_url(sandbox: Sandbox) -> Iterator[str]:
    with running(sandbox) as url:
        yield url


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=5) as client:
        yield client


@pytest.fixture
def api(client: httpx.Client, sandbox: Sandbox) -> httpx.Client:
    access = sandbox.auth.connect("demo")["access_token"]
    client.headers.update({"Authorization": f"Bearer {access}", "Accept": "application/json"})
    return client


def purchase_entry(your_ref: str) -> dict[str, Any]:
    return {
        "Journal": "60",
        "Supplier": guid(DEMO_DIVISION, "account", 6),
        "EntryDate": "2026-10-15",
        "YourRef": your_ref,
        "PurchaseEntryLines": [{"GLAccount": guid(DEMO_DIVISION, "gl", "4230"), "AmountFC": 99.0}],
    }


def entries_with_ref(api: httpx.Client, your_ref: str) -> int:
    params = {"$filter": f"YourRef eq '{your_ref}'", "$select": "EntryID"}
    return len(api.get(ENTRIES, params=params).json()["d"]["results"])


def test_oauth_dance_paged_get_and_a_429_over_real_http(
    client: httpx.Client, base_url: str, sandbox: Sandbox
) -> None:
    redirect = DEMO_REDIRECT_URIS[0]
    params = {"client_id": DEMO_CLIENT_ID, "redirect_uri": redirect, "response_type": "code"}
    page = client.get("/api/oauth2/auth", params=params | {"state": "abc"})
    assert page.status_code == 200 and 'name="password"' in page.text
    consent = params | {"state": "abc", "username": "demo", "password": "demo", "action": "allow"}
    approved = client.post("/api/oauth2/auth", data=consent)
    assert approved.status_code == 302
    location = approved.headers["location"]
    assert location.startswith(redirect) and "%21" in location
    code = parse_qs(urlsplit(location).query)["code"][0]
    exchange = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect}
    exchange |= {"client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET}
    tokens = client.post("/api/oauth2/token", data=exchange).json()
    assert tokens["expires_in"] == "600"
    headers = {"Authorization": f"Bearer {tokens['access_token']}", "Accept": "application/json"}

    url: str | None = f"/api/v1/{DEMO_DIVISION}/crm/Accounts?$select=ID,Name"
    names: list[str] = []
    pages = 0
    while url:
        answer = client.get(url, headers=headers)
        assert answer.status_code == 200, answer.text
        data = answer.json()["d"]
        names += [row["Name"] for row in data["results"]]
        url, pages = data.get("__next"), pages + 1
        assert url is None or url.startswith(base_url)
    assert pages >= 4 and len(names) == len(set(names)) >= 200
    assert "Coolblue" in names

    sandbox.settings.minute_limit = pages + 1
    assert client.get(f"/api/v1/{DEMO_DIVISION}/crm/Accounts?$top=1", headers=headers).is_success
    refused = client.get(f"/api/v1/{DEMO_DIVISION}/crm/Accounts?$top=1", headers=headers)
    assert refused.status_code == 429
    assert refused.content == b""
    assert refused.headers["x-ratelimit-minutely-remaining"] == "0"
    assert "x-ratelimit-remaining" not in refused.headers


def test_write_then_drop_is_a_real_transport_failure(api: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.faults.drop_after_commit(endpoint="purchaseentry/PurchaseEntries", method="POST")
    with pytest.raises(httpx.RemoteProtocolError):
        api.post(ENTRIES, json=purchase_entry("HTTP-DROP"))
    assert entries_with_ref(api, "HTTP-DROP") == 1


def test_a_dropped_create_sends_the_status_line_of_the_real_write(
    base_url: str, sandbox: Sandbox
) -> None:
    import json
    import socket

    access = sandbox.auth.connect("demo")["access_token"]
    sandbox.faults.drop_after_commit(endpoint="purchaseentry/PurchaseEntries", method="POST")
    body = json.dumps(purchase_entry("HTTP-DROP-STATUS")).encode()
    host, port = urlsplit(base_url).hostname, urlsplit(base_url).port
    request = (
        f"POST {ENTRIES} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {access}\r\n"
        f"Accept: application/json\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body
    with socket.create_connection((host or "127.0.0.1", port or 80), timeout=5) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    assert received.startswith(b"HTTP/1.1 201 ")
    head, _, rest = received.partition(b"\r\n\r\n")
    assert b"content-length: 1024" in head.lower() and len(rest) < 1024


def test_write_then_gateway_error_over_http(api: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.faults.add("write_then_error", endpoint="purchaseentry/PurchaseEntries", status=504)
    answer = api.post(ENTRIES, json=purchase_entry("HTTP-504"))
    assert answer.status_code == 504 and answer.headers["content-type"].startswith("text/html")
    sandbox.faults.clear()
    assert entries_with_ref(api, "HTTP-504") == 1


def test_write_then_timeout_exceeds_the_clients_timeout(
    api: httpx.Client, sandbox: Sandbox
) -> None:
    sandbox.faults.drop_after_commit(
        endpoint="purchaseentry/PurchaseEntries", method="POST", timeout=True, seconds=1.0
    )
    with pytest.raises(httpx.ReadTimeout):
        api.post(ENTRIES, json=purchase_entry("HTTP-SLOW"), timeout=0.3)
    assert entries_with_ref(api, "HTTP-SLOW") == 1


def test_a_reset_over_http_fails_the_call_and_writes_nothing(
    api: httpx.Client, sandbox: Sandbox
) -> None:
    sandbox.faults.reset_connections(endpoint="purchaseentry/PurchaseEntries", count=1)
    with pytest.raises(httpx.TransportError):
        api.post(ENTRIES, json=purchase_entry("HTTP-RESET"))
    assert entries_with_ref(api, "HTTP-RESET") == 0
    assert api.post(ENTRIES, json=purchase_entry("HTTP-RESET")).status_code == 201


def test_a_restarted_standalone_sandbox_keeps_data_and_honours_issued_tokens(
    database_url: URL, tmp_path: Path
) -> None:
    url, token_file = database_url.render_as_string(hide_password=False), tmp_path / "t.json"
    opened: list[Sandbox] = []

    def start(fresh: bool = False) -> Sandbox:
        opened.append(persisted_sandbox(url, token_file, fresh=fresh))
        return opened[-1]

    try:
        first = start(fresh=True)
        tokens = first.auth.connect("demo")
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        headers["Accept"] = "application/json"
        with running(first) as base:
            created = httpx.post(base + ENTRIES, json=purchase_entry("KEEP-1"), headers=headers)
            assert created.status_code == 201, created.text

        refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
        refresh |= {"client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET}
        with running(start()) as base, httpx.Client(base_url=base, headers=headers) as api:
            assert entries_with_ref(api, "KEEP-1") == 1
            too_early = api.post("/api/oauth2/token", data=refresh)
            assert too_early.headers["reason"] == "TooEarlyToRefreshTokens"

        with running(start(fresh=True)) as base, httpx.Client(base_url=base) as api:
            answer = api.get(ENTRIES, params={"$select": "EntryID"}, headers=headers)
            assert answer.status_code == 401
    finally:
        for sandbox in opened:
            sandbox.close()
        clear_persisted(url)


def test_the_startup_banner_names_urls_users_and_client_credentials(sandbox: Sandbox) -> None:
    text = "\n".join(describe(sandbox, "http://127.0.0.1:8765"))
    assert "http://127.0.0.1:8765/api/oauth2/auth" in text
    assert "http://127.0.0.1:8765/_sandbox/state" in text
    assert DEMO_CLIENT_ID in text and DEMO_CLIENT_SECRET in text
    assert "user demo / demo" in text and "user demo-nl / demo" in text
