"""Every repository the unit of work carries is scoped to one company.

``test_every_repository_on_the_unit_of_work_is_covered`` walks ``uow.repositories()``:
a repository added to the unit of work without tenancy cases fails it the day it is
added, and so does a method that does not take the company first (unless it is
marked ``installation_wide`` and listed here).
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from test_tenancy import OWN_ONLY, READS, WRITES

from ledgerbridge.db.repositories import NotFound
from ledgerbridge.db.repositories.connections import StoredTokens
from ledgerbridge.db.uow import UnitOfWork
from ledgerbridge.domain.connection import ConnectionStatus
from ledgerbridge.domain.export_settings import ExportSettings, FinancialPeriod

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
TOKENS = StoredTokens("access-cipher", "refresh-cipher", AT + timedelta(minutes=10), AT)


@dataclass
class World:
    own: uuid.UUID
    other: uuid.UUID
    anna: uuid.UUID  # admin of ``own``
    invitation: uuid.UUID  # open, of ``own``
    key: uuid.UUID  # live, unused, of ``own``


def _begin(uow: UnitOfWork, company: uuid.UUID, state: str) -> None:
    uow.connections.begin_consent(
        company,
        region="nl",
        base_url="https://start.exactonline.nl",
        client_id="app",
        state_hash=state,
        at=AT,
    )


@pytest.fixture
def world(session_factory: sessionmaker[Session]) -> World:
    with UnitOfWork(session_factory) as uow:
        a, b = uow.companies.add("a", "A B.V."), uow.companies.add("b", "B B.V.")
        _begin(uow, a.id, "state-of-a")
        uow.connections.accept_tokens(a.id, TOKENS)
        uow.connections.set_user(a.id, "user-a", "Anna", {3101010})
        uow.connections.choose_division(a.id, 3101010, "Demo B.V.")
        _begin(uow, a.id, "state-of-a")
        uow.connections.note_access_problem(a.id, "BlockedUser: x", AT, refused=True)
        uow.audit.record(a.id, action="test.seeded", actor="anna")
        anna = uow.users.add("anna@a.example")
        uow.members.add(a.id, anna.id, "admin")
        invitation = _invite(uow, a.id, "hash-of-a")
        key = _key(uow, a.id, "key-hash-of-a")
        uow.commit()
    return World(a.id, b.id, anna.id, invitation.id, key.id)


def _invite(uow: UnitOfWork, company: uuid.UUID, token_hash: str) -> Any:
    return uow.invitations.add(
        company,
        email="olga@a.example",
        role="viewer",
        token_hash=token_hash,
        invited_by="anna",
        at=AT,
        expires_at=AT + timedelta(days=7),
    )


def _key(uow: UnitOfWork, company: uuid.UUID, key_hash: str) -> Any:
    return uow.api_keys.add(
        company, name="n", role="admin", prefix="lbk_", key_hash=key_hash, created_by="anna", at=AT
    )


Attempt = Callable[[UnitOfWork, World], Any]
CONNECTION_READS: dict[str, Attempt] = {
    "get": lambda u, w: u.connections.get(w.other),
    "take_state": lambda u, w: u.connections.take_state(w.other, "state-of-a"),
    "disconnect": lambda u, w: u.connections.disconnect(w.other, "by mallory"),
}
CONNECTION_WRITES: dict[str, Attempt] = {
    "count_token_call": lambda u, w: u.connections.count_token_call(w.other, AT, 200),
    "accept_tokens": lambda u, w: u.connections.accept_tokens(w.other, TOKENS),
    "set_user": lambda u, w: u.connections.set_user(w.other, "m", "Mallory", set()),
    "choose_division": lambda u, w: u.connections.choose_division(w.other, 1, "Other"),
    "needs_reauth": lambda u, w: u.connections.needs_reauth(w.other, "gone"),
    "note_access_problem": lambda u, w: u.connections.note_access_problem(
        w.other, "NoDivisionAccess: y", AT, refused=True
    ),
}
# Succeed for the company they are given and leave the other company alone.
CONNECTION_OWN_ONLY: dict[str, Attempt] = {
    "begin_consent": lambda u, w: _begin(u, w.other, "state-of-b"),
    "note_success": lambda u, w: u.connections.note_success(w.other, AT + timedelta(hours=1)),
}
AUDIT_CASES: dict[str, Attempt] = {
    "entries": lambda u, w: u.audit.entries(w.other),
    "search": lambda u, w: u.audit.search(w.other, action_prefix="test."),
    "record": lambda u, w: u.audit.record(w.other, action="test.intruded", actor="mallory"),
    "record_many": lambda u, w: u.audit.record_many(
        w.other, action="test.intruded", actor="mallory", subject_type="x", entries=[("1", {})]
    ),
}
# Members, invitations and API keys of the other company: nothing found…
ACCESS_READS: dict[str, Attempt] = {
    "members.members": lambda u, w: u.members.members(w.other),
    "members.role_of": lambda u, w: u.members.role_of(w.other, w.anna),
    "members.count_admins": lambda u, w: u.members.count_admins(w.other),
    "invitations.open": lambda u, w: u.invitations.open(w.other),
    "api_keys.all": lambda u, w: u.api_keys.all(w.other),
}
# … nothing changed (NotFound) …
ACCESS_WRITES: dict[str, Attempt] = {
    "members.set_role": lambda u, w: u.members.set_role(w.other, w.anna, "viewer"),
    "members.remove": lambda u, w: u.members.remove(w.other, w.anna),
    "invitations.revoke": lambda u, w: u.invitations.revoke(w.other, w.invitation, AT),
    "api_keys.revoke": lambda u, w: u.api_keys.revoke(w.other, w.key, AT),
}
# … and its own rows written leave the first company's alone.
ACCESS_OWN_ONLY: dict[str, Attempt] = {
    "members.add": lambda u, w: u.members.add(w.other, w.anna, "viewer"),
    "invitations.add": lambda u, w: _invite(u, w.other, "hash-of-b"),
    "api_keys.add": lambda u, w: _key(u, w.other, "key-hash-of-b"),
    "api_keys.note_use": lambda u, w: u.api_keys.note_use(w.other, w.key, AT),
}
ACCESS = {**ACCESS_READS, **ACCESS_WRITES, **ACCESS_OWN_ONLY}
# Calls are kept per app and division; a company reaches only its own connection's.
CALL_CASES: dict[str, Attempt] = {
    "of_day": lambda u, w: u.calls.of_day(w.other, AT.date()),
    "count": lambda u, w: u.calls.count(w.other, AT, "exports"),
}
# Webhook subscriptions and deliveries of the other company: nothing found or changed…
WEBHOOK_READS: dict[str, Attempt] = {
    "subscriptions": lambda u, w: u.webhooks.subscriptions(w.other),
    "subscribed_resources": lambda u, w: u.webhooks.subscribed_resources(w.other),
    "deliveries": lambda u, w: u.webhooks.deliveries(w.other),
    "mark_processed": lambda u, w: u.webhooks.mark_processed(w.other, "content-a", AT),
    "remove_subscription": lambda u, w: u.webhooks.remove_subscription(w.other, "Accounts"),
    "remove_subscriptions": lambda u, w: u.webhooks.remove_subscriptions(w.other),
    "forget_deliveries": lambda u, w: u.webhooks.forget_deliveries(
        w.other, before=AT + timedelta(days=1)
    ),
}
# … and its own leave the first company's alone (the same event is no duplicate there).
WEBHOOK_OWN_ONLY: dict[str, Attempt] = {
    "save_subscription": lambda u, w: u.webhooks.save_subscription(
        w.other,
        topic="Accounts",
        division=1,
        subscription_id="s-b",
        callback_url="https://b",
        at=AT,
    ),
    "record_delivery": lambda u, w: u.webhooks.record_delivery(
        w.other, "content-a", "Accounts", "k", "Update", AT + timedelta(hours=1)
    ),
}
INSTALLATION_WIDE = {
    # Users and sign-in sessions belong to the installation (a user serves many companies).
    "users.get",
    "users.by_email",
    "users.add",
    "users.memberships",
    # Failed sign-ins per email without an account and per client address.
    "users.throttle",
    "users.forget_throttles",
    "sessions.open",
    "sessions.by_token_hash",
    "sessions.close",
    "sessions.close_all_of_user",
    "sessions.choose_company",
    "sessions.forget_expired",
    # A secret's hash is how its company is learnt in the first place.
    "invitations.by_token_hash",
    "api_keys.by_hash",
    "connections.connected",
    "connections.reencrypt_all",
    "connections.others_of_app",
    "connections.end_chain_of_user",
    # The export sweeper visits every company's unfinished runs.
    "exports.unfinished_runs",
    "exports.unpushed_receipts",
    # A webhook delivery names only Exact's app and division: that is how its company is
    # learnt (test_a_webhook_finds_only_the_companies_connected_to_its_division).
    "webhooks.companies_for_division",
    # Operators' figures (GET /metrics): Exact's budget is per app and division, shared by
    # the companies on it; the job queue serves every company.
    "calls.rate_budgets",
    "job_queue.depth",
    "job_queue.oldest_waiting_since",
    # The Workers admin page: heartbeats and queue counts of the installation, and the
    # stalled jobs put back (audit rows without a company; a company's rows never count).
    "job_queue.counts",
    "job_queue.workers",
    "audit.count_installation_actions",
}
# The tenants themselves: companies are looked up before any company is known.
COMPANY_WIDE = {
    "companies.get",
    "companies.by_slug",
    "companies.all",
    "companies.count",
    "companies.add",
}
COVERED: dict[str, set[str]] = {
    "transactions": set(READS) | set(WRITES) | set(OWN_ONLY),
    "companies": set(),
    "connections": set(CONNECTION_READS) | set(CONNECTION_WRITES) | set(CONNECTION_OWN_ONLY),
    "audit": set(AUDIT_CASES),
    # tests/integration/dimensions/test_dimension_repository_tenancy.py syncs two
    # companies and checks every read and write of this repository stays in its own.
    "dimensions": {"*"},
    # tests/integration/test_rule_repository_tenancy.py: every method, two companies.
    "rules": {"*"},
    # test_export_settings_stay_with_their_company below: get and save, two companies.
    "export_settings": {"get", "save"},
    "calls": set(CALL_CASES),
    # tests/integration/export/test_export_repository_tenancy.py: every method, two companies.
    "exports": {"*"},
    # test_periods_stay_with_their_company below: every method, two companies.
    "periods": {"all", "replace", "mark_closed"},
    "webhooks": set(WEBHOOK_READS) | set(WEBHOOK_OWN_ONLY),
    "users": set(),
    "sessions": set(),
    "job_queue": set(),
    **{
        repo: {name.split(".")[1] for name in ACCESS if name.startswith(f"{repo}.")}
        for repo in ("members", "invitations", "api_keys")
    },
}


def _untouched(session_factory: sessionmaker[Session], world: World) -> None:
    with UnitOfWork(session_factory) as uow:
        found = uow.connections.get(world.own)
        assert found is not None
        assert (found.status, found.division) == (ConnectionStatus.ERROR, 3101010)
        assert (found.exact_user_name, found.oauth_state_hash) == ("Anna", "state-of-a")
        assert found.access_problem == "BlockedUser: x"
        assert found.token_calls_count == 0
        assert [e.action for e in uow.audit.entries(world.own)] == ["test.seeded"]
        assert uow.members.role_of(world.own, world.anna) == "admin"
        assert [i.id for i in uow.invitations.open(world.own)] == [world.invitation]
        [key] = uow.api_keys.all(world.own)
        assert (key.revoked_at, key.last_used_at) == (None, None)


@pytest.mark.parametrize("method", sorted(CONNECTION_READS))
def test_another_company_finds_no_connection(
    session_factory: sessionmaker[Session], world: World, method: str
) -> None:
    with UnitOfWork(session_factory) as uow:
        assert CONNECTION_READS[method](uow, world) in (None, False)
        uow.commit()
    _untouched(session_factory, world)


@pytest.mark.parametrize("method", sorted(CONNECTION_WRITES))
def test_another_company_cannot_change_the_connection(
    session_factory: sessionmaker[Session], world: World, method: str
) -> None:
    with UnitOfWork(session_factory) as uow:
        with pytest.raises(NotFound):
            CONNECTION_WRITES[method](uow, world)
        uow.commit()
    _untouched(session_factory, world)


@pytest.mark.parametrize("method", sorted(CONNECTION_OWN_ONLY))
def test_another_company_acting_on_its_own_connection_leaves_the_first_alone(
    session_factory: sessionmaker[Session], world: World, method: str
) -> None:
    with UnitOfWork(session_factory) as uow:
        CONNECTION_OWN_ONLY[method](uow, world)
        uow.commit()
    _untouched(session_factory, world)


def test_a_call_that_got_through_ends_only_its_own_companys_access_problem(
    session_factory: sessionmaker[Session], world: World
) -> None:
    with UnitOfWork(session_factory) as uow:
        uow.connections.note_success(world.own, AT + timedelta(minutes=5))
        uow.commit()
    with UnitOfWork(session_factory) as uow:
        found = uow.connections.get(world.own)
        assert found is not None
        assert (found.status, found.access_problem) == (ConnectionStatus.CONNECTED, None)


@pytest.mark.parametrize("method", sorted(AUDIT_CASES))
def test_another_companys_audit_stays_its_own(
    session_factory: sessionmaker[Session], world: World, method: str
) -> None:
    with UnitOfWork(session_factory) as uow:
        found = AUDIT_CASES[method](uow, world)
        if isinstance(found, list):
            assert found == []
        uow.commit()
    _untouched(session_factory, world)


@pytest.mark.parametrize("method", sorted(ACCESS_READS))
def test_another_company_finds_no_member_invitation_or_key(
    session_factory: sessionmaker[Session], world: World, method: str
) -> None:
    with UnitOfWork(session_factory) as uow:
        assert ACCESS_READS[method](uow, world) in ([], None, 0)
    _untouched(session_factory, world)


@pytest.mark.parametrize("method", sorted(ACCESS_WRITES))
def test_another_company_cannot_change_a_member_invitation_or_key(
    session_factory: sessionmaker[Session], world: World, method: str
) -> None:
    with UnitOfWork(session_factory) as uow:
        with pytest.raises(NotFound):
            ACCESS_WRITES[method](uow, world)
        uow.commit()
    _untouched(session_factory, world)


@pytest.mark.parametrize("method", sorted(ACCESS_OWN_ONLY))
def test_another_companys_own_members_invitations_and_keys_leave_the_first_alone(
    session_factory: sessionmaker[Session], world: World, method: str
) -> None:
    with UnitOfWork(session_factory) as uow:
        ACCESS_OWN_ONLY[method](uow, world)
        uow.commit()
    _untouched(session_factory, world)


def _public_methods(repository: object) -> dict[str, Any]:
    return {
        name: member
        for name, member in inspect.getmembers(type(repository), inspect.isfunction)
        if not name.startswith("_")
    }


def test_every_repository_on_the_unit_of_work_is_covered(
    session_factory: sessionmaker[Session],
) -> None:
    with UnitOfWork(session_factory) as uow:
        repositories = uow.repositories()
    assert set(repositories) == set(COVERED), "a repository without tenancy cases"
    for name, repository in repositories.items():
        for method_name, method in _public_methods(repository).items():
            qualified = f"{name}.{method_name}"
            if getattr(method, "installation_wide", False):
                assert qualified in INSTALLATION_WIDE, f"{qualified} spans companies unlisted"
                continue
            if qualified in COMPANY_WIDE:
                continue
            first = list(inspect.signature(method).parameters)[1:2]
            assert first == ["company_id"], f"{qualified} does not take the company first"
            assert {"*", method_name} & COVERED[name], f"{qualified}: no tenancy case"


def test_export_settings_stay_with_their_company(
    session_factory: sessionmaker[Session], world: World
) -> None:
    ours = ExportSettings(purchase_journal="60", bank_journal="20", generic_supplier="CARDS")
    with UnitOfWork(session_factory) as uow:
        uow.export_settings.save(world.own, ours, actor="anna")
        uow.commit()
    with UnitOfWork(session_factory) as uow:
        assert uow.export_settings.get(world.other) == ExportSettings()  # nothing of ours
        uow.export_settings.save(world.other, ExportSettings(purchase_journal="61"), actor="bob")
        uow.commit()
    with UnitOfWork(session_factory) as uow:
        assert uow.export_settings.get(world.own) == ours
        assert uow.export_settings.get(world.other).purchase_journal == "61"


def _calls_of_a(session_factory: sessionmaker[Session], world: World) -> dict[str, int] | None:
    with UnitOfWork(session_factory) as uow:
        found = uow.calls.of_day(world.own, AT.date())
        return None if found is None else found.by_purpose


@pytest.mark.parametrize("method", sorted(CALL_CASES))
def test_another_company_neither_sees_nor_adds_to_the_calls_of_the_first(
    session_factory: sessionmaker[Session], world: World, method: str
) -> None:
    with UnitOfWork(session_factory) as uow:
        uow.calls.count(world.own, AT, "exports")
        uow.commit()
    with UnitOfWork(session_factory) as uow:
        assert CALL_CASES[method](uow, world) in (None, False)
        uow.commit()
    assert _calls_of_a(session_factory, world) == {"exports": 1}
    _untouched(session_factory, world)


def test_a_company_on_another_division_counts_and_sees_only_its_own_calls(
    session_factory: sessionmaker[Session], world: World
) -> None:
    with UnitOfWork(session_factory) as uow:
        _begin(uow, world.other, "state-of-b")
        uow.connections.accept_tokens(world.other, TOKENS)
        uow.calls.count(world.other, AT, "token")  # before B chose: division 0
        uow.connections.set_user(world.other, "user-b", "Bob", {4202020})
        uow.connections.choose_division(world.other, 4202020, "Other B.V.")
        uow.calls.count(world.own, AT, "exports")
        uow.calls.count(world.other, AT, "receipts")
        uow.calls.count(world.other, AT, "receipts")
        uow.commit()
    with UnitOfWork(session_factory) as uow:
        theirs = uow.calls.of_day(world.other, AT.date())
        ours = uow.calls.of_day(world.own, AT.date())
    assert theirs is not None and ours is not None
    assert (theirs.division, theirs.by_purpose) == (4202020, {"receipts": 2})
    assert (ours.division, ours.by_purpose) == (3101010, {"exports": 1})


def test_periods_stay_with_their_company(
    session_factory: sessionmaker[Session], world: World
) -> None:
    nov = FinancialPeriod(2026, 11, date(2026, 11, 1), date(2026, 11, 30))
    dec = FinancialPeriod(2026, 12, date(2026, 12, 1), date(2026, 12, 31))
    with UnitOfWork(session_factory) as uow:
        uow.periods.replace(world.own, [nov, dec], AT)
        uow.periods.mark_closed(world.own, 2026, 11, True, AT)
        uow.commit()
    with UnitOfWork(session_factory) as uow:
        assert uow.periods.all(world.other) == []  # nothing of ours
        with pytest.raises(NotFound):
            uow.periods.mark_closed(world.other, 2026, 12, True, AT)
        uow.periods.replace(world.other, [dec], AT)  # B's own table
        uow.periods.mark_closed(world.other, 2026, 12, True, AT)
        uow.commit()
    with UnitOfWork(session_factory) as uow:
        assert [(p.label, p.closed) for p in uow.periods.all(world.own)] == [
            ("2026/11", True),
            ("2026/12", None),
        ]
        assert [(p.label, p.closed) for p in uow.periods.all(world.other)] == [("2026/12", True)]


@pytest.fixture
def subscribed(session_factory: sessionmaker[Session], world: World) -> World:
    with UnitOfWork(session_factory) as uow:
        uow.webhooks.save_subscription(
            world.own, topic="Accounts", division=3101010, subscription_id="s-a",
            callback_url="https://a", at=AT,
        )  # fmt: skip
        assert uow.webhooks.record_delivery(world.own, "content-a", "Accounts", "k", "Update", AT)
        later = AT + timedelta(minutes=1)
        assert not uow.webhooks.record_delivery(world.own, "content-a", "Accounts", "k", "x", later)
        uow.commit()
    return world


def _webhooks_untouched(session_factory: sessionmaker[Session], world: World) -> None:
    with UnitOfWork(session_factory) as uow:
        [subscription] = uow.webhooks.subscriptions(world.own)
        assert (subscription.subscription_id, subscription.last_delivery_at) == ("s-a", AT)
        assert uow.webhooks.subscribed_resources(world.own) == {"suppliers"}
        [delivery] = uow.webhooks.deliveries(world.own)
        assert (delivery.received_at, delivery.processed_at) == (AT, None)


@pytest.mark.parametrize("method", sorted(WEBHOOK_READS))
def test_another_company_finds_and_changes_no_webhook_subscription_or_delivery(
    session_factory: sessionmaker[Session], subscribed: World, method: str
) -> None:
    with UnitOfWork(session_factory) as uow:
        assert WEBHOOK_READS[method](uow, subscribed) in ([], set(), False, 0)
        uow.commit()
    _webhooks_untouched(session_factory, subscribed)


@pytest.mark.parametrize("method", sorted(WEBHOOK_OWN_ONLY))
def test_another_companys_own_webhooks_leave_the_first_alone(
    session_factory: sessionmaker[Session], subscribed: World, method: str
) -> None:
    with UnitOfWork(session_factory) as uow:
        WEBHOOK_OWN_ONLY[method](uow, subscribed)
        uow.commit()
    _webhooks_untouched(session_factory, subscribed)
    if method == "record_delivery":  # new for that company, a duplicate for nobody else
        with UnitOfWork(session_factory) as uow:
            assert len(uow.webhooks.deliveries(subscribed.other)) == 1


def test_a_webhook_finds_only_the_companies_connected_to_its_division(
    session_factory: sessionmaker[Session], world: World
) -> None:
    with UnitOfWork(session_factory) as uow:
        assert uow.webhooks.companies_for_division("{APP}", 3101010) == [world.own]
        assert uow.webhooks.companies_for_division("app", 3101020) == []
        assert uow.webhooks.companies_for_division("another-app", 3101010) == []
        uow.connections.disconnect(world.own, "gone")
        assert uow.webhooks.companies_for_division("app", 3101010) == []
