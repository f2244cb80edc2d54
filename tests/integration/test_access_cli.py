"""A self-hosting admin starts without the demo: company, first admin, sign-in, an
invitation link, a password reset and an API key, all from the command line."""

from __future__ import annotations

import re
from collections.abc import Iterator

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from test_csv_import import cli_env  # noqa: F401  (the fixture)
from typer.testing import CliRunner, Result

from ledgerbridge.bootstrap import Container
from ledgerbridge.cli import app
from ledgerbridge.web.app import create_app

PASSWORD = "first admin password"


def run(*args: str, password: str | None = None) -> Result:
    env = {"LEDGERBRIDGE_NEW_PASSWORD": password} if password else None
    return CliRunner().invoke(app, list(args), env=env, terminal_width=200)


def signed_in(container: Container, email: str, password: str) -> Iterator[TestClient]:
    with TestClient(create_app(container)) as client:
        answer = client.post("/api/v1/auth/login", json={"email": email, "password": password})
        assert answer.status_code == 200, answer.text
        yield client


def test_an_admin_is_created_from_the_command_line_and_signs_in(
    session_factory: sessionmaker[Session],
    cli_env: list[Container],  # noqa: F811
) -> None:
    made = run("company", "create", "acme", "--name", "Acme B.V.")
    assert made.exit_code == 0, made.output
    assert run("company", "create", "acme").exit_code == 1
    user = run("user", "create", "Root@Acme.example", "--company", "acme", password=PASSWORD)
    assert user.exit_code == 0, user.output
    short = run("user", "create", "x@acme.example", "--company", "acme", password="short")
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    for client in signed_in(cli_env[-1], "root@acme.example", PASSWORD):
        me = client.get("/api/v1/me").json()
        assert (me["company"]["slug"], me["role"]) == ("acme", "admin")


def test_invite_reset_and_api_key_from_the_command_line(
    session_factory: sessionmaker[Session],
    cli_env: list[Container],  # noqa: F811
) -> None:
    run("company", "create", "acme")
    run("user", "create", "root@acme.example", "--company", "acme", password=PASSWORD)
    invited = run("user", "invite", "piet@acme.example", "--company", "acme", "--role", "viewer")
    assert invited.exit_code == 0, invited.output
    token = re.search(r"/invitations/accept\?token=(\S+)", invited.output)
    assert token is not None
    reset = run("user", "reset-password", "root@acme.example", password="a new admin password")
    assert reset.exit_code == 0, reset.output
    assert run("user", "reset-password", "nobody@acme.example", password=PASSWORD).exit_code == 1
    key = run("api-key", "create", "--company", "acme", "--name", "feed", "--role", "bookkeeper")
    assert key.exit_code == 0, key.output
    found = re.search(r"lbk_\S+", key.output)
    assert found is not None
    container = cli_env[-1]
    with TestClient(create_app(container)) as client:
        accept = {"token": token.group(1), "password": "piet's password!"}
        assert client.post("/api/v1/invitations/accept", json=accept).status_code == 200
        bearer = {"Authorization": f"Bearer {found.group(0)}"}
        assert client.get("/api/v1/me", headers=bearer).json()["role"] == "bookkeeper"
    for client in signed_in(container, "root@acme.example", "a new admin password"):
        members = client.get("/api/v1/me").json()["memberships"]
        assert members == [
            {"id": members[0]["id"], "slug": "acme", "name": "acme", "role": "admin"}
        ]
