"""Benchmark: the export fault soak (issue 13) with two real ``ledgerbridge worker`` processes.

2,000 transactions (``--transactions``) over three divisions, one company each, are
exported while about a fifth of the sandbox's API calls fail the ways Exact and the network
fail — 5xx (HTML 503s, JSON 500s on reads and writes), write then 502, write then a dropped
connection, a held connection that dies (a timeout), connection resets, 429 storms — and
every token chain is revoked once mid-run and renewed (the consent flow again, as a person
does). Two ``ledgerbridge worker`` subprocesses work the jobs on one PostgreSQL database
(the app's in-process worker is off: there is no app process); each is SIGKILLed once
mid-run and started again, and the stalled-job check hands its job to the other one.

The sandbox runs in this process, served over real HTTP (uvicorn in a thread) on the wall
clock: the workers sleep for real. Its **minute limit is raised** from Exact's 60 to
``MINUTE_LIMIT`` calls per division so 2,000 transactions finish in minutes (at 60 a
minute the export alone would take ~40 min of waiting); the day limit stays Exact's 5,000.
A "timeout" holds the connection ``TIMEOUT_HOLD`` s and then closes it (the client's
read timeout is 30 s; waiting for it would only slow the benchmark down).

Then, as the pytest soak checks: every transaction is *exported* or in the export queue
with a reason (else it is *lost*); the sandbox holds exactly one purchase entry (by our
reference, ``ExternalLinkReference``) and one bank entry line (by the entry's number,
``OurRef``, amounts summed) per exported transaction; a queued one has no entry unless
linked. Prints a Rich table; writes ``benchmarks/results/soak.json``.

Run: ``uv run python benchmarks/soak.py [--transactions 2000]`` (LEDGERBRIDGE_TEST_DATABASE_URL
or the embedded PostgreSQL).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from cryptography.fernet import Fernet
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from exact_sandbox.control import SandboxControl
from exact_sandbox.core import Sandbox, SandboxUser
from exact_sandbox.seed import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_DIVISION,
    DEMO_PASSWORD,
    DEMO_REDIRECT_URIS,
    SECOND_DIVISION,
    guid,
    register_large_division,
    seed_master_data,
)
from exact_sandbox.serve import ShiftedClock, running
from ledgerbridge.bootstrap import Container
from ledgerbridge.config import Settings
from ledgerbridge.db.engine import make_engine, make_session_factory
from ledgerbridge.db.models.core import Company, TransactionRow
from ledgerbridge.db.models.exports import TransactionExportRow
from ledgerbridge.db.repositories.transactions import TransactionRepository
from ledgerbridge.db.server import sqlalchemy_url
from ledgerbridge.db.testing import scratch_database
from ledgerbridge.domain.export_settings import ExportSettings, ReceiptPolicy
from ledgerbridge.domain.money import Money
from ledgerbridge.services.dimensions.sync import sync_company
from ledgerbridge.services.export.start import start_export, sweep

RESULTS = Path(__file__).parent / "results" / "soak.json"
THIRD_DIVISION = 3101030
DIVISIONS = [(DEMO_DIVISION, "demo"), (SECOND_DIVISION, "demo-nl"), (THIRD_DIVISION, "demo-3")]
MINUTE_LIMIT = 1200  # Exact: 60 per division and minute (raised here, see the docstring)
TIMEOUT_HOLD = 1.0
STALL_SECONDS = 5
WORKER_CONCURRENCY = 2
DEADLINE_SECONDS = int(os.environ.get("SOAK_DEADLINE_SECONDS", 30 * 60))
ENTRIES = "purchaseentry/PurchaseEntries"
BANK_LINES = "financialtransaction/BankEntryLines"
SETTINGS = ExportSettings(
    purchase_journal="60",
    bank_journal="20",
    generic_supplier="1",
    creditors_account="1600",
    card_account="1105",
    vat_to_claim_account="1520",
    document_type=20,
    receipt_policy=ReceiptPolicy.OPTIONAL,
)
# (kind, method, share, extra): independent draws per API call (the POST-only ones see
# only writes), about 20 % of all calls in the end (the table shows the share reached).
FAULT_MIX: list[tuple[str, str | None, float, dict[str, Any]]] = [
    ("error", None, 0.07, {"status": 503}),
    ("error", "GET", 0.04, {"status": 500}),
    ("error", "POST", 0.015, {"status": 500}),
    ("write_then_error", "POST", 0.05, {"status": 502}),
    ("drop", "POST", 0.04, {}),
    ("timeout", "POST", 0.02, {"seconds": TIMEOUT_HOLD}),
    ("reset", None, 0.04, {}),
    # a storm costs a wait until the minute's reset: a few, not a share of every call
    ("storm", None, 0.005, {"count": 9}),
]


@dataclass
class Division:
    code: int
    username: str
    company_id: uuid.UUID
    ids: list[uuid.UUID] = field(default_factory=list)


@dataclass
class _Line:
    gl_account: str
    amount: Money
    vat_code: str | None
    cost_center: str | None = None
    cost_unit: str | None = None
    project: str | None = None
    description: str = ""


def make_sandbox() -> Sandbox:
    sandbox = Sandbox(ShiftedClock())
    sandbox.settings.minute_limit = MINUTE_LIMIT
    register_large_division(sandbox, THIRD_DIVISION)
    seed_master_data(sandbox, THIRD_DIVISION, supplier_count=30)
    user_id = guid("user", "demo-3")
    sandbox.users[user_id] = SandboxUser(
        user_id=user_id, username="demo-3", password=DEMO_PASSWORD, full_name="Demo Drie",
        email="demo-3@sandbox.example", language="EN", divisions=[c for c, _ in DIVISIONS],
        current_division=THIRD_DIVISION,
    )  # fmt: skip
    return sandbox


def settings(base_url: str, key: str, data_dir: Path) -> Settings:
    return Settings(
        data_dir=data_dir,
        secret_key=key,
        demo=False,
        run_worker=False,
        exact_region="custom",
        exact_base_url=base_url,
        exact_client_id=DEMO_CLIENT_ID,
        exact_client_secret=DEMO_CLIENT_SECRET,
        exact_redirect_url=DEMO_REDIRECT_URIS[0],
        job_stall_seconds=STALL_SECONDS,
    )


def worker_env(database_url: str, s: Settings) -> dict[str, str]:
    return os.environ | {
        "LEDGERBRIDGE_DATABASE_URL": database_url,
        "LEDGERBRIDGE_DATA_DIR": str(s.data_dir),
        "LEDGERBRIDGE_SECRET_KEY": s.secret_key or "",
        "LEDGERBRIDGE_DEMO": "false",
        "LEDGERBRIDGE_RUN_WORKER": "false",
        "LEDGERBRIDGE_EXACT_REGION": "custom",
        "LEDGERBRIDGE_EXACT_BASE_URL": s.exact_base_url or "",
        "LEDGERBRIDGE_EXACT_CLIENT_ID": DEMO_CLIENT_ID,
        "LEDGERBRIDGE_EXACT_CLIENT_SECRET": DEMO_CLIENT_SECRET,
        "LEDGERBRIDGE_EXACT_REDIRECT_URL": DEMO_REDIRECT_URIS[0],
        "LEDGERBRIDGE_JOB_STALL_SECONDS": str(STALL_SECONDS),
    }


class Worker:
    """One ``ledgerbridge worker`` subprocess, started again after a SIGKILL."""

    def __init__(self, name: str, env: dict[str, str], logs: Path) -> None:
        self.name, self.env, self.logs, self.starts = name, env, logs, 0
        self.process = self._start()

    def _start(self) -> subprocess.Popen[bytes]:
        self.starts += 1
        log = self.logs / f"{self.name}-{self.starts}.log"
        with log.open("wb") as out:
            command = [sys.executable, "-m", "ledgerbridge", "worker",
                       "--concurrency", str(WORKER_CONCURRENCY)]  # fmt: skip
            return subprocess.Popen(command, env=self.env, stdout=out, stderr=subprocess.STDOUT)

    def kill_and_restart(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = self._start()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def connect(c: Container, d: Division) -> None:
    """The consent flow through our services as ``d.username`` (connect, or Renew)."""
    c.http.cookies.clear()  # the sandbox's login session of another user
    browser = f"bench-{uuid.uuid4().hex[:8]}"
    url = c.connections.start_connect(d.company_id, browser).authorize_url
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    form = query | {"username": d.username, "password": DEMO_PASSWORD, "action": "allow"}
    answer = c.http.post(url, data=form)
    back = parse_qs(urlsplit(answer.headers["location"]).query)
    c.connections.complete_connect(browser, back["code"][0], back["state"][0])
    c.connections.choose_division(d.company_id, d.code)


def add_company(c: Container, code: int, username: str) -> Division:
    with c.session_factory.begin() as session:
        company = Company(slug=f"co-{code}", name=f"Company {code}", base_currency="EUR")
        session.add(company)
        session.flush()
        d = Division(code, username, company.id)
    connect(c, d)
    sync_company(c.uow, c.gateway, c.now, d.company_id, mode="full")
    with c.uow() as uow:
        uow.export_settings.save(d.company_id, SETTINGS, actor="bench")
        uow.commit()
    return d


def add_transactions(c: Container, d: Division, count: int, rng: random.Random) -> None:
    with c.session_factory.begin() as session:
        repo = TransactionRepository(session)
        for n in range(count):
            gross = Decimal(rng.randrange(100, 50_000)) / 100
            row = repo.add(d.company_id, {
                "external_id": f"D{d.code}-{n:05d}", "kind": "card_payment",
                "booking_date": date(2026, 10 + n % 2, 1 + n % 28), "merchant_name": "Coolblue",
                "amount": -gross, "currency": "EUR", "original_amount": -gross,
                "original_currency": "EUR", "status": "ready",
            })  # fmt: skip
            gl = rng.choice(["4200", "4330", "4510"])
            repo.replace_coding_lines(
                d.company_id, row.id, [_Line(gl, Money.of(-gross, "EUR"), "2")]
            )
            if n % 10 == 0:
                content = f"%PDF receipt {d.code}-{n}".encode()
                repo.add_receipt(d.company_id, row.id, sha256=c.receipts.put(content),
                                 filename=f"bon-{n}.pdf", content_type="application/pdf",
                                 size_bytes=len(content))  # fmt: skip
            d.ids.append(row.id)


def reasons(c: Container) -> Counter[str]:
    with c.session_factory() as session:
        query = select(TransactionRow.status_reason).where(TransactionRow.status != "exported")
        return Counter(r for (r,) in session.execute(query))


def entries_written(c: Container) -> int:
    """Transactions whose purchase entry is in Exact (recorded): the run's progress."""
    with c.session_factory() as session:
        query = select(func.count()).where(TransactionExportRow.entry_id.is_not(None))
        return int(session.execute(query).scalar_one())


