"""Benchmark: stream a 100,000-row CSV into a scratch PostgreSQL database.

Prints rows, seconds, rows/s and peak RSS growth, for 10,000 rows and for
100,000 rows (memory should not grow with the file size), and writes
benchmarks/results/intake.json. Run: ``uv run python benchmarks/intake.py``.
Uses LEDGERBRIDGE_TEST_DATABASE_URL when set, else the embedded server.
"""

from __future__ import annotations

import json
import random
import resource
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ledgerbridge.db.engine import make_engine, make_session_factory
from ledgerbridge.db.repositories import CompanyRepository
from ledgerbridge.db.testing import scratch_database
from ledgerbridge.db.uow import UnitOfWork
from ledgerbridge.services.transactions.csv_import import import_csv

HEADER = (
    "external_id;booking_date;settlement_date;kind;amount;currency;original_amount;"
    "original_currency;merchant_name;merchant_country;mcc;cardholder;card_last4;description\n"
)
MERCHANTS = [("Albert Heijn", "NL", "5411"), ("NS", "NL", "4112"), ("GitHub", "US", "5734")]
TODAY = date(2026, 11, 25)
RESULTS = Path(__file__).parent / "results" / "intake.json"


def write_csv(path: Path, rows: int, prefix: str) -> None:
    """A Dutch-style file: ';' separated, decimal comma, thousands separator."""
    rng = random.Random(rows)
    with path.open("w", encoding="utf-8-sig") as out:
        out.write(HEADER)
        for n in range(rows):
            name, country, mcc = MERCHANTS[n % len(MERCHANTS)]
            day = TODAY - timedelta(days=n % 90)
            cents = rng.randint(100, 250_000)
            amount = f"-{cents // 100:,}".replace(",", ".") + f",{cents % 100:02d}"
            out.write(
                f"{prefix}-{n};{day};{day};card_payment;{amount};EUR;;;{name};{country};{mcc};"
                f"J. de Vries;4242;benchmark row {n}\n"
            )


def peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux (bytes on macOS).
    scale = 1 if sys.platform != "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / scale


def run(rows: int, uow: UnitOfWork, company_id: uuid.UUID, folder: Path) -> dict[str, float]:
    path = folder / f"intake_{rows}.csv"
    write_csv(path, rows, f"r{rows}")
    before = peak_rss_mb()
    started = time.perf_counter()
    with path.open("rb") as source:
        result = import_csv(uow, company_id, source, actor="benchmark", today=TODAY)
    seconds = time.perf_counter() - started
    assert result.created == rows, result
    return {
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "peak_rss_growth_mb": round(peak_rss_mb() - before, 1),
        "file_mb": round(path.stat().st_size / 1_048_576, 1),
    }


def main() -> None:
    with scratch_database("lb_bench") as url, tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(url)
        factory = make_session_factory(engine)
        with UnitOfWork(factory) as uow:
            company = CompanyRepository(uow.session).add("bench", "Bench B.V.")
            uow.commit()
        baseline = peak_rss_mb()
        results = [run(n, UnitOfWork(factory), company.id, Path(tmp)) for n in (10_000, 100_000)]
        engine.dispose()
    for r in results:
        r["peak_rss_growth_vs_start_mb"] = round(r["peak_rss_mb"] - baseline, 1)
    table = Table(title="CSV intake (one PostgreSQL transaction per file)")
    for column in ("rows", "file MB", "seconds", "rows/s", "peak RSS growth MB"):
        table.add_column(column, justify="right")
    for r in results:
        table.add_row(
            f"{r['rows']:,}",
            str(r["file_mb"]),
            str(r["seconds"]),
            f"{r['rows_per_second']:,}",
            str(r["peak_rss_growth_vs_start_mb"]),
        )
    Console().print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    summary = {
        "goal_rows_per_second": 5000,
        "runs": results,
        "memory_growth_100k_vs_10k_mb": round(
            results[1]["peak_rss_growth_vs_start_mb"] - results[0]["peak_rss_growth_vs_start_mb"], 1
        ),
    }
    RESULTS.write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
