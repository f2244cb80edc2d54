"""Two app nodes and two workers on one PostgreSQL and one S3-compatible store (issue 14).

Every part of the deployment is a process of its own: ``ledgerbridge run`` twice (nodes
A and B, ``RUN_WORKER=false``, no mounted sandbox) and ``ledgerbridge worker`` twice, all
with the same settings (``deployment_env``) except their data directory and port. Beside
them, in this process: moto's S3 server and the Exact sandbox, both over real HTTP, the
sandbox persisted in the same PostgreSQL and granting the app 3,000 calls a minute.

The test plays the load balancer: both nodes believe they are ``PUBLIC_URL`` and each
request goes to the node the test picks, with the user's cookies (and CSRF header) going
wherever the request goes. Two client firms (companies) of one bookkeeping office each
have their own admin and their own Exact administration; each admin signs in on one
node and goes on on the other; the OAuth consent starts on one node and Exact sends the
browser back to the other. 100 transactions each are sent, coded and marked ready,
their receipts uploaded half through A and half through B, and each firm's export is
started through the API. The nodes run no jobs. A run works under its division's lock,
so two firms (two divisions) are what two workers can export at the same time; each
worker runs one job at a time (``--concurrency 1``) and the second export starts once
the first one's job is running, so each worker exports one firm.
Then the sandbox holds every transaction exactly once (one purchase entry, one bank
line), every entry its document with exactly the receipt uploaded for it, and the
bucket every receipt, no process's disk any.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from object_store import REGION, ObjectStore
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

from exact_sandbox.control import SandboxControl
from exact_sandbox.core import Sandbox
from exact_sandbox.seed import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_DIVISION, SECOND_DIVISION
from exact_sandbox.serve import TOKEN_FILE, persisted_sandbox, running
from ledgerbridge.db.engine import make_engine, make_session_factory
from ledgerbridge.db.server import libpq_url
from ledgerbridge.db.testing import scratch_database
from ledgerbridge.db.uow import UnitOfWork
from ledgerbridge.services.access.setup import add_user, create_company

pytestmark = [pytest.mark.slow, pytest.mark.two_nodes]

LEDGERBRIDGE = (sys.executable, "-m", "ledgerbridge")
PUBLIC_URL = "http://ledgerbridge.test"  # the load balancer's address: the test plays it
PER_FIRM = 100
ENTRIES = "purchaseentry/PurchaseEntries"
BANK_LINES = "financialtransaction/BankEntryLines"
DOCUMENTS = "documents/Documents"
ATTACHMENTS = "documents/DocumentAttachments"
EXPORT_SETTINGS = {
    "purchase_journal": "60",
    "bank_journal": "20",
    "generic_supplier": "1",
    "creditors_account": "1600",
    "card_account": "1105",
    "vat_to_claim_account": "1520",
    "document_type": 20,
    "receipt_policy": "required",
}


@dataclass
class Firm:
    """A client company of the office, its admin and its Exact administration."""

    slug: str
    admin: str
    password: str
    exact_user: str
    division: int
    refs: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    receipts: dict[str, str] = field(default_factory=dict)  # reference → sha256
    amounts: dict[str, Decimal] = field(default_factory=dict)  # reference → amount paid


def two_firms() -> tuple[Firm, Firm]:
    """Each with its own Exact user: one Exact user serves one company (signing in as the
    same user for another company would end the first one's connection)."""
    return (
        Firm("acme", "anna@office.example", "anna-password-1", "demo", DEMO_DIVISION),
        Firm("beta", "ben@office.example", "ben-password-22", "demo-nl", SECOND_DIVISION),
    )


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    data_dir: Path
    base: str | None = None  # a node's own address (what the load balancer forwards to)

    @property
    def log(self) -> Path:
        return self.data_dir / "ledgerbridge.log"

    def tail(self) -> str:
        out = (self.data_dir / "console.txt").read_text(errors="replace")
        logged = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- {self.name} console\n{out[-2000:]}\n--- log\n{logged[-3000:]}"

    def records(self) -> list[dict[str, Any]]:
        """Its JSON log lines."""
        lines = self.log.read_text().splitlines() if self.log.exists() else []
        return [json.loads(line) for line in lines if line.startswith("{")]

    def messages(self) -> list[str]:
        return [str(record["message"]) for record in self.records()]


@dataclass
class Deployment:
    nodes: tuple[Process, Process]
    workers: tuple[Process, Process]
    sandbox: Sandbox
    store: ObjectStore
    database_url: URL
    env: dict[str, str]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def deployment_env(database_url: URL, sandbox_url: str, store: ObjectStore) -> dict[str, str]:
    """What every node and every worker gets: shared database, key, store, Exact app."""
    return {
        "LEDGERBRIDGE_DATABASE_URL": libpq_url(database_url),
        "LEDGERBRIDGE_SECRET_KEY": Fernet.generate_key().decode(),
        "LEDGERBRIDGE_PUBLIC_URL": PUBLIC_URL,
        "LEDGERBRIDGE_RECEIPT_STORE": store.location("receipts"),
        "LEDGERBRIDGE_S3_ENDPOINT_URL": store.endpoint_url,
        "AWS_ACCESS_KEY_ID": "test-key-id",
        "AWS_SECRET_ACCESS_KEY": "test-secret",
        "AWS_REGION": REGION,
        "LEDGERBRIDGE_EXACT_REGION": "custom",
        "LEDGERBRIDGE_EXACT_BASE_URL": sandbox_url,
        "LEDGERBRIDGE_EXACT_CLIENT_ID": DEMO_CLIENT_ID,
        "LEDGERBRIDGE_EXACT_CLIENT_SECRET": DEMO_CLIENT_SECRET,
        "LEDGERBRIDGE_RUN_WORKER": "false",
        "LEDGERBRIDGE_SANDBOX_ENABLED": "false",
        "LEDGERBRIDGE_DEMO": "false",
        "LEDGERBRIDGE_LOG_FORMAT": "json",
    }


def start(
    name: str, args: list[str], env: dict[str, str], root: Path, port: int | None = None
) -> Process:
    """``ledgerbridge ARGS`` with ``env`` and a data directory of its own (its log there)."""
    data_dir = root / name
    data_dir.mkdir()
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("LEDGERBRIDGE_", "AWS_"))}
    full = {**base_env, **env, "LEDGERBRIDGE_DATA_DIR": str(data_dir), "COLUMNS": "200"}
    with (data_dir / "console.txt").open("wb") as out:
        popen = subprocess.Popen([*LEDGERBRIDGE, *args], env=full, stdout=out, stderr=out)
    base = None if port is None else f"http://127.0.0.1:{port}"
    return Process(name, popen, data_dir, base)


