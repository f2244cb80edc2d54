"""Test support for the sandbox's data side: a seeded sandbox on a FakeClock and a
logged-in JSON client talking to its ASGI app in-process (no network)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from starlette.testclient import TestClient

from exact_sandbox.app import create_sandbox_app
from exact_sandbox.clock import FakeClock
from exact_sandbox.core import Sandbox, SandboxSettings
from exact_sandbox.seed import DEMO_DIVISION, guid

BASE = "https://start.exactonline.nl"
DIVISION = DEMO_DIVISION
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def make_sandbox(**settings: Any) -> Sandbox:
    """A demo-seeded sandbox whose limits never get in the way of data tests."""
    limits = {"minute_limit": 10**6, "day_limit": 10**6, "error_limit_per_hour": 10**6}
    return Sandbox(FakeClock(NOW), SandboxSettings(**{**limits, **settings}))


class Api:
    """A JSON client logged in as ``username`` (``demo`` English, ``demo-nl`` Dutch)."""

    def __init__(self, sandbox: Sandbox, username: str = "demo") -> None:
        self.sandbox = sandbox
        self.client = TestClient(create_sandbox_app(sandbox), base_url=BASE)
        token = sandbox.auth.connect(username)["access_token"]
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def url(self, path: str, division: int = DIVISION) -> str:
        return f"{BASE}/api/v1/{division}/{path}"

    def get(self, path: str, **headers: str) -> httpx.Response:
        target = path if path.startswith("http") else self.url(path)
        return self.client.get(target, headers={**self.headers, **headers})

    def post(self, path: str, body: Any, *, full: bool = True, **headers: str) -> httpx.Response:
        extra = {"Prefer": "return=representation"} if full else {}
        kwargs: dict[str, Any] = (
            {"content": body} if isinstance(body, bytes | str) else {"json": body}
        )
        return self.client.post(
            self.url(path), headers={**self.headers, **extra, **headers}, **kwargs
        )

    def put(self, path: str, body: Any) -> httpx.Response:
        return self.client.put(self.url(path), headers=self.headers, json=body)

    def delete(self, path: str) -> httpx.Response:
        return self.client.delete(self.url(path), headers=self.headers)

    def results(self, path: str) -> list[dict[str, Any]]:
        response = self.get(path)
        assert response.status_code == 200, response.text
        rows: list[dict[str, Any]] = response.json()["d"]["results"]
        return rows


def error_text(response: httpx.Response) -> str:
    """The ``value`` of Exact's error body (asserts the body has Exact's shape)."""
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == ""
    text: str = body["error"]["message"]["value"]
    return text


def gl(code: str) -> str:
    return guid(DIVISION, "gl", code)


def supplier(number: int) -> str:
    """Seeded supplier GUID: 1–22 the demo merchants in list order (6 = Coolblue), up to 200
    generated ones, 201 a blocked supplier, 202 a customer (not a supplier)."""
    return guid(DIVISION, "account", number)


def purchase(lines: list[dict[str, Any]] | None = None, **header: Any) -> dict[str, Any]:
    """A valid purchase entry body: Coolblue, journal 60, one 100.00 line on 4230 (21 % excl.)."""
    body = {
        "Journal": "60",
        "Supplier": supplier(6),
        "EntryDate": "2026-10-15",
        "YourRef": "INV-1",
        "PurchaseEntryLines": lines or [{"GLAccount": gl("4230"), "AmountFC": 100.0}],
    }
    return {**body, **header}
