"""Team pages (members, invitations, API keys), the invitation page and the audit log
page, through the browser's forms: admins see and act, everyone else gets a 403 page
and nothing changes, every form needs its CSRF token."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from access_world import ANNA, BOB, PASSWORD, World, build_world
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from ledgerbridge.services.access import admin, setup

CAROL, DAVE = "carol@a.example", "dave@a.example"
ADMIN_PAGES = ["/team/members", "/team/invitations", "/team/api-keys", "/audit", "/workers"]


@pytest.fixture
def world(
    tmp_path: Path, database_url: URL, engine: Engine, session_factory: sessionmaker[Session]
) -> Iterator[World]:
    found = build_world(tmp_path, database_url, session_factory, engine)
    setup.add_user(found.uow, "a", CAROL, "bookkeeper", PASSWORD)
    setup.add_user(found.uow, "a", DAVE, "viewer", PASSWORD)
    yield found


def signed_in(world: World, email: str = ANNA) -> tuple[TestClient, str]:
    return world.signed_in(email)


def role_of(world: World, email: str) -> str | None:
    with world.uow() as uow:
        user = uow.users.by_email(email)
        return None if user is None else uow.members.role_of(world.a, user.id)


def user_id(world: World, email: str) -> uuid.UUID:
    with world.uow() as uow:
        user = uow.users.by_email(email)
        assert user is not None
        return user.id


def actions(world: World, company: uuid.UUID | None = None) -> list[str]:
    with world.uow() as uow:
        return [e.action for e in uow.audit.entries(company or world.a, limit=500)]


def test_an_admin_finds_team_and_audit_in_the_nav_and_sees_the_members(world: World) -> None:
    client, _ = signed_in(world)
    page = client.get("/team/members")
    assert page.status_code == 200
    assert 'href="/team/members"' in page.text and 'href="/audit"' in page.text
    for email in (ANNA, CAROL, DAVE):
        assert email in page.text
    assert BOB not in page.text
    assert client.get("/team").headers["location"] == "/team/members"


@pytest.mark.parametrize("email", [CAROL, DAVE])
def test_a_bookkeeper_or_viewer_gets_a_403_page_and_no_team_link(world: World, email: str) -> None:
    client, _ = signed_in(world, email)
    assert 'href="/team/members"' not in client.get("/integrations").text
    for path in ADMIN_PAGES:
        answer = client.get(path)
        assert answer.status_code == 403, path
        assert answer.headers["content-type"].startswith("text/html")
        assert "needs the admin role" in answer.text


@pytest.mark.parametrize("email", [CAROL, DAVE])
def test_a_bookkeeper_or_viewer_changes_nothing_with_the_forms(world: World, email: str) -> None:
    client, token = signed_in(world, email)
    before = actions(world)
    anna = user_id(world, ANNA)
    posts = {
        f"/team/members/{anna}/role": {"role": "viewer"},
        f"/team/members/{anna}/remove": {},
        "/team/invitations": {"email": "eve@a.example", "role": "admin"},
        f"/team/invitations/{world.invitation}/revoke": {},
        "/team/api-keys": {"name": "sneaky", "role": "admin"},
        f"/team/api-keys/{world.key_id}/revoke": {},
    }
    for path, data in posts.items():
        assert client.post(path, data={**data, "csrf_token": token}).status_code == 403, path
    assert role_of(world, ANNA) == "admin"
    assert len(admin.invitations(world.uow, world.a)) == 1
    assert [k.name for k in admin.api_keys(world.uow, world.a)] == ["a admin"]
    assert actions(world) == before


def test_without_a_session_the_admin_pages_send_you_to_sign_in(world: World) -> None:
    with world.client(follow_redirects=False) as client:
        for path in ADMIN_PAGES:
            answer = client.get(path)
            assert (answer.status_code, answer.headers["location"]) == (303, "/login"), path


def test_an_admin_changes_a_role_and_the_audit_log_says_so(world: World) -> None:
    client, token = signed_in(world)
    carol = user_id(world, CAROL)
    answer = client.post(
        f"/team/members/{carol}/role", data={"role": "viewer", "csrf_token": token}
    )
    assert answer.headers["location"] == "/team/members?done=role"
    assert role_of(world, CAROL) == "viewer"
    assert "The role is changed." in client.get(answer.headers["location"]).text
    assert "member.role_changed" in actions(world)


def test_forms_without_the_csrf_token_are_refused_and_change_nothing(world: World) -> None:
    client, _ = signed_in(world)
    carol = user_id(world, CAROL)
    before = actions(world)
    posts = {
        f"/team/members/{carol}/role": {"role": "admin"},
        f"/team/members/{carol}/remove": {},
        "/team/invitations": {"email": "eve@a.example", "role": "admin"},
        f"/team/invitations/{world.invitation}/revoke": {},
        "/team/api-keys": {"name": "sneaky", "role": "admin"},
        f"/team/api-keys/{world.key_id}/revoke": {},
    }
    for path, data in posts.items():
        for token in ("", "not-the-token"):
            answer = client.post(path, data={**data, "csrf_token": token})
            assert answer.status_code == 403, path
    assert role_of(world, CAROL) == "bookkeeper"
    assert len(admin.invitations(world.uow, world.a)) == 1
    [key] = admin.api_keys(world.uow, world.a)
    assert key.revoked_at is None
    assert actions(world) == before


def test_the_last_admin_can_be_neither_demoted_nor_removed(world: World) -> None:
    client, token = signed_in(world)
    anna = user_id(world, ANNA)
    demoted = client.post(
        f"/team/members/{anna}/role", data={"role": "viewer", "csrf_token": token}
    )
    assert demoted.status_code == 409
    assert "last admin cannot go" in demoted.text
    removed = client.post(f"/team/members/{anna}/remove", data={"csrf_token": token})
    assert removed.status_code == 409
    assert "last admin cannot go" in removed.text
    assert role_of(world, ANNA) == "admin"


def test_with_a_second_admin_the_first_may_step_down(world: World) -> None:
    client, token = signed_in(world)
    carol, anna = user_id(world, CAROL), user_id(world, ANNA)
    client.post(f"/team/members/{carol}/role", data={"role": "admin", "csrf_token": token})
    answer = client.post(f"/team/members/{anna}/role", data={"role": "viewer", "csrf_token": token})
    assert answer.status_code == 303
    assert role_of(world, ANNA) == "viewer"
    assert client.get("/team/members").status_code == 403


def test_removing_a_member_asks_first_then_removes(world: World) -> None:
    client, token = signed_in(world)
    dave = user_id(world, DAVE)
    confirm = client.get(f"/team/members/{dave}/remove")
    assert confirm.status_code == 200
    assert f"Remove {DAVE}?" in confirm.text and "Cancel" in confirm.text
    assert role_of(world, DAVE) == "viewer"
    done = client.post(f"/team/members/{dave}/remove", data={"csrf_token": token})
    assert done.headers["location"] == "/team/members?done=removed"
    assert role_of(world, DAVE) is None
    assert DAVE not in client.get("/team/members").text


def invite(client: TestClient, token: str, email: str, role: str) -> str:
    answer = client.post(
        "/team/invitations", data={"email": email, "role": role, "csrf_token": token}
    )
    assert answer.status_code == 200, answer.text
    found = re.search(r'id="invitation-link" type="text" readonly value="([^"]+)"', answer.text)
    assert found is not None
    return found.group(1)


def test_an_invitation_shows_its_link_says_no_mail_went_and_is_listed(world: World) -> None:
    client, token = signed_in(world)
    answer = client.post(
        "/team/invitations", data={"email": "Eve@A.example", "role": "viewer", "csrf_token": token}
    )
    assert "/invitations/accept?token=" in answer.text
    assert "No e-mail was sent" in answer.text
    listed = client.get("/team/invitations").text
    assert "eve@a.example" in listed and "olga@a.example" in listed
    assert "/invitations/accept?token=" not in listed


def test_inviting_a_member_again_says_so(world: World) -> None:
    client, token = signed_in(world)
    answer = client.post(
        "/team/invitations", data={"email": CAROL, "role": "viewer", "csrf_token": token}
    )
    assert answer.status_code == 400
    assert "already a member" in answer.text


def test_a_new_user_opens_the_link_sets_a_password_and_is_signed_in(world: World) -> None:
    client, token = signed_in(world)
    link = invite(client, token, "eve@a.example", "bookkeeper")
    path = link.removeprefix("http://localhost:8000")
    with world.client(follow_redirects=False) as fresh:
        page = fresh.get(path)
        assert page.status_code == 200
        assert "eve@a.example" in page.text and "Choose a password" in page.text
        invitation_token = path.split("token=")[1]
        short = fresh.post(
            "/invitations/accept", data={"token": invitation_token, "password": "short"}
        )
        assert short.status_code == 400 and "at least 10 characters" in short.text
        done = fresh.post(
            "/invitations/accept", data={"token": invitation_token, "password": "a long password"}
        )
        assert done.headers["location"] == "/integrations"
        me = fresh.get("/api/v1/me").json()
        assert (me["email"], me["role"], me["company"]["slug"]) == (
            "eve@a.example",
            "bookkeeper",
            "a",
        )
        used = fresh.get(path)
        assert used.status_code == 410 and "already used" in used.text


def test_an_existing_user_joins_and_signs_in_as_usual(world: World) -> None:
    client, token = signed_in(world)
    link = invite(client, token, BOB, "viewer")
    invitation_token = link.split("token=")[1]
    with world.client(follow_redirects=False) as fresh:
        assert (
            "You have an account already"
            in fresh.get(f"/invitations/accept?token={invitation_token}").text
        )
        joined = fresh.post("/invitations/accept", data={"token": invitation_token})
        assert joined.status_code == 200 and "You joined A B.V." in joined.text
    assert role_of(world, BOB) == "viewer"


def test_an_expired_or_withdrawn_or_unknown_link_says_so(world: World) -> None:
    client, token = signed_in(world)
    link = invite(client, token, "eve@a.example", "viewer")
    invitation_token = link.split("token=")[1]
    with world.client(follow_redirects=False) as fresh:
        unknown = fresh.get("/invitations/accept?token=nope")
        assert unknown.status_code == 404 and "unknown or was withdrawn" in unknown.text
        world.clock.advance(admin.INVITATION_LIFETIME + timedelta(minutes=1))
        expired = fresh.get(f"/invitations/accept?token={invitation_token}")
        assert expired.status_code == 410 and "has expired" in expired.text
        tried = fresh.post(
            "/invitations/accept", data={"token": invitation_token, "password": "a long password"}
        )
        assert tried.status_code == 410
    assert role_of(world, "eve@a.example") is None


def test_an_admin_withdraws_an_invitation(world: World) -> None:
    client, token = signed_in(world)
    answer = client.post(f"/team/invitations/{world.invitation}/revoke", data={"csrf_token": token})
    assert answer.headers["location"] == "/team/invitations?done=revoked"
    assert admin.invitations(world.uow, world.a) == []
    assert "invitation.revoked" in actions(world)


def test_a_new_api_key_is_shown_once_works_and_stops_when_revoked(world: World) -> None:
    client, token = signed_in(world)
    made = client.post(
        "/team/api-keys", data={"name": "bank feed", "role": "bookkeeper", "csrf_token": token}
    )
    assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
    found = re.search(r'id="new-key" type="text" readonly value="([^"]+)"', made.text)
    assert found is not None
    key = found.group(1)
    assert "shown only this once" in made.text
    listed = client.get("/team/api-keys").text
    assert "bank feed" in listed and key not in listed and key[:10] in listed
    bearer = {"Authorization": f"Bearer {key}"}
    with world.client() as program:
        assert program.get("/api/v1/me", headers=bearer).json()["role"] == "bookkeeper"
    [row] = [k for k in admin.api_keys(world.uow, world.a) if k.name == "bank feed"]
    confirm = client.get(f"/team/api-keys/{row.id}/revoke")
    assert confirm.status_code == 200 and "Revoke key" in confirm.text
    done = client.post(f"/team/api-keys/{row.id}/revoke", data={"csrf_token": token})
    assert done.headers["location"] == "/team/api-keys?done=key_revoked"
    with world.client() as program:
        assert program.get("/api/v1/me", headers=bearer).status_code == 401
    assert "revoked" in client.get("/team/api-keys").text


def test_another_companys_member_or_key_is_not_found_here(world: World) -> None:
    client, token = signed_in(world)
    bob = user_id(world, BOB)
    assert client.get(f"/team/members/{bob}/remove").status_code == 404
    assert client.post(f"/team/members/{bob}/remove", data={"csrf_token": token}).status_code == 404
    b_key = admin.create_api_key(world.uow, world.clock, world.b, "b key", "admin", actor="t")
    assert client.get(f"/team/api-keys/{b_key.id}/revoke").status_code == 404
    answer = client.post(f"/team/api-keys/{b_key.id}/revoke", data={"csrf_token": token})
    assert answer.status_code == 404
    assert role_of(world, BOB) is None  # never a member of A
    with world.uow() as uow:
        assert uow.members.role_of(world.b, bob) == "admin"
        assert uow.api_keys.all(world.b)[0].revoked_at is None


def seed_audit(world: World) -> None:
    """60 connection rows by anna and 5 transaction rows by carol in A; B's own rows."""
    with world.uow() as uow:
        for n in range(60):
            uow.audit.record(
                world.a, action=f"connection.step_{n:02d}", actor=ANNA, subject_type="connection"
            )
        for n in range(5):
            uow.audit.record(
                world.a,
                action="transaction.created",
                actor=CAROL,
                subject_type="transaction",
                subject_id=f"t-{n}",
            )
        uow.audit.record(
            world.b, action="connection.b_secret", actor=BOB, subject_type="connection"
        )
        uow.commit()


