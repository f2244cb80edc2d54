"""Benchmark: Exact calls spent on dimension upkeep in a day, and how soon a change shows.

Simulates, on the sandbox's FakeClock, minute by minute, what the worker does: the
upkeep tick (``queue_due_syncs`` → ``upkeep_sync``) and the nightly full pull at
02:41. A company connects on day 0, which is left to settle; the measured day is day 1:

- an **idle day**: nobody works in prep; two changes are made in Exact;
- a **working day**: a bookkeeper works in prep 08:30–12:00 and 13:00–17:30, and
  13 changes are made in Exact at known times (suppliers, GL accounts, projects,
  a VAT code, a cost centre, a journal, a cost unit).

For each change it records the minutes until the value is visible in our dimensions.
Counted are the REST calls the sandbox received on the measured day (the token
endpoint is not part of Exact's per-division budget and is left out). Before adaptive
polling a fixed 15-minute sync cost 96 × 10 = 960 calls a day.

Prints a table and writes ``benchmarks/results/day_budget.json`` (keys
``idle_day_sync_calls``, ``working_day_sync_calls``, ``change_visible_p95_minutes`` …).
Run: ``uv run python benchmarks/day_budget.py``. Uses LEDGERBRIDGE_TEST_DATABASE_URL when
set, else the embedded server.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from rich.console import Console
from rich.table import Table
from sqlalchemy import text

from exact_sandbox.app import create_sandbox_app
from exact_sandbox.clock import FakeClock
from exact_sandbox.control import SandboxControl
from exact_sandbox.core import Sandbox
from exact_sandbox.seed import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_DIVISION,
    DEMO_PASSWORD,
    DEMO_REDIRECT_URIS,
    DEMO_WEBHOOK_SECRET,
)
from exact_sandbox.transport import SandboxTransport
from ledgerbridge.bootstrap import Container
from ledgerbridge.config import Settings
from ledgerbridge.db.engine import make_engine, make_session_factory
from ledgerbridge.db.repositories import CompanyRepository
from ledgerbridge.db.testing import scratch_database
from ledgerbridge.domain.dimensions import Dimension, DimensionKind
from ledgerbridge.services.dimensions.sync import sync_company
from ledgerbridge.services.dimensions.upkeep import note_prep_activity, upkeep_sync
from ledgerbridge.services.dimensions.webhook_changes import APPLY_TASK, apply_change
from ledgerbridge.web.app import create_app

K = DimensionKind
RESULTS = Path(__file__).parent / "results" / "day_budget.json"
DAY0 = datetime(2026, 11, 30, tzinfo=UTC)  # a Monday; connected at midnight
MEASURED = DAY0 + timedelta(days=1)
NIGHTLY = timedelta(hours=2, minutes=41)
PREP_HOURS = ((8 * 60 + 30, 12 * 60), (13 * 60, 17 * 60 + 30))  # minutes of the day
BEFORE = 960  # 96 fixed 15-minute syncs of 10 calls


@dataclass
class Change:
    """One change a bookkeeper makes in Exact at ``minute`` of the measured day."""

    minute: int
    label: str
    make: Callable[[Sandbox], None]
    kind: DimensionKind
    code: str
    shows: Callable[[Dimension | None], bool]
    seen_after: int | None = None


def _copy(sandbox: Sandbox, table: str, code: str, **fields: Any) -> None:
    store = sandbox.store
    template = store.find_one(DEMO_DIVISION, table, "Code", code)
    assert template is not None, (table, code)
    row = {k: v for k, v in template.items() if k not in {"Timestamp", "Modified", "Created"}}
    row["ID"] = str(uuid.uuid4())
    store.insert(DEMO_DIVISION, table, row | fields)


def _update(sandbox: Sandbox, table: str, code: str, **fields: Any) -> None:
    store = sandbox.store
    record = store.find_one(DEMO_DIVISION, table, "Code", code)
    assert record is not None, (table, code)
    store.update(DEMO_DIVISION, table, store.key_of(table, record), **fields)


def _supplier_code(n: int) -> str:
    return f"{n:>18}"


def _exists(found: Dimension | None) -> bool:
    return found is not None


def _blocked(found: Dimension | None) -> bool:
    return found is not None and found.blocked


def _unblocked(found: Dimension | None) -> bool:
    return found is not None and not found.blocked


def _named(name: str) -> Callable[[Dimension | None], bool]:
    return lambda found: found is not None and found.name == name


def _ends(found: Dimension | None) -> bool:
    return found is not None and found.valid_until is not None


def working_day_changes() -> list[Change]:
    acc, gl, prj = "crm/Accounts", "financial/GLAccounts", "project/Projects"
    s1, s2, s3 = _supplier_code(9001), _supplier_code(9002), _supplier_code(1)
    return [
        Change(9 * 60 + 10, "GL account 4200 blocked",
               lambda s: s.block_gl_account(DEMO_DIVISION, "4200"), K.GL_ACCOUNT, "4200", _blocked),
        Change(9 * 60 + 47, "supplier added",
               lambda s: _copy(s, acc, s3, Code=s1, Name="Bakkerij De Vries"),
               K.SUPPLIER, "9001", _exists),
        Change(10 * 60 + 20, "project added",
               lambda s: _copy(s, prj, "PRJ001", Code="PRJ901", Description="Beurs 2027"),
               K.PROJECT, "PRJ901", _exists),
        Change(10 * 60 + 58, "VAT code 4 blocked",
               lambda s: s.block_vat_code(DEMO_DIVISION, "4"), K.VAT_CODE, "4", _blocked),
        Change(11 * 60 + 30, "supplier renamed",
               lambda s: _update(s, acc, s3, Name="Shell Nederland B.V."),
               K.SUPPLIER, "1", _named("Shell Nederland B.V.")),
        Change(13 * 60 + 25, "cost centre ended",
               lambda s: s.end_cost_center(DEMO_DIVISION, "200", date(2026, 12, 31)),
               K.COST_CENTER, "200", _ends),
        Change(14 * 60 + 5, "GL account added",
               lambda s: _copy(s, gl, "4200", Code="4299", Description="Parkeerkosten"),
               K.GL_ACCOUNT, "4299", _exists),
        Change(14 * 60 + 40, "journal renamed",
               lambda s: _update(s, "financial/Journals", "60", Description="Inkoop creditcard"),
               K.JOURNAL, "60", _named("Inkoop creditcard")),
        Change(15 * 60 + 15, "supplier added",
               lambda s: _copy(s, acc, s3, Code=s2, Name="Drukkerij Jansen"),
               K.SUPPLIER, "9002", _exists),
        Change(15 * 60 + 50, "GL account renamed",
               lambda s: _update(s, gl, "4000", Description="Autokosten algemeen"),
               K.GL_ACCOUNT, "4000", _named("Autokosten algemeen")),
        Change(16 * 60 + 2, "project ended",
               lambda s: _update(s, prj, "PRJ002", EndDate=datetime(2026, 12, 31, tzinfo=UTC)),
               K.PROJECT, "PRJ002", _ends),
        Change(16 * 60 + 45, "cost unit added",
               lambda s: _copy(s, "hrm/Costunits", "P1", Code="P5", Description="Marketing"),
               K.COST_UNIT, "P5", _exists),
        Change(17 * 60 + 10, "GL account 4200 unblocked",
               lambda s: s.block_gl_account(DEMO_DIVISION, "4200", False),
               K.GL_ACCOUNT, "4200", _unblocked),
    ]  # fmt: skip


def idle_day_changes() -> list[Change]:
    acc = "crm/Accounts"
    return [
        Change(11 * 60, "supplier added",
               lambda s: _copy(s, acc, _supplier_code(1), Code=_supplier_code(9003), Name="Kwik"),
               K.SUPPLIER, "9003", _exists),
        Change(15 * 60, "GL account renamed",
               lambda s: _update(s, "financial/GLAccounts", "4000", Description="Auto"),
               K.GL_ACCOUNT, "4000", _named("Auto")),
    ]  # fmt: skip


def in_prep(minute: int) -> bool:
    return any(start <= minute < end for start, end in PREP_HOURS)


@dataclass
class World:
    container: Container
    sandbox: Sandbox
    clock: FakeClock
    company_id: uuid.UUID

    def connect(self) -> None:
        c = self.container
        url = c.connections.start_connect(self.company_id, "bench").authorize_url
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        form = query | {"username": "demo", "password": DEMO_PASSWORD, "action": "allow"}
        back = parse_qs(urlsplit(c.http.post(url, data=form).headers["location"]).query)
        c.connections.complete_connect("bench", back["code"][0], back["state"][0])
        c.connections.choose_division(self.company_id, DEMO_DIVISION)
        sync_company(c.uow, c.gateway, c.now, self.company_id, mode="full")

    def value(self, kind: DimensionKind, code: str) -> Dimension | None:
        with self.container.uow() as uow:
            return uow.dimensions.get(self.company_id, kind, code)

    def minute(self, working: bool, minute_of_day: int) -> None:
        """What the worker does in one minute: prep activity, the tick, the nightly pull."""
        c = self.container
        if working and in_prep(minute_of_day):
            note_prep_activity(c.uow, self.company_id, c.now)
        if minute_of_day == NIGHTLY.total_seconds() // 60:
            sync_company(c.uow, c.gateway, c.now, self.company_id, mode="full")
        else:
            upkeep_sync(c.uow, c.gateway, c.now, self.company_id, c.upkeep)


def rest_calls(sandbox: Sandbox, since: datetime, until: datetime) -> int:
    return sum(
        1
        for r in sandbox.call_log
        if since <= r.instant < until and "oauth2" not in r.endpoint.lower()
    )


PUBLIC = "https://ledgerbridge.example"


class Receiver:
    """Exact's webhook deliveries into our receiver (``POST /webhooks/exact``), and the
    jobs it queued run at once — what a worker does within seconds."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.client = TestClient(create_app(world.container))

    def deliver(self) -> int:
        def post(url: str, body: bytes) -> int:
            answer = self.client.post(urlsplit(url).path, content=body,
                                      headers={"Content-Type": "application/json"})  # fmt: skip
            return answer.status_code

        sent = SandboxControl(self.world.sandbox).deliver_webhooks(post)
        if sent:
            self.apply_queued()
        return len(sent)

    def apply_queued(self) -> None:
        c = self.world.container
        with c.session_factory.begin() as session:
            rows = session.execute(text(
                "DELETE FROM procrastinate_jobs WHERE task_name = :task AND status = 'todo' "
                "RETURNING args"), {"task": APPLY_TASK}).scalars().all()  # fmt: skip
        for args in rows:
            apply_change(c.uow, c.gateway, c.now, uuid.UUID(args["company_id"]),
                         topic=args["topic"], key=args["key"], action=args["action"],
                         content_hash=args.get("content_hash"))  # fmt: skip


