"""Two companies behind one app, A with data of every kind, for the access tests."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker
from test_intake_api import txn
from test_receipts import image

from ledgerbridge.bootstrap import Container
from ledgerbridge.config import Settings
from ledgerbridge.db.uow import UnitOfWork
from ledgerbridge.domain.dimensions import DimensionKind
from ledgerbridge.services.access import admin, setup
from ledgerbridge.web.app import create_app

PASSWORD = "correct horse battery"
ANNA, BOB = "anna@a.example", "bob@b.example"


class Clock:
    """A clock the test moves (lock-outs, expiries)."""

    def __init__(self) -> None:
        self.at = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, by: timedelta) -> None:
        self.at += by


@dataclass
class World:
    container: Container
    clock: Clock
    a: uuid.UUID
    b: uuid.UUID
    anna: uuid.UUID
    # Company A's ids, which company B must never reach:
    txn: str
    receipt: str
    invitation: str
    key: str
    key_id: str
    rule: str
    export_run: str

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.container.session_factory)

    def client(self, **kwargs: object) -> TestClient:
        return TestClient(create_app(self.container), **kwargs)  # type: ignore[arg-type]

    def key_of(self, company: uuid.UUID, role: str) -> dict[str, str]:
        made = admin.create_api_key(
            self.uow, self.clock, company, f"{role} key", role, actor="tests"
        )
        return {"Authorization": f"Bearer {made.key}"}

    def signed_in(self, email: str = ANNA) -> tuple[TestClient, str]:
        """A client with a page session (as a browser's sign-in form gets), and its CSRF token."""
        client = self.client(follow_redirects=False)
        answer = client.post("/login", data={"email": email, "password": PASSWORD})
        assert answer.status_code == 303, answer.text
        return client, client.get("/api/v1/me").json()["csrf_token"]

    def secrets_of_a(self) -> list[str]:
        return [self.txn, self.receipt, self.invitation, self.key_id, "a-secret-ext", ANNA,
                str(self.anna), "Only A knows", self.rule, "Rule only A has",
                self.export_run]  # fmt: skip


def build_world(
    tmp_path: Path, database_url: URL, session_factory: sessionmaker[Session], engine: object
) -> World:
    clock = Clock()
    settings = Settings(data_dir=tmp_path, demo=False, sandbox_enabled=False, run_worker=False)
    container = Container(settings, database_url, engine, session_factory, now=clock)  # type: ignore[arg-type]
    uow: Callable[[], UnitOfWork] = container.uow
    a = setup.create_company(uow, "a", "A B.V.")
    b = setup.create_company(uow, "b", "B B.V.")
    setup.add_user(uow, "a", ANNA, "admin", PASSWORD)
    setup.add_user(uow, "b", BOB, "admin", PASSWORD)
    made = admin.create_api_key(uow, clock, a.id, "a admin", "admin", actor="tests")
    headers = {"Authorization": f"Bearer {made.key}"}
    with TestClient(create_app(container), headers=headers) as client:
        body = {"transactions": [txn("a-secret-ext")]}
        txn_id = client.post("/api/v1/transactions", json=body).json()["items"][0]["id"]
        files = {"file": ("a.png", image("PNG"), "image/png")}
        receipt = client.post(f"/api/v1/transactions/{txn_id}/receipts", files=files).json()
        dimension = {"kind": "cost_center", "code": "CCA", "name": "Only A knows"}
        assert client.post("/api/v1/dimensions", json=dimension).status_code == 201
        invited = client.post(
            "/api/v1/admin/invitations", json={"email": "olga@a.example", "role": "viewer"}
        ).json()
    with UnitOfWork(session_factory) as u:
        anna = u.users.by_email(ANNA)
        assert anna is not None
        anna_id = anna.id
        # Stored as it is (the service refuses a rule that matches none of A's
        # transactions); it matches no transaction any test sends. Its id and name are
        # A's secrets.
        rule = u.rules.add(
            a.id, position=1, name="Rule only A has", created_by=ANNA, updated_by=ANNA,
            conditions=[{"field": "merchant", "match": "contains", "values": ["only-a-merchant"]}],
            assignment={"cost_center": "CCA"}, enabled=True,
        )  # fmt: skip
        rule_id = str(rule.id)
        # An export run of A's (its progress page is A's alone).
        run = u.exports.add_run(a.id, division=1, started_by=ANNA, at=clock(), total=0)
        run_id = str(run.id)
        u.commit()
    return World(
        container, clock, a.id, b.id, anna_id, txn_id, receipt["id"], invited["id"],
        made.key, str(made.id), rule_id, run_id,
    )  # fmt: skip


def paths_with_ids(world: World) -> dict[str, str]:
    return {
        "transaction_id": world.txn,
        "receipt_id": world.receipt,
        "user_id": str(world.anna),
        "invitation_id": world.invitation,
        "key_id": world.key_id,
        "kind": "cost_center",
        "code": "CCA",
        "run_id": "1",
        "rule_id": world.rule,
        "export_run_id": world.export_run,
    }


def a_is_untouched(world: World) -> None:
    with world.uow() as uow:
        assert uow.transactions.get(world.a, uuid.UUID(world.txn)) is not None
        assert len(uow.transactions.receipts(world.a, uuid.UUID(world.txn))) == 1
        assert uow.members.role_of(world.a, world.anna) == "admin"
        assert [str(i.id) for i in uow.invitations.open(world.a)] == [world.invitation]
        keys = {str(k.id): k for k in uow.api_keys.all(world.a)}
        assert keys[world.key_id].revoked_at is None
        assert [(str(r.id), r.name) for r in uow.rules.all(world.a)] == [
            (world.rule, "Rule only A has")
        ]
        found = uow.dimensions.get(world.a, DimensionKind.COST_CENTER, "CCA")
        assert found is not None and found.name == "Only A knows"