def test_the_audit_page_lists_newest_first_and_pages_by_fifty(world: World) -> None:
    seed_audit(world)
    client, _ = signed_in(world)
    page = client.get("/audit")
    assert page.status_code == 200
    assert page.text.count("<time ") == 50
    assert page.text.index("t-4") < page.text.index("t-0")  # newest first
    assert "connection.b_secret" not in page.text and BOB not in page.text
    found = re.search(r'hx-get="(/audit\?[^"]+)"', page.text)
    assert found is not None and "Next page" in page.text
    more = client.get(found.group(1).replace("&amp;", "&"), headers={"HX-Request": "true"})
    assert "<html" not in more.text and "<time " in more.text
    assert "connection.step_00" in more.text and "connection.step_59" not in more.text


def test_the_audit_page_filters_by_user_action_start_and_object(world: World) -> None:
    seed_audit(world)
    client, _ = signed_in(world)
    by_carol = client.get("/audit", params={"actor": CAROL}).text
    assert by_carol.count("<time ") == 5 and "connection.step" not in by_carol
    by_action = client.get("/audit", params={"action": "connection."}).text
    assert "transaction.created" not in by_action and "connection.b_secret" not in by_action
    assert "Next page" in by_action
    one = client.get("/audit", params={"subject_type": "transaction", "subject_id": "t-3"}).text
    assert one.count("<time ") == 1 and "t-3" in one
    # A LIKE pattern is taken literally.
    assert "Nothing in the audit log matches." in client.get("/audit?action=%25").text


