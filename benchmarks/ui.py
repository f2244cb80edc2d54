"""Benchmark: the Transactions and Dimensions pages with 1,000,000 transactions.

Seeds a scratch PostgreSQL database (``benchmarks/large_seed.py``: 1,000,000
transactions and 30,000 dimensions by default, plus another company with a tenth),
serves the app with uvicorn on a free port, signs in as the company's admin and
times each page of ``PAGES`` over real HTTP (rendering included): 5 warm-ups, then
``--samples`` requests. Prints p50/p95/max and writes ``benchmarks/results/ui.json``
with a ``p95_ms`` per page (goal: p95 < 200 ms).

Run: ``uv run python benchmarks/ui.py`` (``--transactions 20000`` for a quick look).
Uses LEDGERBRIDGE_TEST_DATABASE_URL when set, else the embedded server.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import socket
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import uvicorn
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
from large_seed import ADMIN, PASSWORD, seed
from ledgerbridge.bootstrap import Container
from ledgerbridge.config import Settings
from ledgerbridge.db.engine import make_engine, make_session_factory
from ledgerbridge.db.testing import scratch_database
from ledgerbridge.web.app import create_app

RESULTS = Path(__file__).parent / "results" / "ui.json"
DEEP_TRANSACTIONS = 200  # pages followed before the "deep" transactions page is timed
DEEP_DIMENSIONS = 100
GOAL_MS = 200.0


def pages(merchant: str, cardholder: str) -> dict[str, str]:
    """Name → URL (a "deep:" prefix means: follow that many Next links first)."""
    return {
        "transactions: first page (to prepare)": "/transactions",
        "transactions: first page (exported)": "/transactions?status=exported",
        "transactions: filtered (merchant + dates)": (
            f"/transactions?status=exported&merchant={merchant}"
            "&date_from=2026-01-01&date_to=2026-06-30"
        ),
        "transactions: filtered (cardholder + receipt)": (
            f"/transactions?status=exported&cardholder={cardholder}&has_receipt=yes"
        ),
        "transactions: search": "/transactions?status=exported&q=row 12345",
        f"transactions: deep ({DEEP_TRANSACTIONS} pages in)": f"deep:{DEEP_TRANSACTIONS}:"
        "/transactions?status=exported",
        "transactions API: first page": "/api/v1/transactions?status=exported",
        "dimensions: suppliers first page": "/dimensions?kind=supplier",
        "dimensions: suppliers search": "/dimensions?kind=supplier&q=01234",
        f"dimensions: deep ({DEEP_DIMENSIONS} pages in)": f"deep:{DEEP_DIMENSIONS}:"
        "/dimensions?kind=supplier",
    }


NEXT = re.compile(r'<a href="(/(?:transactions|dimensions)\?[^"]*(?:after)=[^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def follow(client: httpx.Client, url: str, pages_in: int) -> str:
    for _ in range(pages_in):
        found = NEXT.search(client.get(url).text)
        if not found:
            break
        url = found.group(1).replace("&amp;", "&")
    return url


def sign_in(client: httpx.Client) -> None:
    answer = client.post("/login", data={"email": ADMIN, "password": PASSWORD})
    assert answer.status_code == 303, answer.text


def measure(client: httpx.Client, url: str, samples: int) -> dict[str, float]:
    for _ in range(5):
        assert client.get(url).status_code == 200, url
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        answer = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, (url, answer.status_code)
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1),
        "max_ms": round(times[-1], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=1_000_000)
    parser.add_argument("--dimensions", type=int, default=30_000)
    parser.add_argument("--samples", type=int, default=50)
    args = parser.parse_args()
    console = Console()
    with scratch_database("lb_bench_ui") as url, tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(url)
        session_factory = make_session_factory(engine)
        console.print(
            f"Seeding {args.transactions:,} transactions, {args.dimensions:,} dimensions…"
        )
        world = seed(session_factory, transactions=args.transactions, dimensions=args.dimensions)
        console.print(f"seeded in {world.seconds} s")
        settings = Settings(data_dir=Path(tmp), demo=False, sandbox_enabled=False, run_worker=False)
        app = create_app(Container(settings, url, engine, session_factory))
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        results: dict[str, dict[str, float]] = {}
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
                sign_in(client)
                for name, target in pages(world.busiest_merchant, world.a_cardholder).items():
                    if target.startswith("deep:"):
                        _, depth, start = target.split(":", 2)
                        target = follow(client, start, int(depth))
                    results[name] = measure(client, target, args.samples)
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            engine.dispose()
    table = Table(
        title=f"Pages with {args.transactions:,} transactions, {args.dimensions:,} dimensions"
    )
    for column in ("page", "p50 ms", "p95 ms", "max ms", f"p95 < {GOAL_MS:.0f} ms"):
        table.add_column(column, justify="left" if column == "page" else "right")
    for name, found in results.items():
        ok = "yes" if found["p95_ms"] < GOAL_MS else "NO"
        table.add_row(name, f"{found['p50_ms']}", f"{found['p95_ms']}", f"{found['max_ms']}", ok)
    console.print(table)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "pages": results,
                "transactions": args.transactions,
                "dimensions": args.dimensions,
                "samples": args.samples,
                "seed_seconds": world.seconds,
                "machine": f"{platform.machine()}, {platform.python_version()}",
                "date": datetime.now(UTC).date().isoformat(),
            },
            indent=2,
        )
        + "\n"
    )
    console.print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
