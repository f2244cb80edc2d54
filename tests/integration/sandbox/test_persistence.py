"""Write-through persistence: a restarted sandbox keeps what was exported to it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL

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
    seed_large_division(persisted(), large, gl_accounts=100, suppliers=250, projects=3)

    again = Api(persisted())
    assert large in again.sandbox.divisions
    answer = again.get(again.url("financial/GLAccounts/$count", division=large))
    assert answer.status_code == 200 and answer.text == "100"