def wait_for(what: str, ready: Any, processes: list[Process], seconds: float = 90) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for p in processes:
            if p.popen.poll() is not None:
                pytest.fail(f"{p.name} exited early:\n{p.tail()}")
        found = ready()
        if found:
            return found
        time.sleep(0.3)
    pytest.fail(f"{what} not within {seconds} s:\n" + "\n".join(p.tail() for p in processes))


def answers(base: str | None) -> bool:
    try:
        return httpx.get(f"{base}/ready", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def workers_seen(database_url: URL) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(text("SELECT count(*) FROM procrastinate_workers")).scalar_one()
            )
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def deployment(
    tmp_path_factory: pytest.TempPathFactory, s3_endpoint_url: str
) -> Iterator[Deployment]:
    from ledgerbridge.files.store import s3_client

    root = tmp_path_factory.mktemp("two_nodes")
    with pytest.MonkeyPatch.context() as aws:  # the test's own client (the bucket, its keys)
        aws.setenv("AWS_ACCESS_KEY_ID", "test-key-id")
        aws.setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
        client = s3_client(endpoint_url=s3_endpoint_url, region=REGION)
        bucket = f"receipts-{uuid.uuid4().hex[:12]}"
        where = {"LocationConstraint": REGION}
        client.create_bucket(Bucket=bucket, CreateBucketConfiguration=where)
    store = ObjectStore(s3_endpoint_url, bucket, client)
    with scratch_database("lb_two_nodes") as database_url:
        sandbox = persisted_sandbox(libpq_url(database_url), root / TOKEN_FILE, fresh=True)
        # Exact's App Center: the app's redirect URI is the load balancer's callback.
        sandbox.apps[DEMO_CLIENT_ID].redirect_uris.append(
            f"{PUBLIC_URL}/integrations/exact/callback"
        )
        # An app granted more than the documented 60 calls a minute: what Exact reports
        # in its headers is what the shared budget must use (no 429, no idle minute).
        SandboxControl(sandbox).update_settings(minute_limit=3000, day_limit=50_000)
        with contextlib.closing(sandbox), running(sandbox) as sandbox_url:
            env = deployment_env(database_url, sandbox_url, store)
            port_a, port_b = free_port(), free_port()
            nodes = (
                start("node-a", ["run", "--port", str(port_a)], env, root, port_a),
                start("node-b", ["run", "--port", str(port_b)], env, root, port_b),
            )
            one_job_each = ["worker", "--concurrency", "1"]
            workers = (
                start("worker-1", one_job_each, env, root),
                start("worker-2", one_job_each, env, root),
            )
            everyone = [*nodes, *workers]
            try:
                for node in nodes:
                    wait_for(f"{node.name} ready", lambda n=node: answers(n.base), everyone)
                wait_for("two workers", lambda: workers_seen(database_url) == 2, everyone)
                yield Deployment(nodes, workers, sandbox, store, database_url, env)
            finally:
                for p in everyone:
                    if p.popen.poll() is None:
                        p.popen.terminate()
                for p in everyone:
                    try:
                        p.popen.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        p.popen.kill()


