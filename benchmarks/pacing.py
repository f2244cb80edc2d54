"""Pacing benchmark: calls a minute achieved against Exact's limit, and 429s earned.

Two worker *processes* call the sandbox over real HTTP for 1 division and for 20
divisions (one connected company each); both processes work every division at
once, so they compete for the same per-division budget in PostgreSQL.

Time is the sandbox's FakeClock, moved by a small coordinator served beside the
sandbox: a worker that must wait asks the coordinator to sleep, and the clock
jumps to the earliest wake-up once every worker is asleep (discrete-event time).
No real sleeping; the minute windows, token lifetimes and resets are Exact's.

Run: ``uv run python benchmarks/pacing.py`` (LEDGERBRIDGE_TEST_DATABASE_URL or the
embedded PostgreSQL). Prints a Rich table; writes benchmarks/results/pacing.json.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import socket
import threading
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from cryptography.fernet import Fernet
from rich.console import Console
from rich.table import Table
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from exact_sandbox.clock import FakeClock
from exact_sandbox.core import DivisionInfo, Sandbox, SandboxUser
from exact_sandbox.seed import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_PASSWORD,
    DEMO_REDIRECT_URIS,
)
from exact_sandbox.serve import sandbox_asgi
from ledgerbridge.bootstrap import Container
from ledgerbridge.config import Settings
from ledgerbridge.db.engine import make_engine, make_session_factory
from ledgerbridge.db.models.core import Company
from ledgerbridge.db.server import sqlalchemy_url
from ledgerbridge.db.testing import scratch_database

RESULTS = Path(__file__).parent / "results" / "pacing.json"
PROCESSES = 2
FIRST_DIVISION = 4200000


class Coordinator:
    """Discrete-event time for ``active`` workers sharing one FakeClock (on the server loop)."""

    def __init__(self, clock: FakeClock, active: int) -> None:
        self.clock, self.active = clock, active
        self.sleepers: list[tuple[datetime, asyncio.Future[None]]] = []

    async def sleep(self, seconds: float) -> datetime:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        wake = self.clock.now().timestamp() + max(seconds, 0.0)
        self.sleepers.append((datetime.fromtimestamp(wake, self.clock.now().tzinfo), future))
        self._advance()
        await future
        return self.clock.now()

    def leave(self) -> None:
        self.active -= 1
        self._advance()

    def _advance(self) -> None:
        if not self.sleepers or len(self.sleepers) < self.active:
            return
        earliest = min(wake for wake, _ in self.sleepers)
        if earliest > self.clock.now():
            self.clock.set(earliest)
        due = [s for s in self.sleepers if s[0] <= self.clock.now()]
        self.sleepers = [s for s in self.sleepers if s[0] > self.clock.now()]
        for _, future in due:
            future.set_result(None)


def serve(sandbox: Sandbox, coordinator: Coordinator) -> tuple[str, uvicorn.Server]:
    async def sleep(request: Request) -> JSONResponse:
        now = await coordinator.sleep(float((await request.json())["seconds"]))
        return JSONResponse({"now": now.isoformat()})

    async def leave(request: Request) -> JSONResponse:
        coordinator.leave()
        return JSONResponse({})

    app = Starlette(
        routes=[
            Route("/_bench/sleep", sleep, methods=["POST"]),
            Route("/_bench/leave", leave, methods=["POST"]),
            Mount("/", sandbox_asgi(sandbox)),
        ]
    )
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="critical", lifespan="off"))
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    return f"http://127.0.0.1:{sock.getsockname()[1]}", server


class WorkerClock:
    """A worker's view of the shared clock: fixed while it works, synced when it wakes."""

    def __init__(self, base_url: str, start: datetime, http: httpx.Client) -> None:
        self.base_url, self._now, self.http = base_url, start, http

    def now(self) -> datetime:
        return self._now

    def sleep(self, seconds: float) -> None:
        answer = self.http.post(f"{self.base_url}/_bench/sleep", json={"seconds": seconds})
        self._now = datetime.fromisoformat(answer.json()["now"])


def settings(base_url: str, key: str) -> Settings:
    return Settings(
        secret_key=key,
        exact_region="custom",
        exact_base_url=base_url,
        exact_client_id=DEMO_CLIENT_ID,
        exact_client_secret=DEMO_CLIENT_SECRET,
        exact_redirect_url=DEMO_REDIRECT_URIS[0],
        exact_minute_safety_margin=2,
    )


def worker_process(
    database_url: str, base_url: str, key: str, companies: list[str], calls: int, start: str
) -> int:
    """One worker process: a thread per company, each making ``calls`` calls; returns errors."""
    engine = make_engine(sqlalchemy_url(database_url), pool_size=len(companies) + 2)
    with httpx.Client(timeout=None) as http:

        def work(company: str) -> int:
            clock = WorkerClock(base_url, datetime.fromisoformat(start), http)
            container = Container(
                settings(base_url, key), engine.url, engine, make_session_factory(engine),
                http=http, now=clock.now, sleep=clock.sleep,
            )  # fmt: skip
            try:
                api = container.gateway.api(uuid.UUID(company))
                for _ in range(calls):
                    api.divisions()
                return 0
            finally:
                http.post(f"{base_url}/_bench/leave")

        with ThreadPoolExecutor(max_workers=len(companies)) as pool:
            errors = sum(pool.map(work, companies))
    engine.dispose()
    return errors


