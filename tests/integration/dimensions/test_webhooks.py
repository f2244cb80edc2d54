"""Exact webhooks keep suppliers and GL accounts up to date between polls.

The company connects through the OAuth flow with an https public address and the
app's webhook secret; a bookkeeper then changes things in the sandbox, the sandbox
delivers its webhooks (``SandboxControl.deliver_webhooks``) to our receiver over
ASGI, and a real worker runs the queued jobs. Time is the sandbox's FakeClock.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from dimension_fakes import Line, add_transaction
from fastapi.testclient import TestClient
from sqlalchemy import text
from test_dimensions_against_sandbox import World, run_queued_jobs

from exact_sandbox.control import SandboxControl
from exact_sandbox.seed import DEMO_CLIENT_ID, DEMO_DIVISION, DEMO_WEBHOOK_SECRET
from exact_sandbox.webhooks import Sent, sign
from ledgerbridge.db.repositories.dimensions import DimensionRepository
from ledgerbridge.domain.dimensions import Dimension, DimensionKind
from ledgerbridge.services.connection.keep_alive import keep_alive
from ledgerbridge.web.app import create_app

K = DimensionKind
PUBLIC = "https://ledgerbridge.example"
CALLBACK = f"{PUBLIC}/webhooks/exact"
SUBSCRIPTIONS = "webhooks/WebhookSubscriptions"


@pytest.fixture
def exact_settings_overrides() -> dict[str, Any]:
    return {"public_url": PUBLIC, "exact_webhook_secret": DEMO_WEBHOOK_SECRET}


@dataclass(frozen=True)
class Run:
    status: str
    api_calls: int
    summary: dict[str, Any]
    flagged_transactions: list[Any]


class Hooked(World):
    """The world of the sandbox dimension tests, with our receiver for Exact's webhooks."""

    receiver: TestClient

    def deliver(self) -> list[Sent]:
        """Let the sandbox post what is pending to our receiver."""

        def post(url: str, body: bytes) -> int:
            assert url == CALLBACK
            answer = self.receiver.post(
                urlsplit(url).path, content=body, headers={"Content-Type": "application/json"}
            )
            return answer.status_code

        return SandboxControl(self.sandbox).deliver_webhooks(post)

    def supplier(self) -> dict[str, Any]:
        rows = self.sandbox.store.rows(DEMO_DIVISION, "crm/Accounts")
        return next(r for r in rows if r.get("IsSupplier"))

    def held_by_id(self, kind: K, exact_id: str) -> Dimension | None:
        return next(
            (d for d in self.held().values() if d.kind is kind and d.exact_id == exact_id), None
        )

    def calls_since(self, mark: int, *endpoints: str) -> list[str]:
        return [
            f"{c.method} {c.endpoint}"
            for c in self.sandbox.call_log[mark:]
            if not endpoints or c.endpoint in endpoints
        ]

    def sql(self, query: str) -> list[Any]:
        with self.container.uow() as uow:
            return list(uow.session.execute(text(query)).all())

    def webhook_runs(self) -> list[Run]:
        """The sync runs webhooks made, oldest first."""
        with self.container.uow() as uow:
            runs = DimensionRepository(uow.session).runs(self.company_id)
            return [
                Run(r.status, r.api_calls, r.summary, r.flagged_transactions)
                for r in reversed(runs)
                if r.mode == "webhook"
            ]


@pytest.fixture
def unhooked(sandboxed: Any) -> Hooked:  # tests/integration/conftest.py: Sandboxed
    s = sandboxed
    world = Hooked(s.container, s.sandbox, s.clock, s.company_id)
    world.receiver = TestClient(create_app(s.container))
    return world


@pytest.fixture
def hooked(unhooked: Hooked) -> Hooked:
    """Connected, the first full sync and the subscriptions done by the worker."""
    unhooked.connect()
    run_queued_jobs(unhooked.container)
    return unhooked