def test_the_audit_api_filters_and_pages_for_admins_only(world: World) -> None:
    seed_audit(world)
    with world.client() as program:
        headers = world.key_of(world.a, "admin")
        first = program.get(
            "/api/v1/audit", params={"action": "connection.", "limit": 40}, headers=headers
        ).json()
        assert len(first["items"]) == 40 and first["next_before"] is not None
        rest = program.get(
            "/api/v1/audit",
            params={"action": "connection.", "limit": 40, "before": first["next_before"]},
            headers=headers,
        ).json()
        assert len(rest["items"]) == 20 and rest["next_before"] is None
        seen = [e["action"] for e in first["items"] + rest["items"]]
        assert seen == [f"connection.step_{n:02d}" for n in reversed(range(60))]
        mine = program.get("/api/v1/audit", params={"actor": BOB}, headers=headers).json()
        assert mine["items"] == []
        bookkeeper = world.key_of(world.a, "bookkeeper")
        assert program.get("/api/v1/audit", headers=bookkeeper).status_code == 403
        assert program.get("/api/v1/audit").status_code == 401


def test_every_admin_page_renders_for_a_dutch_reader(world: World) -> None:
    client, token = signed_in(world)
    client.headers["Accept-Language"] = "nl-NL,nl;q=0.9"
    made = client.post("/team/api-keys", data={"name": "k", "role": "viewer", "csrf_token": token})
    assert made.status_code == 200 and '<html lang="nl">' in made.text
    invite(client, token, "eve@a.example", "viewer")
    for path in [*ADMIN_PAGES, f"/team/members/{user_id(world, DAVE)}/remove"]:
        answer = client.get(path)
        assert answer.status_code == 200 and '<html lang="nl">' in answer.text, path