def add_user_and_division(sandbox: Sandbox, n: int, scenario: int) -> tuple[str, int]:
    # Each scenario gets its own division codes (rate budgets are per division).
    code = FIRST_DIVISION + 1000 * scenario + n
    sandbox.divisions[code] = DivisionInfo(
        code=code, description=f"Bench {n} B.V.", hid=100 + n, customer_name=f"Bench {n}",
        customer_code=f"{100 + n:>18}", vat_number=f"NL8{n:08d}B01",
    )  # fmt: skip
    username, user_id = f"bench-{scenario}-{n}", str(uuid.uuid4())
    sandbox.users[user_id] = SandboxUser(
        user_id=user_id, username=username, password=DEMO_PASSWORD,
        full_name=f"Bench User {n}", email=f"{username}@sandbox.example",
        divisions=[code], current_division=code,
    )  # fmt: skip
    return username, code


def connect(container: Container, username: str, division: int, n: int) -> uuid.UUID:
    with container.session_factory.begin() as session:
        company = Company(slug=username, name=f"Bench {n}", base_currency="EUR")
        session.add(company)
        session.flush()
        company_id = company.id
    url = container.connections.start_connect(company_id, f"session-{n}").authorize_url
    container.http.cookies.clear()  # a fresh browser: no remembered Exact login
    query = dict(httpx.URL(url).params)
    form = query | {"username": username, "password": DEMO_PASSWORD, "action": "allow"}
    back = httpx.URL(container.http.post(url, data=form).headers["location"]).params
    container.connections.complete_connect(f"session-{n}", back["code"], back["state"])
    container.connections.choose_division(company_id, division)
    return company_id


def scenario(database_url: str, divisions: int, calls_per_division: int) -> dict[str, Any]:
    clock = FakeClock()
    sandbox = Sandbox(clock)
    coordinator = Coordinator(clock, PROCESSES * divisions)
    base_url, server = serve(sandbox, coordinator)
    key = Fernet.generate_key().decode()
    engine = make_engine(sqlalchemy_url(database_url))
    http = httpx.Client(timeout=60)
    container = Container(
        settings(base_url, key), engine.url, engine, make_session_factory(engine),
        http=http, now=clock.now, sleep=clock.sleep,
    )  # fmt: skip
    users = [add_user_and_division(sandbox, n, divisions) for n in range(divisions)]
    companies = [str(connect(container, u, d, n)) for n, (u, d) in enumerate(users)]
    start, began = clock.now(), time.perf_counter()
    args = (
        database_url,
        base_url,
        key,
        companies,
        calls_per_division // PROCESSES,
        start.isoformat(),
    )
    with multiprocessing.get_context("spawn").Pool(PROCESSES) as pool:
        errors = sum(pool.starmap(worker_process, [args] * PROCESSES))
    wall = time.perf_counter() - began
    server.should_exit = True
    http.close()
    engine.dispose()
    return summarise(sandbox, start, divisions, calls_per_division, wall, errors)


def summarise(
    sandbox: Sandbox, start: datetime, divisions: int, calls: int, wall: float, errors: int
) -> dict[str, Any]:
    per_minute: dict[int, Counter[datetime]] = defaultdict(Counter)
    too_many = 0
    for call in sandbox.call_log:
        if call.instant < start or call.division is None:
            continue
        too_many += call.status == 429
        per_minute[call.division][call.instant.replace(second=0, microsecond=0)] += 1
    rates, first_minutes = [], []
    for counts in per_minute.values():
        # Every minute but the last, which the end of the run cuts short. The first minute
        # holds the connect flow's system/Divisions calls too (they count against the
        # division at Exact, as they do here).
        minutes = sorted(counts)
        full = minutes[:-1] or minutes
        rates.append(sum(counts[m] for m in full) / len(full))
        first_minutes.append(counts[minutes[0]])
    achieved = sum(rates) / len(rates)
    return {
        "divisions": divisions,
        "worker_processes": PROCESSES,
        "calls_per_division": calls,
        "calls_per_minute_per_division": round(achieved, 1),  # every full minute
        "first_minute_calls_min": min(first_minutes),  # the slowest division's first minute
        "limit_per_minute": sandbox.settings.minute_limit,
        "budget_used_pct": round(100 * achieved / sandbox.settings.minute_limit, 1),
        "status_429": too_many,
        "worker_errors": errors,
        "sandbox_minutes": round((sandbox.clock.now() - start).total_seconds() / 60, 1),
        "wall_seconds": round(wall, 1),
    }


def main() -> None:
    console = Console(width=160)
    with scratch_database("lb_bench_pacing") as url:
        database_url = url.set(drivername="postgresql").render_as_string(hide_password=False)
        results = [scenario(database_url, 1, 600), scenario(database_url, 20, 240)]
    table = Table(title="Pacing against the sandbox (2 worker processes, sandbox clock)")
    for column in results[0]:
        table.add_column(column.replace("_", " "), justify="right")
    for row in results:
        table.add_row(*(str(value) for value in row.values()))
    console.print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    console.print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