def test_connecting_subscribes_the_division_to_accounts_and_gl_accounts(hooked: Hooked) -> None:
    with hooked.container.uow() as uow:
        held = uow.webhooks.subscriptions(hooked.company_id)
        resources = uow.webhooks.subscribed_resources(hooked.company_id)
    at_exact = hooked.sandbox.store.rows(DEMO_DIVISION, SUBSCRIPTIONS)
    assert [(s.topic, s.division, s.callback_url) for s in held] == [
        ("Accounts", DEMO_DIVISION, CALLBACK),
        ("GLAccounts", DEMO_DIVISION, CALLBACK),
    ]
    assert sorted((r["Topic"], r["CallbackURL"], r["ClientID"]) for r in at_exact) == [
        ("Accounts", CALLBACK, DEMO_CLIENT_ID),
        ("GLAccounts", CALLBACK, DEMO_CLIENT_ID),
    ]
    assert {s.subscription_id for s in held} == {r["ID"] for r in at_exact}
    assert resources == {"suppliers", "gl_accounts"}  # the poll scheduler may slow these

    mark = len(hooked.sandbox.call_log)
    assert hooked.container.webhooks.ensure(hooked.company_id) == {"Accounts", "GLAccounts"}
    assert hooked.calls_since(mark) == []  # all in place: no call to Exact


def test_the_sweep_makes_again_a_subscription_deleted_at_exact_and_forgets_old_deliveries(
    hooked: Hooked,
) -> None:
    [gone] = [
        r
        for r in hooked.sandbox.store.rows(DEMO_DIVISION, SUBSCRIPTIONS)
        if r["Topic"] == "Accounts"
    ]
    hooked.sandbox.store.delete(DEMO_DIVISION, SUBSCRIPTIONS, gone["ID"])  # in the App Center
    hooked.sandbox.store.update(DEMO_DIVISION, "crm/Accounts", hooked.supplier()["ID"], Name="X")
    assert hooked.deliver() == []  # Exact has nobody to tell
    hooked.sandbox.block_gl_account(DEMO_DIVISION, "4200")
    hooked.deliver()
    c = hooked.container
    hooked.clock.advance(timedelta(days=20))
    keep_alive(c.uow, c.gateway, c.now)  # as its job does: the connection outlives a month
    hooked.clock.advance(timedelta(days=11))
    mark = len(hooked.sandbox.call_log)

    assert hooked.container.webhooks.sweep() == 1

    assert hooked.calls_since(mark) == [f"GET {SUBSCRIPTIONS}", f"POST {SUBSCRIPTIONS}"]
    topics = sorted(r["Topic"] for r in hooked.sandbox.store.rows(DEMO_DIVISION, SUBSCRIPTIONS))
    assert topics == ["Accounts", "GLAccounts"]
    with hooked.container.uow() as uow:
        held = {s.topic: s.subscription_id for s in uow.webhooks.subscriptions(hooked.company_id)}
        assert held["Accounts"] != gone["ID"]
        assert uow.webhooks.deliveries(hooked.company_id) == []  # a month old: forgotten


def test_a_supplier_renamed_and_blocked_in_exact_shows_here_after_one_call(hooked: Hooked) -> None:
    supplier = hooked.supplier()
    hooked.clock.advance(timedelta(minutes=2))
    hooked.sandbox.store.update(
        DEMO_DIVISION, "crm/Accounts", supplier["ID"], Name="Renamed Supplies B.V.", Blocked=True
    )
    hooked.clock.advance(timedelta(seconds=5))
    mark = len(hooked.sandbox.call_log)

    sent = hooked.deliver()
    queued = hooked.sql("SELECT lock, status FROM procrastinate_jobs WHERE task_name = "
                        "'webhooks.apply_change'")  # fmt: skip
    run_queued_jobs(hooked.container)

    assert queued == [(f"exact-division:{DEMO_CLIENT_ID}:{DEMO_DIVISION}", "todo")]
    # Delivered twice (the sandbox's default): the second is a harmless duplicate.
    assert [s.status for s in sent] == [200, 200]
    held = hooked.held_by_id(K.SUPPLIER, supplier["ID"])
    assert held is not None and (held.name, held.blocked) == ("Renamed Supplies B.V.", True)
    assert hooked.calls_since(mark, "crm/Accounts") == ["GET crm/Accounts"]
    [run] = hooked.webhook_runs()
    assert (run.status, run.api_calls) == ("ok", 1)
    assert run.summary["webhook"] == {
        "topic": "Accounts",
        "key": supplier["ID"],
        "action": "Update",
    }
    assert any("blocked" in line for line in run.summary["lines"]), run.summary["lines"]
    [delivery] = hooked.sql(
        "SELECT topic, entity_key, action, processed_at FROM exact_webhook_deliveries"
    )
    assert delivery[:3] == ("Accounts", supplier["ID"], "Update") and delivery[3] is not None
    audit = hooked.sql("SELECT action, actor FROM audit_log WHERE action LIKE 'dimensions.%'")
    assert ("dimensions.sync.webhook", "exact-webhook") in audit


