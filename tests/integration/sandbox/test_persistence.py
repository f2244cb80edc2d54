"""Write-through persistence: a restarted sandbox keeps what was exported to it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError
from starlette.testclient import TestClient

from exact_sandbox.app import create_sandbox_app
from exact_sandbox.clock import FakeClock
from exact_sandbox.core import Sandbox, SandboxSettings
from exact_sandbox.persistence import clear_persisted

from .sandbox_api import DIVISION, NOW, Api, purchase, supplier


@pytest.fixture
def persisted(database_url: URL) -> Iterator[Callable[[], Sandbox]]:
    """Opens sandboxes persisted to the test database (an empty sandbox store at first);
    closes them and forgets their rows after the test."""
    opened: list[Sandbox] = []
    url = database_url.render_as_string(hide_password=False)
    clear_persisted(url)

    def open_one() -> Sandbox:
        settings = SandboxSettings(minute_limit=10**6, day_limit=10**6)
        opened.append(Sandbox(FakeClock(NOW), settings, persist_url=url))
        return opened[-1]

    yield open_one
    for sandbox in opened:
        sandbox.close()
    clear_persisted(url)


def test_restarted_sandbox_keeps_entries_and_continues_numbering(
    persisted: Callable[[], Sandbox],
) -> None:
    first = Api(persisted())
    entry = first.post("purchaseentry/PurchaseEntries", purchase()).json()["d"]
    first.sandbox.store.delete(DIVISION, "crm/Accounts", supplier(20))
    stamp = first.sandbox.store.timestamp(DIVISION)

    again = Api(persisted())
    key = f"purchaseentry/PurchaseEntries(guid'{entry['EntryID']}')?$expand=PurchaseEntryLines"
    reloaded = again.get(key).json()["d"]
    assert reloaded["AmountFC"] == 121.0 and reloaded["EntryNumber"] == entry["EntryNumber"]
    assert reloaded["PurchaseEntryLines"]["results"][0]["GLAccountCode"] == "4230"
    assert again.get(f"crm/Accounts(guid'{supplier(20)}')").status_code == 404
    assert again.sandbox.store.timestamp(DIVISION) == stamp
    second = again.post("purchaseentry/PurchaseEntries", purchase(YourRef="INV-2")).json()["d"]
    assert second["EntryNumber"] == entry["EntryNumber"] + 1
    payables = again.results("read/financial/PayablesList?$select=Amount")
    assert [p["Amount"] for p in payables] == [121.0, 121.0]


def test_reset_forgets_persisted_rows_and_seeds_again(
    persisted: Callable[[], Sandbox], engine: Engine
) -> None:
    sandbox = persisted()
    Api(sandbox).post("purchaseentry/PurchaseEntries", purchase())
    sandbox.reset()
    with engine.connect() as conn:
        entries = conn.execute(
            text("SELECT count(*) FROM exact_sandbox.records WHERE resource = :r"),
            {"r": "purchaseentry/PurchaseEntries"},
        ).scalar_one()
        suppliers = conn.execute(
            text("SELECT count(*) FROM exact_sandbox.records WHERE resource = 'crm/Accounts'")
        ).scalar_one()
    assert entries == 0 and suppliers > 200


def test_a_generated_large_division_is_still_usable_after_a_restart(
    persisted: Callable[[], Sandbox],
) -> None:
    from exact_sandbox.seed import seed_large_division

    large = 3109999
    seed_large_division(persisted(), large, gl_accounts=300, suppliers=250, projects=3)

    again = Api(persisted())
    assert large in again.sandbox.divisions
    answer = again.get(again.url("financial/GLAccounts/$count", division=large))
    assert answer.status_code == 200 and answer.text == "300"


LARGE = 3109999


def _persisted_count(engine: Engine, division: int, resource: str) -> int:
    with engine.connect() as conn:
        count: int = conn.execute(
            text(
                "SELECT count(*) FROM exact_sandbox.records WHERE division = :d AND resource = :r"
            ),
            {"d": division, "r": resource},
        ).scalar_one()
    return count


def test_seeding_twenty_thousand_suppliers_is_written_in_chunks(
    persisted: Callable[[], Sandbox], engine: Engine
) -> None:
    sandbox = persisted()
    client = TestClient(create_sandbox_app(sandbox))
    body = {"division": LARGE, "gl_accounts": 10, "suppliers": 20_000, "projects": 1}
    answer = client.post("/_sandbox/seed", json=body)
    assert answer.status_code == 200, answer.text
    in_memory = len(sandbox.store.rows(LARGE, "crm/Accounts"))
    assert in_memory >= 20_000  # the generated suppliers plus a blocked one and a customer
    assert _persisted_count(engine, LARGE, "crm/Accounts") == in_memory
    again = persisted()
    assert len(again.store.rows(LARGE, "crm/Accounts")) == in_memory


def test_a_failed_seed_changes_neither_memory_nor_database(
    persisted: Callable[[], Sandbox], engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import exact_sandbox.seed as seeding

    sandbox = persisted()
    before = _persisted_count(engine, DIVISION, "crm/Accounts")
    stamp = sandbox.store.timestamp(DIVISION)
    real_supplier = seeding._supplier

    def supplier_row(division: int, n: int, *args: Any) -> dict[str, Any]:
        row = real_supplier(division, n, *args)
        if n == 1000 + 19_000:  # late in the seed: earlier chunks were already written
            row["Name"] = "NUL\x00 is refused by PostgreSQL's jsonb"
        return row

    monkeypatch.setattr(seeding, "_supplier", supplier_row)
    with pytest.raises(DBAPIError):
        seeding.seed_large_division(sandbox, LARGE, gl_accounts=10, suppliers=20_000, projects=1)
    assert LARGE not in sandbox.divisions
    assert all(LARGE not in user.divisions for user in sandbox.users.values())
    assert LARGE not in set(sandbox.store.divisions())
    assert sandbox.store.rows(LARGE, "crm/Accounts") == []
    assert _persisted_count(engine, LARGE, "crm/Accounts") == 0
    assert _persisted_count(engine, LARGE, "financial/GLAccounts") == 0
    assert _persisted_count(engine, DIVISION, "crm/Accounts") == before
    assert sandbox.store.timestamp(DIVISION) == stamp
    assert persisted().divisions.keys() == sandbox.divisions.keys()
