"""Exact's period table and "post in the first open period": the sync (against the
sandbox), the preflight at mark ready, the choice (API and drawer), and the preview."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from access_world import PASSWORD, World, build_world
from auth_headers import bearer
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker
from test_intake_api import TODAY, txn
from test_prep_api import add_company, imported, line, status_of, with_settings

from exact_sandbox.seed import DEMO_DIVISION, DEMO_PASSWORD
from ledgerbridge.bootstrap import Container
from ledgerbridge.config import Settings
from ledgerbridge.db.uow import UnitOfWork
from ledgerbridge.domain.export_settings import FinancialPeriod
from ledgerbridge.exact.models import FinancialPeriod as ExactPeriod
from ledgerbridge.services.access import setup
from ledgerbridge.services.dimensions.periods import sync_company_periods, sync_periods
from ledgerbridge.web.app import create_app

DAVE = "dave@a.example"  # a viewer of A


def month(year: int, number: int) -> FinancialPeriod:
    start = date(year, number, 1)
    following = date(year + (number == 12), number % 12 + 1, 1)
    return FinancialPeriod(year, number, start, following - timedelta(days=1))


def monthly(years: range) -> list[FinancialPeriod]:
    return [month(year, number) for year in years for number in range(1, 13)]


# Last month is closed (Exact refused a posting in it); this month is the first open one.
THIS = month(TODAY.year, TODAY.month)
LAST = month((TODAY.replace(day=1) - timedelta(days=1)).year,
             (TODAY.replace(day=1) - timedelta(days=1)).month)  # fmt: skip
IN_LAST = LAST.start + timedelta(days=17)
MOVED = (
    f"Posted in {THIS.label}, the first open period; the transaction date's period "
    f"{LAST.label} is closed"
)


def store_periods(session_factory: sessionmaker[Session], company: uuid.UUID) -> None:
    """The table as a sync stores it, and what the export learned: last month is closed."""
    with UnitOfWork(session_factory) as uow:
        uow.periods.replace(company, monthly(range(TODAY.year - 1, TODAY.year + 2)), _at())
        uow.periods.mark_closed(company, LAST.year, LAST.period, True, _at())
        uow.commit()


def _at() -> datetime:
    return datetime(TODAY.year, TODAY.month, 1, tzinfo=UTC)


# -- the sync, against the sandbox -------------------------------------------------------------


def connect(s: Any) -> None:  # tests/integration/conftest.py: Sandboxed
    """OAuth through our services, then the demo division."""
    url = s.container.connections.start_connect(s.company_id, "browser-1").authorize_url
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    form = query | {"username": "demo", "password": DEMO_PASSWORD, "action": "allow"}
    answer = s.container.http.post(url, data=form)
    back = parse_qs(urlsplit(answer.headers["location"]).query)
    s.container.connections.complete_connect("browser-1", back["code"][0], back["state"][0])
    s.container.connections.choose_division(s.company_id, DEMO_DIVISION)


def test_the_sync_stores_the_sandboxs_periods_in_one_call_and_keeps_what_was_learned(
    sandboxed: Any,
) -> None:
    connect(sandboxed)
    c, company = sandboxed.container, sandboxed.company_id
    year = sandboxed.clock.now().year
    before = len(sandboxed.sandbox.call_log)

    calls = sync_company_periods(c.uow, c.gateway, c.now, company)

    assert calls == 1 and len(sandboxed.sandbox.call_log) - before == 1
    with c.uow() as uow:
        stored = uow.periods.all(company)
        synced = [e.details for e in uow.audit.entries(company) if e.action == "periods.synced"]
    assert [p.label for p in stored] == [f"{y}/{m:02d}" for y in (year - 1, year)
                                         for m in range(1, 13)]  # fmt: skip
    assert (stored[1].start, stored[1].end) == (date(year - 1, 2, 1), date(year - 1, 2, 28))
    assert (stored[-1].start, stored[-1].end) == (date(year, 12, 1), date(year, 12, 31))
    assert {p.closed for p in stored} == {None}  # Exact's table does not say
    assert len(synced) == 1 and len(synced[0]["added"]) == 24

    # Exact refused a posting in last year's first period (the sandbox closed it): learned.
    with c.uow() as uow:
        uow.periods.mark_closed(company, year - 1, 1, True, c.now())
        uow.commit()
    assert sync_company_periods(c.uow, c.gateway, c.now, company) == 1

    with c.uow() as uow:
        again = uow.periods.all(company)
        synced = [e.details for e in uow.audit.entries(company) if e.action == "periods.synced"]
    assert (again[0].label, again[0].closed) == (f"{year - 1}/01", True)
    assert [p.closed for p in again[1:]] == [None] * 23
    assert len(synced) == 1  # nothing changed: no second audit row


@dataclass
class ExactTable:
    """A fake of the one call the period sync makes (``ExactApi.financial_periods``)."""

    periods: list[ExactPeriod]

    def financial_periods(self) -> list[ExactPeriod]:
        return self.periods


def exact_month(year: int, number: int, end: date | None = None) -> ExactPeriod:
    ours = month(year, number)
    return ExactPeriod(year, number, ours.start, end or ours.end + timedelta(days=1))


def test_a_period_gone_from_exact_is_dropped_and_one_with_new_dates_reported(
    session_factory: sessionmaker[Session],
) -> None:
    company = add_company(session_factory, "tabled")

    def uow() -> UnitOfWork:
        return UnitOfWork(session_factory)

    table = ExactTable([exact_month(2026, n) for n in (10, 11, 12)])
    sync_periods(uow, company, table, _at)
    with uow() as u:
        u.periods.mark_closed(company, 2026, 11, True, _at())
        u.commit()

    table.periods = [exact_month(2026, 11), exact_month(2026, 12, end=date(2027, 1, 5))]
    assert sync_periods(uow, company, table, _at) == 1

    with uow() as u:
        stored = [(p.label, p.end, p.closed) for p in u.periods.all(company)]
        synced = [e.details for e in u.audit.entries(company) if e.action == "periods.synced"]
    assert stored == [("2026/11", date(2026, 11, 30), True), ("2026/12", date(2027, 1, 4), None)]
    assert synced[0] == {"added": [], "removed": ["2026/10"], "moved": ["2026/12"], "periods": 2}


# -- the preflight and the choice, through the API ---------------------------------------------


@pytest.fixture
def company(session_factory: sessionmaker[Session]) -> uuid.UUID:
    found = add_company(session_factory)
    add_company(session_factory, "other")
    with UnitOfWork(session_factory) as uow:
        with_settings(uow, found)
        uow.commit()
    return found


@pytest.fixture
def client(
    tmp_path: Path,
    database_url: URL,
    engine: Engine,
    session_factory: sessionmaker[Session],
    company: uuid.UUID,
) -> Iterator[TestClient]:
    container = Container(
        Settings(data_dir=tmp_path, demo=False), database_url, engine, session_factory
    )
    with TestClient(create_app(container), headers=bearer(session_factory, "acme")) as c:
        yield c


def coded(client: TestClient, external_id: str, day: date) -> str:
    (txn_id,) = imported(client, txn(external_id, booking_date=day.isoformat(), amount="-42.50"))
    answer = client.put(
        f"/api/v1/transactions/{txn_id}/coding", json={"lines": [line("4230", "-42.50")]}
    )
    assert answer.status_code == 200, answer.text
    return txn_id


def mark_ready(client: TestClient, txn_id: str) -> dict[str, Any]:
    answer = client.post("/api/v1/transactions/mark-ready", json={"ids": [txn_id]})
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()["results"][0]
    return result


def choose(client: TestClient, txn_id: str, chosen: bool = True) -> Any:
    return client.put(
        f"/api/v1/transactions/{txn_id}/period-choice",
        json={"post_in_first_open_period": chosen},
    )


def choices(session_factory: sessionmaker[Session], company: uuid.UUID) -> list[Any]:
    with UnitOfWork(session_factory) as uow:
        return [
            e.details
            for e in reversed(uow.audit.entries(company))
            if e.action == "transaction.period_choice"
        ]


def test_a_transaction_in_a_closed_period_is_kept_back_naming_the_period_and_the_choice(
    client: TestClient, session_factory: sessionmaker[Session], company: uuid.UUID
) -> None:
    store_periods(session_factory, company)
    txn_id = coded(client, "closed-1", IN_LAST)

    result = mark_ready(client, txn_id)

    assert (result["ready"], result["status"]) == (False, "to_prepare")
    assert [p["message"] for p in result["problems"]] == [
        f"entry date: period {LAST.label} of {IN_LAST.isoformat()} is closed in Exact Online; "
        "ask your accountant to reopen it, or choose to post in the first open period "
        f"({THIS.label})"
    ]
    assert result["problems"][0]["field"] == "entry_date"
    assert LAST.label in (status_of(client, txn_id)[1] or "")


def test_choosing_the_first_open_period_makes_it_ready_audited_and_previewed(
    client: TestClient, session_factory: sessionmaker[Session], company: uuid.UUID
) -> None:
    store_periods(session_factory, company)
    txn_id = coded(client, "closed-1", IN_LAST)

    chosen = choose(client, txn_id)
    result = mark_ready(client, txn_id)
    preview = client.get(f"/api/v1/transactions/{txn_id}/preview").json()

    assert chosen.status_code == 200, chosen.text
    assert chosen.json() == {"id": txn_id, "status": "to_prepare",
                             "post_in_first_open_period": True, "problems": []}  # fmt: skip
    assert (result["ready"], result["status"]) == (True, "ready")
    assert client.get(f"/api/v1/transactions/{txn_id}").json()["post_in_first_open_period"]
    assert choices(session_factory, company) == [
        {"post_in_first_open_period": {"from": False, "to": True},
         "period": LAST.label, "posted_in": THIS.label}
    ]  # fmt: skip
    assert preview["period_note"] == MOVED
    assert (preview["period"]["label"], preview["moved_from_period"]["label"]) == (
        THIS.label,
        LAST.label,
    )
    entry = preview["purchase_entry"]
    assert (entry["entry_date"], entry["document_date"]) == (
        THIS.start.isoformat(),
        IN_LAST.isoformat(),
    )
    assert entry["description"].endswith(f"(dated {IN_LAST.isoformat()})")
    assert [b["date"] for b in preview["bank_lines"]] == [THIS.start.isoformat()]


def test_the_choice_is_refused_while_the_period_is_open_or_not_known(
    client: TestClient, session_factory: sessionmaker[Session], company: uuid.UUID
) -> None:
    unknown_table = coded(client, "no-table", IN_LAST)
    refused_unknown = choose(client, unknown_table)
    store_periods(session_factory, company)
    open_one = coded(client, "open-1", THIS.start)
    refused_open = choose(client, open_one)
    off = choose(client, open_one, chosen=False)

    assert refused_unknown.status_code == 422
    assert refused_unknown.json()["errors"][0]["message"] == (
        "post in the first open period: Exact Online's period table (as synced) has no "
        f"period for {IN_LAST.isoformat()}, so none is known closed; sync the dimensions, or "
        "ask your accountant to create the period"
    )
    assert refused_open.status_code == 422
    assert refused_open.json()["detail"] == (
        f"post in the first open period: period {THIS.label} of {THIS.start.isoformat()} is "
        "not known to be closed in Exact Online; the transaction is posted in its own period"
    )
    assert off.status_code == 200 and off.json()["post_in_first_open_period"] is False
    assert choices(session_factory, company) == []  # nothing changed, nothing audited
    assert not client.get(f"/api/v1/transactions/{open_one}").json()["post_in_first_open_period"]


def test_turning_the_choice_off_sends_a_ready_one_back_with_the_reason(
    client: TestClient, session_factory: sessionmaker[Session], company: uuid.UUID
) -> None:
    store_periods(session_factory, company)
    txn_id = coded(client, "closed-1", IN_LAST)
    choose(client, txn_id)
    assert mark_ready(client, txn_id)["ready"]

    off = choose(client, txn_id, chosen=False)

    assert off.status_code == 200
    assert off.json()["status"] == "to_prepare"
    status, reason = status_of(client, txn_id)
    assert status == "to_prepare" and f"period {LAST.label}" in (reason or "")
    assert "first open period" in (reason or "")
    assert choices(session_factory, company)[-1] == {
        "post_in_first_open_period": {"from": True, "to": False},
        "period": LAST.label,
        "posted_in": None,
        "status": {"from": "ready", "to": "to_prepare"},
    }


def test_a_date_outside_every_period_is_kept_back_and_an_unknown_table_judges_no_period(
    client: TestClient, session_factory: sessionmaker[Session], company: uuid.UUID
) -> None:
    long_ago = date(TODAY.year - 3, 3, 14)
    unknown = coded(client, "before-the-table", long_ago)
    assert mark_ready(client, unknown)["ready"]  # no period table yet: as before

    store_periods(session_factory, company)
    outside = coded(client, "outside", long_ago)
    result = mark_ready(client, outside)

    assert result["ready"] is False
    assert [p["message"] for p in result["problems"]] == [
        f"entry date: Exact Online has no financial period for {long_ago.isoformat()}; ask "
        "your accountant to create the period in Exact Online"
    ]
    assert choose(client, outside).status_code == 422


def test_a_transaction_no_longer_editable_keeps_its_choice(
    client: TestClient, session_factory: sessionmaker[Session], company: uuid.UUID
) -> None:
    store_periods(session_factory, company)
    txn_id = coded(client, "closed-1", IN_LAST)
    with UnitOfWork(session_factory) as uow:
        row = uow.transactions.get(company, uuid.UUID(txn_id))
        assert row is not None
        row.status = "queued"
        uow.commit()

    answer = choose(client, txn_id)

    assert answer.status_code == 409 and "queued" in answer.json()["detail"]
    assert choices(session_factory, company) == []


def test_another_company_cannot_set_the_choice(
    client: TestClient, session_factory: sessionmaker[Session], company: uuid.UUID
) -> None:
    store_periods(session_factory, company)
    txn_id = coded(client, "closed-1", IN_LAST)

    with TestClient(client.app, headers=bearer(session_factory, "other")) as other:
        answer = choose(other, txn_id)

    assert answer.status_code == 404 and "closed-1" not in answer.text
    assert not client.get(f"/api/v1/transactions/{txn_id}").json()["post_in_first_open_period"]
    assert choices(session_factory, company) == []


# -- the drawer ---------------------------------------------------------------------------------


@pytest.fixture
def world(
    tmp_path: Path, database_url: URL, engine: Engine, session_factory: sessionmaker[Session]
) -> Iterator[World]:
    found = build_world(tmp_path, database_url, session_factory, engine)
    setup.add_user(found.uow, "a", DAVE, "viewer", PASSWORD)
    with found.uow() as uow:
        with_settings(uow, found.a)
        uow.commit()
    store_periods(session_factory, found.a)
    yield found


def coded_in_world(world: World) -> str:
    with world.client(headers=world.key_of(world.a, "bookkeeper")) as api:
        return coded(api, "drawer-1", IN_LAST)


def period_block(page: str) -> str:
    found = re.search(r'<div class="period-choice[^"]*" id="period-choice".*?</div>', page, re.S)
    assert found, "no period choice in the drawer"
    return found.group(0)


def test_the_drawer_offers_the_first_open_period_beside_the_closed_one_and_undoes_it(
    world: World,
) -> None:
    txn_id = coded_in_world(world)
    client, csrf = world.signed_in()
    url = f"/transactions/{txn_id}/period-choice"

    offered = period_block(client.get(f"/transactions/{txn_id}").text)
    chosen = client.post(url, data={"csrf_token": csrf, "choice": "1"})
    moved_page = client.get(chosen.headers["location"]).text
    preview = client.get(f"/transactions/{txn_id}/preview", headers={"HX-Request": "true"}).text
    undone = client.post(url, data={"csrf_token": csrf, "choice": "0"},
                         headers={"HX-Request": "true"})  # fmt: skip

    assert f"Period {LAST.label} of this date is closed in Exact Online." in offered
    assert f'action="{url}"' in offered and 'name="choice" value="1"' in offered
    assert f"Post in the first open period ({THIS.label})" in offered
    assert chosen.status_code == 303 and "notice=period_moved" in chosen.headers["location"]
    assert "It will be posted in the first open period." in moved_page
    moved = period_block(moved_page)
    assert MOVED in moved and 'name="choice" value="0"' in moved and "Undo" in moved
    assert MOVED in html.unescape(preview)
    assert undone.status_code == 200 and undone.headers["HX-Trigger"] == "coding-saved"
    assert "It will be posted in the period of its date again." in undone.text
    assert 'name="choice" value="1"' in period_block(undone.text)


def test_a_viewer_sees_no_period_control_and_may_not_post_it(world: World) -> None:
    txn_id = coded_in_world(world)
    viewer, csrf = world.signed_in(DAVE)

    drawer = viewer.get(f"/transactions/{txn_id}").text
    refused = viewer.post(f"/transactions/{txn_id}/period-choice",
                          data={"csrf_token": csrf, "choice": "1"})  # fmt: skip

    assert 'id="period-choice"' not in drawer and "period-choice" not in drawer
    assert refused.status_code == 403
