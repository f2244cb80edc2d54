"""Benchmark: prep at month-end — the *to prepare* list, bulk assign and mark ready.

Seeds a scratch PostgreSQL database with ``benchmarks/large_seed.py`` (1,000,000
transactions by default), then times, through the services the API calls:

- the first page of *to prepare* with a merchant filter (``--samples`` reads; p50/p95);
- ``assign`` of a GL account to 10,000 uncoded transactions selected by a filter
  ("all N matching"), in one request (goal < 2 s);
- ``mark_ready`` of those 10,000 (goal < 3 s), with complete export settings (receipts
  optional), so every one of them is judged in full and moves to *ready*.

Prints a table and writes ``benchmarks/results/prep.json`` with ``list_first_page_p95_ms``,
``bulk_assign_10k_s`` and ``mark_ready_10k_s``. Run: ``uv run python benchmarks/prep.py``
(``--transactions 100000`` for a quicker look). Uses LEDGERBRIDGE_TEST_DATABASE_URL when
set, else the embedded server.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
from large_seed import seed
from ledgerbridge.db.engine import make_engine, make_session_factory
from ledgerbridge.db.testing import scratch_database
from ledgerbridge.db.uow import UnitOfWork
from ledgerbridge.domain.dimension_facts import GLAccountFacts
from ledgerbridge.domain.dimensions import Dimension, DimensionKind, DimensionSource
from ledgerbridge.domain.export_settings import ExportSettings, ReceiptPolicy
from ledgerbridge.domain.export_status import ExportStatus
from ledgerbridge.services.prep import coding
from ledgerbridge.services.transactions import query

RESULTS = Path(__file__).parent / "results" / "prep.json"
SETTINGS = ExportSettings(
    purchase_journal="60",
    bank_journal="20",
    generic_supplier="20001",
    creditors_account="1600",
    receipt_policy=ReceiptPolicy.OPTIONAL,
)
BULK = 10_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=30)
    args = parser.parse_args()
    console = Console()
    with scratch_database("lb_bench_prep") as url:
        engine = make_engine(url)
        session_factory = make_session_factory(engine)

        def uow() -> UnitOfWork:
            return UnitOfWork(session_factory)

        console.print(f"Seeding {args.transactions:,} transactions")
        world = seed(session_factory, transactions=args.transactions, dimensions=6_000)
        console.print(f"seeded in {world.seconds} s")
        company = world.company_id
        with uow() as unit:  # complete settings, receipts optional: all 10,000 can be ready
            unit.dimensions.save(company, [Dimension(
                DimensionKind.GL_ACCOUNT, "1600", "Creditors", DimensionSource.EXACT,
                exact_id="gl-creditors", facts=GLAccountFacts(type=22))])  # fmt: skip
            unit.export_settings.save(company, SETTINGS, actor="benchmark")
            unit.commit()
        listed = query.TransactionFilter(status=ExportStatus.TO_PREPARE, merchant="Merchant 00")
        times = []
        for n in range(args.samples + 3):
            started = time.perf_counter()
            page = query.list_transactions(uow(), company, listed, 50)
            query.status_counts(uow(), company, listed)
            if n >= 3:
                times.append((time.perf_counter() - started) * 1000)
        assert page.items, "no transaction to prepare matched"
        times.sort()
        everything = query.TransactionFilter(status=ExportStatus.TO_PREPARE)
        with uow() as unit:
            ids = unit.transactions.ids_matching(company, everything, limit=BULK)
        assert len(ids) == BULK, f"only {len(ids)} transactions to prepare; seed more"
        started = time.perf_counter()
        assigned = coding.assign(
            uow, company, ids, {"gl_account": "04001", "vat_code": "21"}, actor="benchmark"
        )
        assign_s = time.perf_counter() - started
        started = time.perf_counter()
        readied = coding.mark_ready(uow, company, ids, actor="benchmark")
        ready_s = time.perf_counter() - started
        engine.dispose()
    ready = sum(1 for outcome in readied if outcome.ready)
    results = {
        "transactions": args.transactions,
        "list_first_page_p50_ms": round(statistics.median(times), 1),
        "list_first_page_p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1),
        "bulk_assign_10k_s": round(assign_s, 2),
        "mark_ready_10k_s": round(ready_s, 2),
        "assigned": len(assigned),
        "marked_ready": ready,
        "seed_seconds": world.seconds,
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "date": datetime.now(UTC).date().isoformat(),
    }
    table = Table(title=f"Prep with {args.transactions:,} transactions")
    table.add_column("what")
    table.add_column("result", justify="right")
    table.add_column("goal", justify="right")
    table.add_row(
        "to prepare, first page + counts (merchant filter)",
        f"p50 {results['list_first_page_p50_ms']} ms, p95 {results['list_first_page_p95_ms']} ms",
        "p95 < 200 ms",
    )
    table.add_row(
        f"assign a GL account and VAT code to {BULK:,} (by filter)", f"{assign_s:.2f} s", "< 2 s"
    )
    table.add_row(f"mark ready {BULK:,} ({ready:,} ready)", f"{ready_s:.2f} s", "< 3 s")
    console.print(table)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    console.print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
