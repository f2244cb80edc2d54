"""The export fault soak, short (``benchmarks/soak.py`` is the long one): a few hundred
transactions over two divisions while about a fifth of the sandbox's calls fail in the ways
Exact and the network fail (5xx, write then 502, write then a dropped connection, timeouts,
resets, 429 storms) and the token is revoked once and renewed. The runs are driven the way
the worker and the sweeper drive them, on the sandbox clock: every unfinished run's job
runs again once its ``retry_at`` has come; a paused one after Renew.

Afterwards every transaction is *exported* or in the export queue with a reason, and the
sandbox holds exactly one purchase entry and one bank entry line per exported one (counted
and summed by our reference); a queued one has no entry in Exact unless it is linked."""

from __future__ import annotations

import random
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from export_world import SETTINGS, Exporting
from sandbox_world import World

from exact_sandbox.control import SandboxControl
from exact_sandbox.seed import DEMO_DIVISION, DEMO_PASSWORD, SECOND_DIVISION
from ledgerbridge.db.models.core import Company
from ledgerbridge.services.export.saga import run_export

PER_DIVISION = 150
ENTRIES = "purchaseentry/PurchaseEntries"
BANK_LINES = "financialtransaction/BankEntryLines"
# (kind, method, share, extra): independent draws per call, about 20 % of calls in all.
FAULT_MIX: list[tuple[str, str | None, float, dict[str, Any]]] = [
    ("error", None, 0.04, {"status": 503}),
    ("error", "GET", 0.02, {"status": 500}),
    ("error", "POST", 0.01, {"status": 500}),
    ("write_then_error", "POST", 0.04, {"status": 502}),
    ("drop", "POST", 0.03, {"count": None}),
    ("timeout", "POST", 0.02, {"count": None}),
    ("reset", None, 0.03, {}),
    ("storm", None, 0.02, {}),
]


@dataclass
class Division:
    world: World
    division: int
    username: str
    ids: list[uuid.UUID]


def connect(world: World, browser: str, division: int, username: str) -> None:
    """OAuth through our services (connect or Renew) as ``username``, then the division
    (Exact keeps one connection per user and app: one user per company)."""
    c = world.container
    c.http.cookies.clear()  # the sandbox's login session of the other user
    url = c.connections.start_connect(world.company_id, browser).authorize_url
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    form = query | {"username": username, "password": DEMO_PASSWORD, "action": "allow"}
    answer = c.http.post(url, data=form)
    back = parse_qs(urlsplit(answer.headers["location"]).query)
    c.connections.complete_connect(browser, back["code"][0], back["state"][0])
    c.connections.choose_division(world.company_id, division)


def second_company(exporting: Exporting) -> World:
    w = exporting.world
    with w.container.session_factory.begin() as session:
        company = Company(slug="holding", name="Holding B.V.", base_currency="EUR")
        session.add(company)
        session.flush()
        company_id = company.id
    world = World(w.container, w.sandbox, w.clock, company_id)
    connect(world, "browser-2", SECOND_DIVISION, "demo-nl")
    world.sync("full")
    with w.container.uow() as uow:
        uow.export_settings.save(company_id, SETTINGS, actor="test")
        uow.commit()
    return world


def add_transactions(exporting: Exporting, prefix: str, rng: random.Random) -> list[uuid.UUID]:
    ids = []
    for n in range(PER_DIVISION):
        gross = Decimal(rng.randrange(100, 50_000)) / 100
        receipts = [(f"bon-{prefix}{n}.pdf", b"%PDF bon " + f"{prefix}{n}".encode())]
        ids.append(
            exporting.add(
                f"{prefix}-{n:04d}",
                [(rng.choice(["4200", "4330", "4510"]), f"{gross:.2f}", "2")],
                booked=date(2026, 10 + n % 2, 1 + n % 28),
                receipts=receipts if n % 5 == 0 else [],
            )
        )
    return ids


def revoke_at_call(sandbox: Any, call: int) -> list[int]:
    """Revoke every token chain (as a user revoking the app in Exact) at the sandbox's
    ``call``-th API call, mid-run; answers the live count of API calls."""
    before, seen = sandbox.faults.before, [0]

    def counting(ctx: Any, endpoint: str) -> None:
        seen[0] += 1
        if seen[0] == call:
            SandboxControl(sandbox).revoke_tokens()
        before(ctx, endpoint)

    sandbox.faults.before = counting
    return seen