def simulate(database_url: Any, working: bool, webhooks: bool = False) -> dict[str, Any]:
    clock = FakeClock(DAY0)
    sandbox = Sandbox(clock)
    http = httpx.Client(transport=SandboxTransport(create_sandbox_app(sandbox)), timeout=30)
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(
            data_dir=Path(data_dir),
            secret_key=Fernet.generate_key().decode(),
            exact_region="custom",
            exact_base_url="http://sandbox.test",
            exact_client_id=DEMO_CLIENT_ID,
            exact_client_secret=DEMO_CLIENT_SECRET,
            exact_redirect_url=DEMO_REDIRECT_URIS[0],
            **({"public_url": PUBLIC, "exact_webhook_secret": DEMO_WEBHOOK_SECRET}
               if webhooks else {}),
        )  # fmt: skip
        container = Container(
            settings=settings,
            database_url=database_url,
            engine=engine,
            session_factory=sessions,
            http=http,
            now=clock.now,
            sleep=clock.sleep,
        )
        with sessions.begin() as session:
            company = CompanyRepository(session).add(f"bench-{working}", "Bench B.V.")
        world = World(container, sandbox, clock, company.id)
        world.connect()
        receiver = None
        if webhooks:
            container.webhooks.ensure(company.id)  # what the job queued on connect does
            receiver = Receiver(world)
        changes = working_day_changes() if working else idle_day_changes()
        for day, measured in ((DAY0, False), (MEASURED, True)):
            for minute in range(1 if day == DAY0 else 0, 24 * 60):
                clock.set(max(clock.now(), day + timedelta(minutes=minute)))
                if measured:
                    for change in changes:
                        if change.minute == minute:
                            change.make(sandbox)
                world.minute(working and measured, minute)
                if receiver is not None:
                    receiver.deliver()  # the sandbox delivers within the minute
                if measured:
                    for change in changes:
                        pending = change.seen_after is None and change.minute <= minute
                        if pending and change.shows(world.value(change.kind, change.code)):
                            change.seen_after = minute - change.minute
        calls = rest_calls(sandbox, MEASURED, MEASURED + timedelta(days=1))
    http.close()
    engine.dispose()
    return {"calls": calls, "changes": changes}