def test_a_gl_account_blocked_in_exact_sends_a_ready_transaction_back_with_the_reason(
    hooked: Hooked,
) -> None:
    factory = hooked.container.session_factory
    on_4200 = add_transaction(factory, hooked.company_id, "t1", Line("4200", "2"), status="ready")
    on_4100 = add_transaction(factory, hooked.company_id, "t2", Line("4100", "2"), status="ready")
    hooked.clock.advance(timedelta(minutes=1))
    hooked.sandbox.block_gl_account(DEMO_DIVISION, "4200")
    mark = len(hooked.sandbox.call_log)

    hooked.deliver()
    run_queued_jobs(hooked.container)

    assert hooked.held()[(K.GL_ACCOUNT, "4200")].blocked
    assert hooked.status_of(on_4200) == ("to_prepare", "GL account 4200 is blocked in Exact Online")
    assert hooked.status_of(on_4100) == ("ready", None)
    assert hooked.calls_since(mark, "financial/GLAccounts") == ["GET financial/GLAccounts"]
    [run] = hooked.webhook_runs()
    assert run.summary["lines"][0] == "GL account 4200 blocked"
    assert [f["external_id"] for f in run.flagged_transactions] == ["t1"]


def test_a_supplier_deleted_in_exact_goes_without_a_fetch(hooked: Hooked) -> None:
    supplier = hooked.supplier()
    hooked.sandbox.store.delete(DEMO_DIVISION, "crm/Accounts", supplier["ID"])
    mark = len(hooked.sandbox.call_log)

    hooked.deliver()
    run_queued_jobs(hooked.container)

    assert hooked.held_by_id(K.SUPPLIER, supplier["ID"]) is None
    assert hooked.calls_since(mark, "crm/Accounts") == []
    assert [r.api_calls for r in hooked.webhook_runs()] == [0]


def test_an_account_that_stops_being_a_supplier_is_removed_as_in_a_sync(hooked: Hooked) -> None:
    supplier = hooked.supplier()
    hooked.sandbox.store.update(DEMO_DIVISION, "crm/Accounts", supplier["ID"], IsSupplier=False)
    hooked.deliver()
    run_queued_jobs(hooked.container)
    assert hooked.held_by_id(K.SUPPLIER, supplier["ID"]) is None


def test_a_delivery_with_a_wrong_signature_is_refused_and_changes_nothing(hooked: Hooked) -> None:
    supplier = hooked.supplier()
    before = hooked.held_by_id(K.SUPPLIER, supplier["ID"])
    SandboxControl(hooked.sandbox).set_webhook_secret(DEMO_CLIENT_ID, "not-our-secret")
    hooked.sandbox.store.update(DEMO_DIVISION, "crm/Accounts", supplier["ID"], Name="Forged B.V.")
    jobs_before = hooked.sql("SELECT count(*) FROM procrastinate_jobs")
    mark = len(hooked.sandbox.call_log)

    sent = hooked.deliver()
    unsigned = hooked.receiver.post("/webhooks/exact", content=b'{"Content":{},"HashCode":""}')
    run_queued_jobs(hooked.container)

    assert [s.status for s in sent] == [401, 401] and unsigned.status_code == 401
    assert hooked.sql("SELECT count(*) FROM exact_webhook_deliveries") == [(0,)]
    assert hooked.sql("SELECT count(*) FROM procrastinate_jobs") == jobs_before
    assert hooked.calls_since(mark, "crm/Accounts") == []
    assert hooked.held_by_id(K.SUPPLIER, supplier["ID"]) == before
    assert hooked.webhook_runs() == []


def test_a_duplicate_delivery_later_on_fetches_nothing_and_changes_nothing(hooked: Hooked) -> None:
    hooked.sandbox.settings.webhook_deliver_twice = False
    supplier = hooked.supplier()
    hooked.sandbox.store.update(DEMO_DIVISION, "crm/Accounts", supplier["ID"], Name="Once B.V.")
    [first] = hooked.deliver()
    run_queued_jobs(hooked.container)
    mark = len(hooked.sandbox.call_log)
    hooked.clock.advance(timedelta(minutes=10))

    again = hooked.receiver.post("/webhooks/exact", content=first.delivery.body)
    run_queued_jobs(hooked.container)

    assert (again.status_code, again.json()) == (200, {"status": "duplicate"})
    assert hooked.calls_since(mark, "crm/Accounts") == []
    assert len(hooked.webhook_runs()) == 1