class User:
    """One person's browser: one cookie jar and CSRF token, whichever node answers."""

    def __init__(self, firm: Firm) -> None:
        self.firm = firm
        self.http = httpx.Client(timeout=60)

    def call(self, node: Process, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.request(method, f"{node.base}{path}", **kwargs)

    def ok(self, node: Process, method: str, path: str, status: int = 200, **kw: Any) -> Any:
        answer = self.call(node, method, path, **kw)
        assert answer.status_code == status, f"{method} {path} on {node.name}: {answer.text}"
        return answer.json() if answer.content else None


def sign_in(user: User, node: Process) -> None:
    login = {"email": user.firm.admin, "password": user.firm.password}
    answer = user.ok(node, "POST", "/api/v1/auth/login", json=login)
    user.http.headers["X-CSRF-Token"] = answer["csrf_token"]


def connect(user: User, start_on: Process, back_on: Process) -> None:
    """Consent in the sandbox; Exact sends the browser back to the load balancer's
    address, which forwards it to ``back_on``."""
    started = user.ok(start_on, "POST", "/api/v1/integrations/exact/connect")
    authorize_url = started["authorize_url"]
    page = user.http.get(authorize_url)
    assert page.status_code == 200, page.text
    hidden = r'<input type=hidden name="([^"]+)" value="([^"]*)">'
    fields = {name: html.unescape(value) for name, value in re.findall(hidden, page.text)}
    login = {"username": user.firm.exact_user, "password": "demo", "action": "allow"}
    consent = user.http.post(authorize_url.split("?")[0], data={**fields, **login})
    assert consent.status_code == 302, consent.text
    location = consent.headers["location"]
    assert location.startswith(f"{PUBLIC_URL}/integrations/exact/callback?")
    landed = user.ok(back_on, "GET", location.removeprefix(PUBLIC_URL))
    assert user.firm.division in [d["code"] for d in landed["divisions"]]
    division = {"division": user.firm.division}
    chosen = user.ok(start_on, "PUT", "/api/v1/integrations/exact/division", json=division)
    assert chosen["division"] == user.firm.division


def wait_for_sync(user: User, nodes: tuple[Process, Process]) -> None:
    deadline, asked = time.monotonic() + 60, 0
    while time.monotonic() < deadline:
        asked += 1
        runs = user.ok(nodes[asked % 2], "GET", "/api/v1/dimensions/sync-runs")
        if runs and runs[0]["status"] in ("ok", "failed"):
            assert runs[0]["status"] == "ok", runs[0]
            return
        time.sleep(0.5)
    pytest.fail(f"{user.firm.slug}: no dimension sync finished within 60 s")


def receipt(firm: Firm, ref: str) -> bytes:
    """A small PDF of its own for each transaction (content-addressed: all distinct)."""
    return f"%PDF-1.4\n% receipt {firm.slug} {ref}\n1 0 obj << >> endobj\n%%EOF\n".encode()


def prepare(user: User, nodes: tuple[Process, Process], today: datetime) -> None:
    """Send the firm's transactions (A), code them (B), upload receipts (A and B in turn),
    mark them ready (A)."""
    a, b = nodes
    firm = user.firm
    items = []
    for i in range(PER_FIRM):
        ref = f"{firm.slug.upper()}-{i:03d}"
        amount = Decimal(10 + i) + Decimal(i % 100) / 100
        firm.refs.append(ref)
        firm.amounts[ref] = amount
        items.append({
            "external_id": ref, "booking_date": str((today - timedelta(days=i % 3)).date()),
            "amount": str(-amount), "currency": "EUR", "merchant_name": f"Shop {i % 7}",
        })  # fmt: skip
    made = user.ok(a, "POST", "/api/v1/transactions", json={"transactions": items})
    by_ref = {item["external_id"]: item["id"] for item in made["items"]}
    firm.ids = [by_ref[ref] for ref in firm.refs]
    values = {"gl_account": "4200", "vat_code": "2"}
    user.ok(b, "POST", "/api/v1/transactions/assign", json={"ids": firm.ids, "values": values})
    for i, (ref, txn) in enumerate(zip(firm.refs, firm.ids, strict=True)):
        data = receipt(firm, ref)
        files = {"file": (f"{ref}.pdf", data, "application/pdf")}
        added = user.ok(nodes[i % 2], "POST", f"/api/v1/transactions/{txn}/receipts", 201,
                        files=files)  # fmt: skip
        assert added["sha256"] == hashlib.sha256(data).hexdigest()
        firm.receipts[ref] = added["sha256"]
    ready = user.ok(a, "POST", "/api/v1/transactions/mark-ready", json={"ids": firm.ids})
    assert ready["ready"] == PER_FIRM, [r for r in ready["results"] if not r["ready"]][:3]


def export_job_doing(database_url: URL) -> bool:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            doing = conn.execute(
                text(
                    "SELECT count(*) FROM procrastinate_jobs "
                    "WHERE task_name = 'export.run' AND status = 'doing'"
                )
            ).scalar_one()
            return int(doing) > 0
    finally:
        engine.dispose()


def wait_finished(user: User, node: Process, run_id: str, seconds: float = 150) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        view: dict[str, Any] = user.ok(node, "GET", f"/api/v1/exports/{run_id}")
        if view["state"] == "finished":
            return view
        time.sleep(0.5)
    pytest.fail(f"{user.firm.slug}: export run not finished within {seconds} s: {view}")


def test_two_nodes_and_two_workers_share_sign_in_connection_receipts_and_the_export(
    deployment: Deployment,
) -> None:
    d = deployment
    firms = two_firms()
    engine = make_engine(d.database_url)
    uow = lambda: UnitOfWork(make_session_factory(engine))  # noqa: E731
    for firm in firms:
        create_company(uow, firm.slug, firm.slug.title() + " B.V.")
        add_user(uow, firm.slug, firm.admin, "admin", firm.password)
    engine.dispose()
    users = [User(firm) for firm in firms]
    try:
        scenario(d, *users)
    finally:
        for user in users:
            user.http.close()


def scenario(d: Deployment, anna: User, ben: User) -> None:
    a, b = d.nodes
    began = time.monotonic()

    # Signed in on one node, the session goes on on the other; the consent started on one
    # node comes back on the other.
    sign_in(anna, a)
    assert anna.ok(b, "GET", "/api/v1/me")["email"] == anna.firm.admin
    sign_in(ben, b)
    assert ben.ok(a, "GET", "/api/v1/me")["email"] == ben.firm.admin
    connect(anna, a, b)
    connect(ben, b, a)
    for user in (anna, ben):
        wait_for_sync(user, d.nodes)
        # Exact said 3,000 a minute from its first answer on: that is the budget every
        # worker shares now, not the documented 60 we assumed before it answered.
        health = user.ok(a, "GET", "/api/v1/integrations/exact/health")
        assert health["minute_limit"] == 3000, health
        assert health["minute_remaining"] > 2900, health
        saved = user.ok(b, "PUT", "/api/v1/export-settings", json=EXPORT_SETTINGS)
        assert saved["problems"] == [], saved["problems"]

    today = datetime.now(UTC)
    for user in (anna, ben):
        prepare(user, d.nodes, today)
    prepared = time.monotonic()

    # Each firm's export, started on a node; the second once a worker is busy with the
    # first (each worker runs one job at a time), so the other worker takes it.
    run_a = anna.ok(a, "POST", "/api/v1/exports", 202, json={"ids": anna.firm.ids})
    everyone = [*d.nodes, *d.workers]
    wait_for("the first export job running", lambda: export_job_doing(d.database_url), everyone)
    run_b = ben.ok(b, "POST", "/api/v1/exports", 202, json={"ids": ben.firm.ids})
    assert run_a["queued"] == run_b["queued"] == PER_FIRM
    for user, node, run in ((anna, b, run_a), (ben, a, run_b)):
        view = wait_finished(user, node, run["run_id"])
        assert (view["done"], view["failed"]) == (PER_FIRM, 0), (user.firm.slug, view)
    exported = time.monotonic()

    for user, node in ((anna, a), (ben, b)):
        booked_once_with_its_receipt(d.sandbox, user.firm)
        history = user.ok(node, "GET", "/api/v1/export-history", params={"limit": 200})
        shown = {i["external_id"]: i["receipts_pushed"] for i in history["items"]}
        assert shown == dict.fromkeys(user.firm.refs, 1)
    assert not [r for r in d.sandbox.call_log if r.status == 429]

    # -- receipts: in the bucket, on no node's or worker's disk ----------------------------
    keys = d.store.keys()
    wanted = {sha for user in (anna, ben) for sha in user.firm.receipts.values()}
    assert {key.rsplit("/", 1)[-1] for key in keys} == wanted and len(keys) == 2 * PER_FIRM
    for p in everyone:
        files = [f for f in p.data_dir.rglob("*") if f.is_file()]
        assert not [f for f in files if f.read_bytes().startswith(b"%PDF")], p.name

    # -- the work was shared: each worker exported one firm; the nodes ran no job ---------
    # (A run may get a second job, which finds nothing left to do: the sweeper queues the
    # job of every unfinished run, also one still running, and the division's lock makes
    # it wait for the first.)
    posted = {w.name: entries_posted(w) for w in d.workers}
    divisions = {anna.firm.division: PER_FIRM}, {ben.firm.division: PER_FIRM}
    assert sorted(posted.values(), key=str) == sorted(divisions, key=str), posted
    first_jobs = first_export_jobs(d.database_url)
    assert set(first_jobs) == {run_a["run_id"], run_b["run_id"]}
    assert len(set(first_jobs.values())) == 2, first_jobs  # on two different workers
    finished = {w.name: finished_runs(w) for w in d.workers}
    assert all(finished.values()), finished
    assert set().union(*finished.values()) == {run_a["run_id"], run_b["run_id"]}
    for node in d.nodes:
        assert finished_runs(node) == set() and entries_posted(node) == {}, node.name
    assert workers_seen(d.database_url) == 2  # the nodes never started a worker
    for p in everyone:
        errors = [r for r in p.records() if r["level"] in ("ERROR", "CRITICAL")]
        assert not errors, (p.name, errors[:3])
    print(
        f"\ntwo nodes: set up {prepared - began:.1f} s, export {exported - prepared:.1f} s, "
        f"{len(d.sandbox.call_log)} Exact calls, purchase entries posted per worker {posted}"
    )


def booked_once_with_its_receipt(sandbox: Sandbox, firm: Firm) -> None:
    """In the firm's administration: one purchase entry per transaction (our reference in
    ExternalLinkReference), one bank line paying it (OurRef = the entry number, the amount
    paid), and on the entry its document holding exactly the receipt uploaded for it."""

    def rows(table: str) -> list[dict[str, Any]]:
        return sandbox.store.rows(firm.division, table)

    entries = rows(ENTRIES)
    assert Counter(e["ExternalLinkReference"] for e in entries) == Counter(firm.refs)
    numbers = {e["ExternalLinkReference"]: e["EntryNumber"] for e in entries}
    lines = rows(BANK_LINES)
    assert Counter(line["OurRef"] for line in lines) == Counter(numbers.values())
    paid = {line["OurRef"]: Decimal(str(line["AmountFC"])) for line in lines}
    assert paid == {numbers[ref]: -firm.amounts[ref] for ref in firm.refs}
    documents = {doc["ID"]: doc for doc in rows(DOCUMENTS)}
    assert len(documents) == PER_FIRM
    attached: dict[str, list[str]] = {}
    for attachment in rows(ATTACHMENTS):
        digest = hashlib.sha256(attachment["Attachment"]).hexdigest()
        attached.setdefault(str(attachment["Document"]), []).append(digest)
    for entry in entries:
        ref = entry["ExternalLinkReference"]
        subject = documents[entry["Document"]]["Subject"]
        assert ref in subject, (ref, subject)
        assert attached[str(entry["Document"])] == [firm.receipts[ref]], ref


def entries_posted(p: Process) -> dict[int, int]:
    """Purchase entries this process posted to Exact, per division (its JSON log lines of
    the HTTP client name the division they were made for)."""
    posts = (
        r["division"]
        for r in p.records()
        if r["logger"] == "httpx"
        and re.search(r"POST \S+/purchaseentry/PurchaseEntries ", r["message"])
    )
    return dict(Counter(posts))


def first_export_jobs(database_url: URL) -> dict[str, int]:
    """Each export run's first job (the one its start queued) → the worker that ran it."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT DISTINCT ON (args->>'run_id') args->>'run_id', worker_id "
                    "FROM procrastinate_jobs WHERE task_name = 'export.run' "
                    "ORDER BY args->>'run_id', id"
                )
            ).all()
    finally:
        engine.dispose()
    return {run: worker for run, worker in rows}


def finished_runs(p: Process) -> set[str]:
    """The export runs this process's log says it finished (``jobs.export``)."""
    found = (re.match(r"export run (\S+): finished", m) for m in p.messages())
    return {m.group(1) for m in found if m}