def _minutes(change: Change) -> str:
    return "never" if change.seen_after is None else str(change.seen_after)


COVERED_KINDS = (K.SUPPLIER, K.GL_ACCOUNT)  # what Exact's Accounts and GLAccounts topics cover


def percentile(values: list[int], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return float(statistics.quantiles(ordered, n=100, method="inclusive")[int(share * 100) - 1])


def main() -> None:
    console = Console()
    started = time.perf_counter()
    with scratch_database("lb_bench_idle") as url:
        idle = simulate(url, working=False)
    with scratch_database("lb_bench_working") as url:
        working = simulate(url, working=True)
    with scratch_database("lb_bench_webhooks") as url:
        hooked = simulate(url, working=True, webhooks=True)
    seconds = time.perf_counter() - started

    delays = [c.seen_after for c in working["changes"] if c.seen_after is not None]
    unseen = [c.label for c in working["changes"] if c.seen_after is None]
    p50, p95 = percentile(delays, 0.5), percentile(delays, 0.95)
    table = Table(title="Dimension upkeep over one simulated day (sandbox clock)")
    for column in ("Day", "REST calls on upkeep", "Goal", "Fixed 15-minute sync"):
        table.add_column(column)
    table.add_row("idle", str(idle["calls"]), "≤ 150", str(BEFORE))
    table.add_row("working", str(working["calls"]), "≤ 400", str(BEFORE))
    table.add_row("working, webhooks", str(hooked["calls"]), "≤ 400", str(BEFORE))
    console.print(table)
    changes = Table(title="Working day: a change in Exact → visible here (user in prep)")
    for column in ("At", "Change", "Minutes until visible"):
        changes.add_column(column)
    for column in ("with webhooks",):
        changes.add_column(column)
    for change, hooked_change in zip(working["changes"], hooked["changes"], strict=True):
        at = f"{change.minute // 60:02d}:{change.minute % 60:02d}"
        changes.add_row(at, change.label, _minutes(change), _minutes(hooked_change))  # fmt: skip
    console.print(changes)
    console.print(
        f"visible after p50 {p50:.1f} min, p95 {p95:.1f} min, max {max(delays, default=0)} min "
        f"(goal p95 ≤ 15); wall time {seconds:.0f} s"
    )
    covered = [c.seen_after for c in hooked["changes"]
               if c.kind in COVERED_KINDS and c.seen_after is not None]  # fmt: skip
    hooked_p95 = percentile(covered, 0.95)
    console.print(
        f"with webhooks: {hooked['calls']} calls; suppliers and GL accounts visible after "
        f"p95 {hooked_p95:.1f} min (goal ≤ 1), the other kinds by polling as above"
    )
    results = {
        "idle_day_sync_calls": idle["calls"],
        "working_day_sync_calls_with_webhooks": hooked["calls"],
        "change_visible_p95_minutes_with_webhooks": hooked_p95,
        "webhook_changes_visible_minutes": covered,
        "working_day_sync_calls": working["calls"],
        "change_visible_p50_minutes": p50,
        "change_visible_p95_minutes": p95,
        "change_visible_max_minutes": max(delays, default=None),
        "changes_never_visible": unseen,
        "idle_day_change_visible_minutes": [c.seen_after for c in idle["changes"]],
        "fixed_15_minute_sync_calls_per_day": BEFORE,
        "working_day_prep_hours": [
            f"{a // 60:02d}:{a % 60:02d}-{b // 60:02d}:{b % 60:02d}" for a, b in PREP_HOURS
        ],
        "wall_seconds": round(seconds, 1),
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    console.print(f"written {RESULTS}")


if __name__ == "__main__":
    main()