def test_a_delivery_for_a_division_nobody_here_uses_is_acknowledged_and_ignored(
    hooked: Hooked,
) -> None:
    content = json.dumps(
        {"Topic": "Accounts", "ClientId": DEMO_CLIENT_ID, "Division": 999, "Action": "Update",
         "Key": str(uuid.uuid4()), "ExactOnlineEndpoint": "", "EventCreatedOn": ""}
    ).encode()  # fmt: skip
    body = (
        b'{"Content":'
        + content
        + b',"HashCode":"'
        + sign(content, DEMO_WEBHOOK_SECRET).encode()
        + b'"}'
    )
    answer = hooked.receiver.post("/webhooks/exact", content=body)
    assert (answer.status_code, answer.json()) == (200, {"status": "ignored"})
    assert hooked.sql("SELECT count(*) FROM exact_webhook_deliveries") == [(0,)]


def test_a_refused_topic_is_not_recorded_and_polling_keeps_it(unhooked: Hooked) -> None:
    unhooked.sandbox.settings.webhook_gl_accounts_topic = False
    unhooked.connect()
    run_queued_jobs(unhooked.container)
    with unhooked.container.uow() as uow:
        assert [s.topic for s in uow.webhooks.subscriptions(unhooked.company_id)] == ["Accounts"]
        assert uow.webhooks.subscribed_resources(unhooked.company_id) == {"suppliers"}
    unhooked.clock.advance(timedelta(minutes=15))
    unhooked.sandbox.block_gl_account(DEMO_DIVISION, "4200")
    assert unhooked.deliver() == []  # Exact sends nothing for it
    outcome = unhooked.sync()
    assert "GL account 4200 blocked" in outcome.lines


@pytest.mark.parametrize(
    "exact_settings_overrides",
    [
        {"public_url": "http://127.0.0.1:8000", "exact_webhook_secret": DEMO_WEBHOOK_SECRET},
        {"public_url": PUBLIC},  # no secret: nothing could be verified
    ],
    ids=["http-address", "no-secret"],
)
def test_without_an_https_address_and_a_secret_there_are_no_subscriptions(
    unhooked: Hooked,
) -> None:
    unhooked.connect()
    run_queued_jobs(unhooked.container)
    assert unhooked.container.webhooks.sweep() == 0
    with unhooked.container.uow() as uow:
        assert uow.webhooks.subscriptions(unhooked.company_id) == []
        assert uow.webhooks.subscribed_resources(unhooked.company_id) == set()
    assert unhooked.sandbox.store.rows(DEMO_DIVISION, SUBSCRIPTIONS) == []
    tasks = {row[0] for row in unhooked.sql("SELECT task_name FROM procrastinate_jobs")}
    assert "webhooks.subscribe" not in tasks


def test_disconnecting_removes_the_subscriptions_at_exact_and_here(hooked: Hooked) -> None:
    hooked.container.connections.disconnect(hooked.company_id)
    with hooked.container.uow() as uow:
        assert uow.webhooks.subscriptions(hooked.company_id) == []
    assert hooked.sandbox.store.rows(DEMO_DIVISION, SUBSCRIPTIONS) == []


def test_disconnecting_forgets_subscriptions_here_even_when_exact_cannot_be_reached(
    hooked: Hooked,
) -> None:
    hooked.sandbox.faults.fail(503, count=10)
    hooked.container.connections.disconnect(hooked.company_id)
    with hooked.container.uow() as uow:
        assert uow.webhooks.subscriptions(hooked.company_id) == []
        assert uow.webhooks.subscribed_resources(hooked.company_id) == set()


def test_an_oversized_delivery_is_refused_by_the_request_size_limit(hooked: Hooked) -> None:
    limit = hooked.container.settings.request_max_bytes
    answer = hooked.receiver.post("/webhooks/exact", content=b"x" * (limit + 1))
    assert answer.status_code == 413
    assert hooked.sql("SELECT count(*) FROM exact_webhook_deliveries") == [(0,)]


def test_a_change_that_cannot_be_fetched_is_a_failed_run_and_leaves_the_dimension_as_it_was(
    hooked: Hooked,
) -> None:
    before = hooked.held()[(K.GL_ACCOUNT, "4200")]
    hooked.sandbox.block_gl_account(DEMO_DIVISION, "4200")
    hooked.sandbox.faults.fail(503, endpoint="financial/GLAccounts", count=20)

    hooked.deliver()
    run_queued_jobs(hooked.container)

    assert hooked.held()[(K.GL_ACCOUNT, "4200")] == before  # polling will bring it
    [run] = hooked.webhook_runs()
    assert run.status == "failed"
    assert run.summary["lines"][0].startswith("webhook change not applied; polling picks it up")