def drive(exporting: Exporting, divisions: list[Division]) -> Counter[str]:
    """Run every unfinished run's job as the worker and the sweeper would, on the sandbox
    clock, until none is left: a waiting one once its ``retry_at`` has come, a paused one
    after the connection was renewed (Renew, as a person does on seeing needs_reauth)."""
    c, clock = exporting.c, exporting.world.clock
    deps = exporting.deps()
    not_before: dict[uuid.UUID, Any] = {}
    ended: Counter[str] = Counter()
    for _ in range(500):
        with c.uow() as uow:
            unfinished = uow.exports.unfinished_runs()
        if not unfinished:
            return ended
        due = [(co, r) for co, r in unfinished if not_before.get(r, clock.now()) <= clock.now()]
        for company_id, run_id in due:
            result = run_export(deps, company_id, run_id)
            ended[result.state] += 1
            not_before.pop(run_id, None)
            if result.state == "waiting":
                assert result.retry_at is not None
                not_before[run_id] = result.retry_at
        for n, d in enumerate(divisions):
            with c.uow() as uow:
                found = uow.connections.get(d.world.company_id)
                needs = found is not None and found.status.value == "needs_reauth"
            if needs:
                connect(d.world, f"renew-{n}-{uuid.uuid4().hex[:6]}", d.division, d.username)
        if not due and not_before:  # everything waits: the clock moves, nobody sleeps
            clock.set(max(min(not_before.values()), clock.now()))
    raise AssertionError(f"the runs did not finish: {ended}")


@pytest.mark.slow
def test_under_a_fifth_of_calls_failing_nothing_is_lost_or_booked_twice(
    exporting: Exporting,
) -> None:
    rng = random.Random(13)
    sandbox = exporting.world.sandbox
    holding = second_company(exporting)
    other = Exporting(holding)
    divisions = [
        Division(exporting.world, DEMO_DIVISION, "demo", add_transactions(exporting, "A", rng)),
        Division(holding, SECOND_DIVISION, "demo-nl", add_transactions(other, "B", rng)),
    ]
    runs = [exporting.start(divisions[0].ids), other.start(divisions[1].ids)]
    assert all(r.queued == PER_DIVISION for r in runs)
    for kind, method, share, extra in FAULT_MIX:
        sandbox.faults.add(kind, method=method, share=share, **extra)  # type: ignore[arg-type]

    calls = revoke_at_call(sandbox, 250)
    ended = drive(exporting, divisions)

    assert ended["paused"] >= 1  # the revoked token paused the runs until Renew
    hits: Counter[str] = Counter()
    for rule in sandbox.faults.rules():
        hits[rule.kind] += rule.hits
    assert set(hits) == {k for k, *_ in FAULT_MIX}, hits
    assert 0.12 <= sum(hits.values()) / calls[0] <= 0.3, (hits, calls)
    sandbox.faults.clear()
    for d in divisions:
        check_division(d, sandbox)


@dataclass(frozen=True)
class Txn:
    external_id: str
    status: str
    status_reason: str | None
    amount: Decimal


@dataclass(frozen=True)
class Booked:
    entry_id: str | None
    entry_number: int | None
    bank_entry_id: str | None


def check_division(d: Division, sandbox: Any) -> None:
    c = d.world.container
    with c.uow() as uow:
        found = uow.transactions.many(d.world.company_id, d.ids)
        sagas = uow.exports.sagas(d.world.company_id, d.ids)
        rows = [Txn(r.external_id, r.status, r.status_reason, r.amount) for r in found]
        booked = {r.external_id: Booked(s.entry_id, s.entry_number, s.bank_entry_id)
                  for r in found if (s := sagas.get(r.id)) is not None}  # fmt: skip
    by_status = Counter(r.status for r in rows)
    assert by_status["exported"] + by_status["failed"] == len(d.ids), by_status  # none lost
    assert all(r.status_reason for r in rows if r.status == "failed")
    # every fault here is transient: retried, looked up, adopted — none needs a person
    assert by_status["exported"] == len(d.ids), [
        (r.external_id, r.status_reason) for r in rows if r.status != "exported"
    ]

    entries = sandbox.store.rows(d.division, ENTRIES)
    per_reference = Counter(e.get("ExternalLinkReference") for e in entries)
    reference_of = {e["EntryNumber"]: e.get("ExternalLinkReference") for e in entries}
    lines: dict[str, list[Decimal]] = defaultdict(list)
    for line in sandbox.store.rows(d.division, BANK_LINES):
        lines[reference_of.get(line.get("OurRef"), "?")].append(Decimal(str(line["AmountFC"])))
    for row in rows:
        ref, saga = row.external_id, booked[row.external_id]
        if row.status == "exported":
            assert per_reference[ref] == 1, f"{ref}: {per_reference[ref]} purchase entries"
            assert len(lines[ref]) == 1, f"{ref}: {len(lines[ref])} bank lines"
            assert sum(lines[ref]) == row.amount, ref  # paid: the opposite of the entry
            assert saga.entry_number is not None and saga.bank_entry_id is not None
        else:
            assert per_reference[ref] == (1 if saga.entry_id else 0), ref
            assert not lines[ref], f"{ref} is in the queue but has a bank line"
    assert set(per_reference) <= {r.external_id for r in rows}
