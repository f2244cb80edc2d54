"""Benchmark: dimension sync against a large sandbox division.

The division holds 10,000 GL accounts, 20,000 suppliers and 2,000 projects
(plus the demo VAT codes, cost centres/units, journals and document types).
Measures API calls and wall time for the full pull on connect and for an
incremental sync when nothing changed, and the time to list a first and a deep
page of suppliers (keyset paging), prints a Rich table and writes
benchmarks/results/dimension_sync.json. Run: ``uv run python benchmarks/dimension_sync.py``.
Uses LEDGERBRIDGE_TEST_DATABASE_URL when set, else the embedded server. The
sandbox runs in-process on a FakeClock, so rate-limit pacing costs no real time.
"""

from __future__ import annotations

import json
import math
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
from cryptography.fernet import Fernet
from rich.console import Console
from rich.table import Table

from exact_sandbox.app import create_sandbox_app
from exact_sandbox.clock import FakeClock
from exact_sandbox.core import Sandbox
from exact_sandbox.seed import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_PASSWORD,
    DEMO_REDIRECT_URIS,
    seed_large_division,
)
from exact_sandbox.transport import SandboxTransport
from ledgerbridge.bootstrap import Container
from ledgerbridge.config import Settings
from ledgerbridge.db.engine import make_engine, make_session_factory
from ledgerbridge.db.repositories import CompanyRepository
from ledgerbridge.db.repositories.dimensions import DimensionFilter, DimensionRepository
from ledgerbridge.db.testing import scratch_database
from ledgerbridge.db.uow import UnitOfWork
from ledgerbridge.domain.dimensions import DimensionKind
from ledgerbridge.services.dimensions.sync import SyncOutcome, sync_company

LARGE_DIVISION = 3109999
SIZES = {"gl_accounts": 10_000, "suppliers": 20_000, "projects": 2_000}
RESULTS = Path(__file__).parent / "results" / "dimension_sync.json"


def connect(container: Container, company_id: object, sandbox: Sandbox) -> None:
    """The OAuth flow through our services, then the large division."""
    url = container.connections.start_connect(company_id, "bench").authorize_url  # type: ignore[arg-type]
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    form = query | {"username": "demo", "password": DEMO_PASSWORD, "action": "allow"}
    back = parse_qs(urlsplit(container.http.post(url, data=form).headers["location"]).query)
    container.connections.complete_connect("bench", back["code"][0], back["state"][0])
    container.connections.choose_division(company_id, LARGE_DIVISION)  # type: ignore[arg-type]


def measure(label: str, container: Container, company_id: object, mode: str) -> dict[str, object]:
    started = time.perf_counter()
    outcome: SyncOutcome = sync_company(
        container.uow, container.gateway, container.now, company_id, mode=mode
    )  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    if outcome.status != "ok":
        raise SystemExit(f"{label} failed: {outcome.error}")
    return {
        "run": label,
        "mode": outcome.mode,
        "api_calls": outcome.api_calls,
        "seconds": round(seconds, 2),
        "summary": outcome.lines[:6],
    }


REPEATS = 21


def measure_listing(container: Container, company_id: object) -> dict[str, float]:
    """Median milliseconds to read the first and a deep page of suppliers (GET
    /api/v1/dimensions), over ``REPEATS`` reads each."""
    filters = DimensionFilter(kind=DimensionKind.SUPPLIER)
    timings: dict[str, float] = {}
    with UnitOfWork(container.session_factory) as uow:
        repo = DimensionRepository(uow.session)
        codes = [d.code for d in repo.all(company_id, kind=DimensionKind.SUPPLIER)]  # type: ignore[arg-type]
        for label, after in (("first_page_ms", None), ("page_at_row_19800_ms", codes[19_799])):
            cursor = (DimensionKind.SUPPLIER, after) if after is not None else None
            samples = []
            for _ in range(REPEATS):
                started = time.perf_counter()
                page = repo.page(company_id, filters, after=cursor, limit=200)  # type: ignore[arg-type]
                samples.append((time.perf_counter() - started) * 1000)
                assert len(page) == 200
            timings[label] = round(statistics.median(samples), 1)
    return timings


def main() -> None:
    clock = FakeClock()
    sandbox = Sandbox(clock)
    seed_large_division(sandbox, LARGE_DIVISION, **SIZES)
    rows = sum(SIZES.values())
    http = httpx.Client(transport=SandboxTransport(create_sandbox_app(sandbox)), timeout=300)
    with scratch_database("lb_bench") as url, tempfile.TemporaryDirectory() as folder:
        engine = make_engine(url)
        container = Container(
            settings=Settings(
                data_dir=Path(folder),
                secret_key=Fernet.generate_key().decode(),
                exact_region="custom",
                exact_base_url="http://sandbox.test",
                exact_client_id=DEMO_CLIENT_ID,
                exact_client_secret=DEMO_CLIENT_SECRET,
                exact_redirect_url=DEMO_REDIRECT_URIS[0],
            ),
            database_url=url,
            engine=engine,
            session_factory=make_session_factory(engine),
            http=http,
            now=clock.now,
            sleep=clock.sleep,
        )
        with UnitOfWork(container.session_factory) as uow:
            company_id = CompanyRepository(uow.session).add("bench", "Bench B.V.").id
            uow.commit()
        connect(container, company_id, sandbox)
        results = [measure("full pull on connect", container, company_id, "full")]
        clock.advance(timedelta(minutes=15))
        results.append(measure("incremental, nothing changed", container, company_id, "auto"))
        listing = measure_listing(container, company_id)
        if "jobs" in container.__dict__:
            container.jobs.close()
        engine.dispose()
    http.close()
    report(results, rows, listing)


def report(results: list[dict[str, object]], rows: int, listing: dict[str, float]) -> None:
    budget = math.ceil(SIZES["gl_accounts"] / 1000) + math.ceil(SIZES["suppliers"] / 1000)
    budget += math.ceil(SIZES["projects"] / 1000)
    table = Table(
        title=f"Dimension sync, {rows:,} synced rows (10k GL, 20k suppliers, 2k projects)"
    )
    for column in ("run", "mode", "API calls", "seconds"):
        table.add_column(column)
    for r in results:
        table.add_row(str(r["run"]), str(r["mode"]), str(r["api_calls"]), str(r["seconds"]))
    Console().print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    Console().print(f"listing 200 suppliers: {listing}")
    payload = {
        "sizes": SIZES,
        "page_budget_sync_rows": budget,
        "runs": results,
        "list_page_of_200_suppliers": listing,
    }
    RESULTS.write_text(json.dumps(payload, indent=2) + "\n")
    Console().print(f"written {RESULTS}")


if __name__ == "__main__":
    main()