def statuses(c: Container) -> Counter[str]:
    with c.session_factory() as session:
        query = select(TransactionRow.status, func.count()).group_by(TransactionRow.status)
        return Counter({status: count for status, count in session.execute(query)})


def check(c: Container, sandbox: Sandbox, d: Division) -> dict[str, int]:
    """The pytest soak's checks for one division, as counts."""
    with c.uow() as uow:
        found = uow.transactions.many(d.company_id, d.ids)
        sagas = uow.exports.sagas(d.company_id, d.ids)
        with_entry = {t for t, s in sagas.items() if s.entry_id}
        rows = [(r.external_id, r.status, r.status_reason, r.amount, r.id in with_entry)
                for r in found]  # fmt: skip
    entries = sandbox.store.rows(d.code, ENTRIES)
    per_reference = Counter(e.get("ExternalLinkReference") for e in entries)
    reference_of = {e["EntryNumber"]: e.get("ExternalLinkReference") for e in entries}
    lines: dict[str, list[Decimal]] = defaultdict(list)
    for line in sandbox.store.rows(d.code, BANK_LINES):
        lines[reference_of.get(line.get("OurRef"), "?")].append(Decimal(str(line["AmountFC"])))
    out = Counter[str]()
    for ref, status, reason, amount, linked in rows:
        if status == "exported":
            out["exported"] += 1
            out["duplicate_purchase_entries"] += max(per_reference[ref] - 1, 0)
            out["missing_purchase_entries"] += per_reference[ref] == 0
            out["duplicate_bank_lines"] += max(len(lines[ref]) - 1, 0)
            out["missing_bank_lines"] += not lines[ref]
            out["bank_amount_mismatches"] += bool(lines[ref]) and sum(lines[ref]) != amount
        elif status == "failed" and reason:
            out["queued_with_reason"] += 1
            out["queued_with_unlinked_entry"] += per_reference[ref] > (1 if linked else 0)
            out["queued_with_bank_line"] += bool(lines[ref])
        else:
            out["lost"] += 1
    out["entries_of_no_transaction"] = len(set(per_reference) - {r[0] for r in rows})
    return dict(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--transactions", type=int, default=2000)
    args = parser.parse_args()
    console = Console(width=160)
    rng = random.Random(13)
    sandbox = make_sandbox()
    with (
        scratch_database("lb_bench_soak") as url,
        tempfile.TemporaryDirectory() as tmp,
        running(sandbox) as base_url,
    ):
        database_url = url.set(drivername="postgresql").render_as_string(hide_password=False)
        s = settings(str(base_url), Fernet.generate_key().decode(), Path(tmp))
        engine = make_engine(sqlalchemy_url(database_url))
        c = Container(s, engine.url, engine, make_session_factory(engine),
                      http=httpx.Client(timeout=30))  # fmt: skip
        console.print(f"sandbox {base_url} (minute limit raised to {MINUTE_LIMIT}); "
                      f"seeding {args.transactions} transactions…")  # fmt: skip
        divisions = [add_company(c, code, user) for code, user in DIVISIONS]
        for n, d in enumerate(divisions):
            share = args.transactions // 3 + (n < args.transactions % 3)
            add_transactions(c, d, share, rng)
        for kind, method, share, extra in FAULT_MIX:
            sandbox.faults.add(kind, method=method, share=share, **extra)
        calls_before = len(sandbox.call_log)
        started = time.monotonic()
        for d in divisions:
            start_export(c.uow, c.queue, c.now, d.company_id, d.ids, "bench@example.com")
        env = worker_env(database_url, s)
        logs = Path(tempfile.mkdtemp(prefix="lb-soak-workers-"))  # kept for a look afterwards
        console.print(f"worker logs: {logs}")
        workers = [Worker(f"worker-{n}", env, logs) for n in (1, 2)]
        events = drive(c, sandbox, divisions, workers, args.transactions, console)
        wall = time.monotonic() - started
        for w in workers:
            w.stop()
        calls = len(sandbox.call_log) - calls_before
        events["answered_401"] = sum(r.status == 401 for r in sandbox.call_log[calls_before:])
        hits: Counter[str] = Counter()
        for rule in sandbox.faults._rules:
            hits[rule.kind] += rule.hits
        sandbox.faults.clear()
        per_division = {d.code: check(c, sandbox, d) for d in divisions}
        c.http.close()
        engine.dispose()
    result = summary(args.transactions, per_division, wall, calls, hits, events, workers)
    show(console, result, per_division)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    console.print(f"written to {RESULTS}")


def drive(
    c: Container,
    sandbox: Sandbox,
    divisions: list[Division],
    workers: list[Worker],
    total: int,
    console: Console,
) -> dict[str, Any]:
    """Watch the runs; SIGKILL worker 1 when 25 % of the purchase entries are written and
    worker 2 at 65 % (each started again at once), revoke every token chain at 45 % and
    Renew 10 s later: all three divisions are mid-run then."""
    events: dict[str, Any] = {"kills": 0, "revoked_chains": 0, "renewed": 0, "sweeps": 0}
    plan: list[tuple[float, str, Callable[[], None]]] = [
        (0.25, "SIGKILL worker-1", workers[0].kill_and_restart),
        (0.45, "revoke every token chain", lambda: revoke(sandbox, events)),
        (0.65, "SIGKILL worker-2", workers[1].kill_and_restart),
    ]
    renew_at: float | None = None
    deadline, last_print = time.monotonic() + DEADLINE_SECONDS, 0.0
    while time.monotonic() < deadline:
        counts = statuses(c)
        done = total - counts["queued"] - counts["exporting"]
        written = entries_written(c)
        while plan and written >= plan[0][0] * total:
            _, what, action = plan.pop(0)
            console.print(f"  {written}/{total} entries written, {done} done: {what}")
            action()
            events["kills"] += what.startswith("SIGKILL")
            if what.startswith("revoke"):
                renew_at = time.monotonic() + 10
        if renew_at is not None and time.monotonic() >= renew_at:
            events["needs_reauth_before_renew"] = needs_reauth(c, divisions)
            for d in divisions:  # Renew, as a person does after Exact lost the consent
                connect(c, d)
                events["renewed"] += 1
            events["sweeps"] += sweep(c.uow, c.queue)  # the sweeper's minute, a bit early
            console.print(f"  {done}/{total} done: renewed {len(divisions)} connections")
            renew_at = None
        if done >= total and (not plan or counts["exported"] == 0) and renew_at is None:
            if counts["exported"] < total:
                console.print(f"  not exported: {reasons(c).most_common(5)}")
            return events
        if time.monotonic() - last_print > 30:
            console.print(f"  {dict(counts)}, {written} entries written")
            last_print = time.monotonic()
        time.sleep(0.5)
    console.print("[red]deadline reached: stopping with transactions left over[/]")
    return events


def needs_reauth(c: Container, divisions: list[Division]) -> int:
    with c.uow() as uow:
        found = [uow.connections.get(d.company_id) for d in divisions]
        return sum(f is not None and f.status.value == "needs_reauth" for f in found)


def revoke(sandbox: Sandbox, events: dict[str, Any]) -> None:
    events["revoked_chains"] += SandboxControl(sandbox).revoke_tokens()


def summary(
    total: int,
    per_division: dict[int, dict[str, int]],
    wall: float,
    calls: int,
    hits: Counter[str],
    events: dict[str, Any],
    workers: list[Worker],
) -> dict[str, Any]:
    sums: Counter[str] = Counter()
    for counts in per_division.values():
        sums.update(counts)
    return {
        "transactions": total,
        "divisions": len(per_division),
        "exported": sums["exported"],
        "queued_with_reason": sums["queued_with_reason"],
        "lost": sums["lost"],
        "duplicate_purchase_entries": sums["duplicate_purchase_entries"],
        "duplicate_bank_lines": sums["duplicate_bank_lines"],
        "missing_purchase_entries": sums["missing_purchase_entries"],
        "missing_bank_lines": sums["missing_bank_lines"],
        "bank_amount_mismatches": sums["bank_amount_mismatches"],
        "queued_with_unlinked_entry": sums["queued_with_unlinked_entry"],
        "queued_with_bank_line": sums["queued_with_bank_line"],
        "entries_of_no_transaction": sums["entries_of_no_transaction"],
        "wall_seconds": round(wall, 1),
        "api_calls": calls,
        "faults_injected": sum(hits.values()),
        "faulted_share_pct": round(100 * sum(hits.values()) / max(calls, 1), 1),
        "faults_by_kind": dict(sorted(hits.items())),
        "worker_processes": len(workers),
        "kills": events["kills"],
        "worker_starts": sum(w.starts for w in workers),
        "revoked_token_chains": events["revoked_chains"],
        "answered_401_after_revocation": events["answered_401"],
        "needs_reauth_before_renew": events.get("needs_reauth_before_renew", 0),
        "renewed_connections": events["renewed"],
        "minute_limit_per_division": MINUTE_LIMIT,
        "minute_limit_note": f"raised from Exact's 60 to {MINUTE_LIMIT} for the benchmark",
        "per_division": {str(k): v for k, v in per_division.items()},
    }


def show(console: Console, result: dict[str, Any], per_division: dict[int, Any]) -> None:
    table = Table(title="Export fault soak: 2 `ledgerbridge worker` processes, real HTTP")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key, value in result.items():
        if key in ("per_division", "faults_by_kind"):
            continue
        table.add_row(key.replace("_", " "), str(value))
    for kind, count in result["faults_by_kind"].items():
        table.add_row(f"faults: {kind}", str(count))
    for code, counts in per_division.items():
        shown = ", ".join(f"{k} {v}" for k, v in counts.items() if v)
        table.add_row(f"division {code}", shown)
    console.print(table)


if __name__ == "__main__":
    main()
