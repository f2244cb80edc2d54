"""Sign-in, sessions, CSRF, lock-out, password change, company switch, invitations,
members and API keys through the JSON API; each refusal a clear message, a correct
status and nothing changed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from access_world import ANNA, BOB, PASSWORD, World, a_is_untouched, build_world
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from ledgerbridge.services.access import setup
from ledgerbridge.services.access.signin import LOCK_OUT, MAX_FAILED_SIGN_INS


@pytest.fixture
def world(
    tmp_path: Path, database_url: URL, engine: Engine, session_factory: sessionmaker[Session]
) -> Iterator[World]:
    yield build_world(tmp_path, database_url, session_factory, engine)


def sign_in(client: TestClient, email: str = ANNA, password: str = PASSWORD) -> Any:
    return client.post("/api/v1/auth/login", json={"email": email, "password": password})


def csrf(client: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": client.get("/api/v1/me").json()["csrf_token"]}


def test_signing_in_sets_an_httponly_lax_cookie_and_answers_the_csrf_token(world: World) -> None:
    with world.client() as client:
        answer = sign_in(client)
        assert answer.status_code == 200
        cookie = answer.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
        me = client.get("/api/v1/me").json()
        assert me["csrf_token"] == answer.json()["csrf_token"]
        assert (me["email"], me["role"], me["company"]["slug"]) == (ANNA, "admin", "a")
        assert client.get(f"/api/v1/transactions/{world.txn}").status_code == 200


def test_over_https_the_session_cookie_is_secure(world: World) -> None:
    with world.client(base_url="https://testserver") as client:
        assert "Secure" in sign_in(client).headers["set-cookie"]


def test_a_wrong_password_and_an_unknown_email_get_the_same_401(world: World) -> None:
    with world.client() as client:
        wrong = sign_in(client, password="not the password")
        unknown = sign_in(client, email="nobody@a.example")
        assert wrong.status_code == unknown.status_code == 401
        assert wrong.json() == unknown.json() == {"detail": "wrong email or password"}
        assert client.get("/api/v1/me").status_code == 401


def test_repeated_failures_lock_the_user_out_for_a_while(world: World) -> None:
    with world.client() as client:
        answers = [sign_in(client, password="guess") for _ in range(MAX_FAILED_SIGN_INS)]
        assert [a.status_code for a in answers] == [401] * (MAX_FAILED_SIGN_INS - 1) + [429]
        locked = sign_in(client)
        assert locked.status_code == 429
        assert 0 < int(locked.headers["retry-after"]) <= LOCK_OUT.total_seconds()
        assert "too many failed sign-ins" in locked.json()["detail"]
        world.clock.advance(LOCK_OUT + timedelta(seconds=1))
        assert sign_in(client).status_code == 200


def test_the_lock_out_holds_on_another_app_node_and_a_reset_lifts_it(world: World) -> None:
    with world.client() as node_1, world.client() as node_2:
        for _ in range(MAX_FAILED_SIGN_INS):
            sign_in(node_1, password="guess")
        assert sign_in(node_2).status_code == 429
        setup.reset_password(world.uow, ANNA, "a brand new password")
        assert sign_in(node_2, password="a brand new password").status_code == 200


def test_a_session_opened_on_one_node_works_on_another(world: World) -> None:
    with world.client() as node_1, world.client() as node_2:
        sign_in(node_1)
        node_2.cookies = node_1.cookies
        assert node_2.get("/api/v1/me").json()["email"] == ANNA


def test_a_change_without_the_csrf_token_is_refused_and_changes_nothing(world: World) -> None:
    with world.client() as client:
        sign_in(client)
        item = {"kind": "cost_center", "code": "CCX", "name": "x"}
        missing = client.post("/api/v1/dimensions", json=item)
        forged = client.post("/api/v1/dimensions", json=item, headers={"X-CSRF-Token": "nope"})
        assert missing.status_code == forged.status_code == 403
        assert "X-CSRF-Token" in missing.json()["detail"]
        listed = client.get("/api/v1/dimensions", params={"kind": "cost_center"}).json()
        assert [d["code"] for d in listed["items"]] == ["CCA"]
        assert client.post("/api/v1/dimensions", json=item, headers=csrf(client)).status_code == 201


def test_an_api_key_needs_no_csrf_token(world: World) -> None:
    with world.client(headers={"Authorization": f"Bearer {world.key}"}) as client:
        item = {"kind": "cost_center", "code": "CCK", "name": "by key"}
        assert client.post("/api/v1/dimensions", json=item).status_code == 201


def test_signing_out_ends_the_session(world: World) -> None:
    with world.client() as client:
        sign_in(client)
        token = client.cookies.get("ledgerbridge_session")
        headers = csrf(client)
        assert client.post("/api/v1/auth/logout").status_code == 403  # CSRF applies here too
        assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
        client.cookies.set("ledgerbridge_session", token or "")
        assert client.get("/api/v1/me").status_code == 401


def test_changing_the_password_ends_the_other_sessions(world: World) -> None:
    with world.client() as here, world.client() as elsewhere:
        sign_in(here)
        sign_in(elsewhere)
        body = {"current_password": "wrong one!", "new_password": "another long password"}
        wrong = here.post("/api/v1/auth/password", json=body, headers=csrf(here))
        assert wrong.status_code == 401 and "nothing changed" in wrong.json()["detail"]
        short = {"current_password": PASSWORD, "new_password": "short"}
        assert here.post("/api/v1/auth/password", json=short, headers=csrf(here)).status_code == 400
        body["current_password"] = PASSWORD
        assert here.post("/api/v1/auth/password", json=body, headers=csrf(here)).status_code == 204
        assert here.get("/api/v1/me").status_code == 200
        assert elsewhere.get("/api/v1/me").status_code == 401
        assert sign_in(here).status_code == 401
        assert sign_in(here, password="another long password").status_code == 200


def test_a_bookkeeper_of_several_companies_switches_between_them(world: World) -> None:
    setup.add_user(world.uow, "b", ANNA, "viewer", "ignored: anna has a password")
    with world.client() as client:
        sign_in(client)
        me = client.get("/api/v1/me").json()
        assert [(m["slug"], m["role"]) for m in me["memberships"]] == [
            ("a", "admin"),
            ("b", "viewer"),
        ]
        switched = client.put("/api/v1/me/company", json={"company": "b"}, headers=csrf(client))
        assert switched.status_code == 200
        assert client.get("/api/v1/me").json()["role"] == "viewer"
        assert client.get(f"/api/v1/transactions/{world.txn}").status_code == 404
        item = {"kind": "cost_center", "code": "CCV", "name": "x"}
        assert client.post("/api/v1/dimensions", json=item, headers=csrf(client)).status_code == 403


def test_switching_to_a_company_one_is_no_member_of_is_404(world: World) -> None:
    with world.client() as client:
        sign_in(client, email=BOB)
        answer = client.put("/api/v1/me/company", json={"company": "a"}, headers=csrf(client))
        assert answer.status_code == 404
        assert client.get("/api/v1/me").json()["company"]["slug"] == "b"
    a_is_untouched(world)


def test_an_invited_user_sets_a_password_and_joins_with_the_role(world: World) -> None:
    admin = {"Authorization": f"Bearer {world.key}"}
    with world.client(headers=admin) as client:
        made = client.post(
            "/api/v1/admin/invitations", json={"email": "Piet@A.example", "role": "bookkeeper"}
        ).json()
        assert made["link"].endswith(made["token"]) and "/invitations/accept?token=" in made["link"]
        listed = client.get("/api/v1/admin/invitations").json()["items"]
        assert "token" not in listed[0] and len(listed) == 2
    with world.client() as browser:
        accept = {"token": made["token"], "password": "piet's own password"}
        assert browser.post("/api/v1/invitations/accept", json=accept).json()["company"] == "a"
        again = browser.post("/api/v1/invitations/accept", json=accept)
        assert again.status_code == 410 and "already used" in again.json()["detail"]
        assert sign_in(browser, "piet@a.example", "piet's own password").status_code == 200
        assert browser.get("/api/v1/me").json()["role"] == "bookkeeper"


def test_an_expired_withdrawn_or_unknown_invitation_is_refused(world: World) -> None:
    admin = {"Authorization": f"Bearer {world.key}"}
    with world.client(headers=admin) as client:
        invite = {"email": "late@a.example", "role": "viewer"}
        expired = client.post("/api/v1/admin/invitations", json=invite).json()
        withdrawn = client.post("/api/v1/admin/invitations", json=invite).json()
        assert client.delete(f"/api/v1/admin/invitations/{withdrawn['id']}").status_code == 204
    world.clock.advance(timedelta(days=8))
    with world.client() as browser:
        for token, status, words in [
            (expired["token"], 410, "expired"),
            (withdrawn["token"], 410, "withdrawn"),
            ("never-handed-out", 404, "no such invitation"),
        ]:
            body = {"token": token, "password": "a long enough password"}
            answer = browser.post("/api/v1/invitations/accept", json=body)
            assert (answer.status_code, words in answer.json()["detail"]) == (status, True)
        assert sign_in(browser, "late@a.example", "a long enough password").status_code == 401


def test_a_removed_members_session_loses_the_company_at_once(world: World) -> None:
    setup.add_user(world.uow, "a", "carl@a.example", "bookkeeper", PASSWORD)
    with (
        world.client() as carl,
        world.client(headers={"Authorization": f"Bearer {world.key}"}) as admin,
    ):
        sign_in(carl, "carl@a.example")
        assert carl.get(f"/api/v1/transactions/{world.txn}").status_code == 200
        members = admin.get("/api/v1/admin/members").json()["items"]
        carl_id = next(m["user_id"] for m in members if m["email"] == "carl@a.example")
        assert admin.delete(f"/api/v1/admin/members/{carl_id}").status_code == 204
        answer = carl.get(f"/api/v1/transactions/{world.txn}")
        assert answer.status_code == 403
        assert "no longer a member" in answer.json()["detail"]


def test_the_last_admin_can_be_neither_demoted_nor_removed(world: World) -> None:
    with world.client(headers={"Authorization": f"Bearer {world.key}"}) as admin:
        url = f"/api/v1/admin/members/{world.anna}"
        demoted = admin.put(url, json={"role": "viewer"})
        assert demoted.status_code == 409 and "last admin" in demoted.json()["detail"]
        assert admin.delete(url).status_code == 409
        assert admin.put(url, json={"role": "owner"}).status_code == 422
    a_is_untouched(world)


def test_an_api_key_is_shown_once_listed_with_its_last_use_and_revocable(world: World) -> None:
    with world.client(headers={"Authorization": f"Bearer {world.key}"}) as admin:
        made = admin.post(
            "/api/v1/admin/api-keys", json={"name": "bank feed", "role": "bookkeeper"}
        )
        assert made.status_code == 201
        key = made.json()["key"]
        assert key.startswith("lbk_")
        with world.client(headers={"Authorization": f"Bearer {key}"}) as feed:
            assert feed.get("/api/v1/transactions").status_code == 200
            listed = {k["name"]: k for k in admin.get("/api/v1/admin/api-keys").json()["items"]}
            assert listed["bank feed"]["last_used_at"] is not None
            assert key not in admin.get("/api/v1/admin/api-keys").text
            assert admin.delete(f"/api/v1/admin/api-keys/{made.json()['id']}").status_code == 204
            revoked = feed.get("/api/v1/transactions")
            assert revoked.status_code == 401 and "revoked" in revoked.json()["detail"]


def test_a_malformed_authorization_header_is_401(world: World) -> None:
    with world.client(headers={"Authorization": f"Basic {world.key}"}) as client:
        assert client.get("/api/v1/me").status_code == 401


def test_the_audit_log_names_the_signed_in_user_or_the_key(world: World) -> None:
    with world.client() as client:
        sign_in(client)
        item = {"kind": "cost_center", "code": "CCU", "name": "by anna"}
        assert client.post("/api/v1/dimensions", json=item, headers=csrf(client)).status_code == 201
    with world.uow() as uow:
        entries = [(e.action, e.actor) for e in uow.audit.entries(world.a)]
    assert ("user.signed_in", ANNA) in entries
    assert ("dimension.created", ANNA) in entries
    assert ("transaction.batch_received", "api-key:a admin") in entries


class FakeMailer:
    def __init__(self, refuse: bool = False) -> None:
        self.sent: list[tuple[str, str, str]] = []
        self.refuse = refuse

    def send(self, to: str, subject: str, body: str) -> None:
        if self.refuse:
            raise ConnectionRefusedError("connection refused")
        self.sent.append((to, subject, body))


def test_with_smtp_set_up_the_invitation_link_is_also_emailed(world: World) -> None:
    mailer = FakeMailer()
    world.container.mailer = mailer
    with world.client(headers={"Authorization": f"Bearer {world.key}"}) as admin:
        made = admin.post(
            "/api/v1/admin/invitations", json={"email": "mail@a.example", "role": "viewer"}
        ).json()
    assert (made["emailed"], made["email_problem"]) == (True, None)
    [(to, subject, body)] = mailer.sent
    assert (to, subject) == ("mail@a.example", "Invitation to A B.V. in LedgerBridge")
    assert made["link"] in body and "as viewer" in body


def test_a_mail_server_that_refuses_leaves_the_link_working(world: World) -> None:
    world.container.mailer = FakeMailer(refuse=True)
    with world.client(headers={"Authorization": f"Bearer {world.key}"}) as admin:
        made = admin.post(
            "/api/v1/admin/invitations", json={"email": "mail@a.example", "role": "viewer"}
        )
    assert made.status_code == 201
    assert made.json()["emailed"] is False
    assert "copy the link instead" in made.json()["email_problem"]
    with world.client() as browser:
        accept = {"token": made.json()["token"], "password": "a long enough password"}
        assert browser.post("/api/v1/invitations/accept", json=accept).status_code == 200
