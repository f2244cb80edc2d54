"""Dimension sync end to end: our services, the real client, the Exact sandbox in-process.

The company connects through the OAuth flow, chooses the demo division, and
syncs; a bookkeeper then changes things in the sandbox as they would in Exact.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from cryptography.fernet import Fernet
from dimension_fakes import Line, add_company, add_transaction
from procrastinate.periodic import PeriodicRegistry
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from ledgerbridge.bootstrap import Container
from ledgerbridge.config import Settings
from ledgerbridge.db.dimension_repository import DimensionRepository
from ledgerbridge.db.models.core import TransactionRow
from ledgerbridge.domain.dimensions import Dimension, DimensionKind
from ledgerbridge.jobs.app import worker_app
from ledgerbridge.jobs.dimensions import every, queue_sync
from ledgerbridge.sandbox.app import create_sandbox_app
from ledgerbridge.sandbox.clock import FakeClock
from ledgerbridge.sandbox.core import Sandbox
from ledgerbridge.sandbox.seed import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_DIVISION,
    DEMO_PASSWORD,
    DEMO_REDIRECT_URIS,
)
from ledgerbridge.sandbox.transport import SandboxTransport
from ledgerbridge.services import connection
from ledgerbridge.services.dimensions import SyncOutcome, sync_company

K = DimensionKind
SANDBOX_URL = "http://sandbox.test"


@dataclass
class World:
    container: Container
    sandbox: Sandbox
    clock: FakeClock
    company_id: uuid.UUID

    def connect(self) -> None:
        """OAuth through our services, then the demo division."""
        url = connection.start_connect(self.container, self.company_id, "browser-1")
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        form = query | {"username": "demo", "password": DEMO_PASSWORD, "action": "allow"}
        answer = self.container.http.post(url, data=form)
        back = parse_qs(urlsplit(answer.headers["location"]).query)
        connection.complete_connect(self.container, "browser-1", back["code"][0], back["state"][0])
        connection.choose_division(self.container, self.company_id, DEMO_DIVISION)

    def sync(self, mode: str = "auto") -> SyncOutcome:
        return sync_company(self.container, self.company_id, mode=mode)  # type: ignore[arg-type]

    def held(self) -> dict[tuple[K, str], Dimension]:
        with self.container.uow() as uow:
            found = DimensionRepository(uow.session).all(self.company_id)
            return {(d.kind, d.code): d for d in found}

    def status_of(self, txn: uuid.UUID) -> tuple[str, str | None]:
        with self.container.uow() as uow:
            row = uow.session.get(TransactionRow, txn)
            assert row is not None
            return row.status, row.status_reason


@pytest.fixture
def world(
    session_factory: sessionmaker[Session], engine: Engine, database_url: URL, tmp_path: Path
) -> Iterator[World]:
    clock = FakeClock()
    sandbox = Sandbox(clock)
    http = httpx.Client(transport=SandboxTransport(create_sandbox_app(sandbox)), timeout=30)
    settings = Settings(
        data_dir=tmp_path,
        secret_key=Fernet.generate_key().decode(),
        exact_region="custom",
        exact_base_url=SANDBOX_URL,
        exact_client_id=DEMO_CLIENT_ID,
        exact_client_secret=DEMO_CLIENT_SECRET,
        exact_redirect_url=DEMO_REDIRECT_URIS[0],
    )
    container = Container(
        settings=settings,
        database_url=database_url,
        engine=engine,
        session_factory=session_factory,
        http=http,
        now=clock.now,
        sleep=clock.sleep,
    )
    found = World(container, sandbox, clock, add_company(session_factory))
    found.connect()
    yield found
    if "jobs" in container.__dict__:
        container.jobs.close()
    http.close()


def test_connecting_pulls_every_dimension_kind_locked_within_the_call_budget(
    world: World,
) -> None:
    before = len(world.sandbox.call_log)
    outcome = world.sync()
    held = world.held()
    assert (outcome.mode, outcome.status) == ("full", "ok")
    assert {kind for kind, _ in held} == {
        K.GL_ACCOUNT, K.VAT_CODE, K.COST_CENTER, K.COST_UNIT, K.PROJECT, K.JOURNAL,
        K.SUPPLIER, K.DOCUMENT_TYPE,
    }  # fmt: skip
    assert all(d.locked for d in held.values())
    assert held[(K.GL_ACCOUNT, "4990")].blocked
    assert held[(K.VAT_CODE, "4")].attributes["percentages"] == [
        {"percentage": "0.06", "start": None, "end": "2018-12-31"},
        {"percentage": "0.09", "start": "2019-01-01", "end": None},
    ]
    suppliers = sum(1 for kind, _ in held if kind is K.SUPPLIER)
    accounts = world.sandbox.store.rows(DEMO_DIVISION, "crm/Accounts")
    assert suppliers == sum(1 for a in accounts if a.get("IsSupplier")) >= 200
    # A constant per resource plus a page per 1000 sync rows (60 for regular endpoints).
    calls = len(world.sandbox.call_log) - before
    assert calls == outcome.api_calls
    assert calls <= 10 + math.ceil(suppliers / 1000) + 3


def test_changes_made_in_exact_show_up_in_the_next_sync_and_move_affected_transactions(
    world: World,
) -> None:
    world.sync()
    company = world.company_id
    factory = world.container.session_factory
    on_4300 = add_transaction(factory, company, "t1", Line("4300", "2", cost_center="200"),
                              status="ready")  # fmt: skip
    on_4200 = add_transaction(factory, company, "t2", Line("4200", "2"), status="ready")
    on_4100 = add_transaction(factory, company, "t3", Line("4100", "2"), status="ready")
    world.clock.advance(timedelta(minutes=15))
    world.sandbox.block_gl_account(DEMO_DIVISION, "4200")
    world.sandbox.end_cost_center(DEMO_DIVISION, "200", date(2026, 10, 31))
    supplier = world.sandbox.store.rows(DEMO_DIVISION, "crm/Accounts")[0]
    world.sandbox.store.delete(DEMO_DIVISION, "crm/Accounts", supplier["ID"])
    world.sandbox.store.insert(DEMO_DIVISION, "project/Projects", {
        "Code": "P-104", "Description": "New office", "Type": 3,
        "StartDate": None, "EndDate": None,
    })  # fmt: skip
    world.clock.advance(timedelta(minutes=1))

    outcome = world.sync()

    supplier_code = supplier["Code"].strip()
    assert (outcome.mode, outcome.status) == ("incremental", "ok")
    assert outcome.lines[:4] == [
        "1 project added",
        "GL account 4200 blocked",
        "cost centre 200 ended (end date 2026-10-31)",
        f"supplier {supplier['Name']} ({supplier_code}) deleted",
    ]
    assert [f.external_id for f in outcome.flagged] == ["t1", "t2"]
    assert world.status_of(on_4300) == ("to_prepare", "cost centre 200 ended on 2026-10-31")
    assert world.status_of(on_4200) == (
        "to_prepare", "GL account 4200 is blocked in Exact Online"
    )  # fmt: skip
    assert world.status_of(on_4100) == ("ready", None)
    held = world.held()
    assert (K.PROJECT, "P-104") in held and (K.SUPPLIER, supplier_code) not in held


def test_a_sync_interrupted_by_a_fault_applies_nothing_and_the_next_run_completes(
    world: World,
) -> None:
    world.sync()
    world.clock.advance(timedelta(minutes=15))
    world.sandbox.block_gl_account(DEMO_DIVISION, "4200")
    world.sandbox.block_vat_code(DEMO_DIVISION, "2")
    world.sandbox.faults.fail(503, endpoint="hrm/Costunits")

    failed = world.sync()

    assert failed.status == "failed"
    held = world.held()
    assert not held[(K.GL_ACCOUNT, "4200")].blocked and not held[(K.VAT_CODE, "2")].blocked
    world.sandbox.faults.clear()
    done = world.sync()
    assert done.status == "ok"
    assert done.lines[:2] == ["GL account 4200 blocked", "VAT code 2 blocked"]


def test_an_unchanged_administration_costs_one_call_per_resource_and_changes_nothing(
    world: World,
) -> None:
    world.sync()
    world.clock.advance(timedelta(minutes=15))
    before = len(world.sandbox.call_log)
    outcome = world.sync()
    assert outcome.lines == ["no changes"]
    assert len(world.sandbox.call_log) - before == outcome.api_calls <= 10


def test_choosing_a_division_queues_a_full_sync_that_a_worker_runs_under_the_division_lock(
    world: World,
) -> None:
    with world.container.uow() as uow:
        jobs = uow.session.execute(
            text("SELECT task_name, lock, status FROM procrastinate_jobs ORDER BY id")
        ).all()
    assert [(j.task_name, j.status) for j in jobs] == [("dimensions.full_sync", "todo")]
    assert jobs[0].lock == f"exact-division:{DEMO_CLIENT_ID}:{DEMO_DIVISION}"

    worker = worker_app(world.container.jobs)
    # Only the queued job matters here; cron deferring is not under test.
    worker.periodic_registry = PeriodicRegistry()
    worker.run_worker(wait=False, install_signal_handlers=False, listen_notify=False)

    assert (K.GL_ACCOUNT, "4100") in world.held()
    assert queue_sync(world.container, world.company_id) is not None
    assert queue_sync(world.container, world.company_id) is None  # one waiting is enough


def test_the_periodic_sync_runs_every_configured_number_of_minutes() -> None:
    assert every(15) == "*/15 * * * *"
    assert every(120) == "0 */2 * * *"
