"""The token chain never breaks: single-flight refresh, dead chains stop, idle chains live."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from urllib.parse import parse_qs

import httpx
import pytest
from sqlalchemy import select

from exact_sandbox.seed import DEMO_CLIENT_SECRET, DEMO_DIVISION
from exact_sandbox.serve import running
from ledgerbridge.db.models.exact import ExactConnection
from ledgerbridge.exact.errors import ExactAuthLost, ExactRateLimited, ExactUnavailable
from ledgerbridge.gateway.token_chain import AppCredentials, ConnectionTokens
from ledgerbridge.services.connection.keep_alive import keep_alive

from .chain_worker import tokens_from_threads
from .conftest import World


def _connected(world: World) -> ExactConnection:
    world.connect()
    world.container.connections.choose_division(world.company_id, DEMO_DIVISION)
    return _row(world)


def _row(world: World) -> ExactConnection:
    with world.container.session_factory() as session:
        return session.execute(
            select(ExactConnection).where(ExactConnection.company_id == world.company_id)
        ).scalar_one()


def test_fifty_threads_at_the_moment_of_expiry_refresh_exactly_once(world: World) -> None:
    row = _connected(world)
    assert row.access_expires_at is not None
    world.clock.set(row.access_expires_at - timedelta(seconds=5))
    calls_before = world.token_calls()

    def ask(_: int) -> str:
        return world.container.gateway.tokens(world.company_id).access_token()

    with ThreadPoolExecutor(max_workers=50) as pool:
        tokens = set(pool.map(ask, range(50)))

    assert world.token_calls() == calls_before + 1
    assert len(tokens) == 1
    assert world.container.gateway.api(world.company_id).me().user_name == "demo"
    assert [chain["alive"] for chain in world.sandbox.auth.chains()] == [True]


def test_two_processes_at_the_moment_of_expiry_refresh_exactly_once(
    world: World, database_url: object
) -> None:
    with running(world.sandbox) as base_url:
        world.container.http = httpx.Client(timeout=30)
        world.container.settings.exact_base_url = base_url
        row = _connected(world)
        assert row.access_expires_at is not None
        world.clock.set(row.access_expires_at - timedelta(seconds=5))
        calls_before = world.token_calls()
        url = world.container.database_url.set(drivername="postgresql")
        args = (
            url.render_as_string(hide_password=False),
            str(world.company_id),
            world.container.settings.secret_key,
            DEMO_CLIENT_SECRET,
            world.clock.now().isoformat(),
            10,
        )
        with multiprocessing.get_context("spawn").Pool(2) as processes:
            results = processes.starmap(tokens_from_threads, [args, args])
        assert world.token_calls() == calls_before + 1
        assert len({token for found in results for token in found}) == 1
        assert world.container.gateway.api(world.company_id).me().user_name == "demo"
        world.container.http.close()


def test_a_revoked_chain_needs_reauth_and_makes_no_further_token_calls(world: World) -> None:
    row = _connected(world)
    world.sandbox.auth.revoke()
    assert row.access_expires_at is not None
    world.clock.set(row.access_expires_at)
    calls_before = world.token_calls()

    with pytest.raises(ExactAuthLost):
        world.container.gateway.api(world.company_id).me()
    assert world.token_calls() == calls_before + 1
    after = _row(world)
    assert after.status == "needs_reauth"
    assert after.status_reason

    for _ in range(3):
        with pytest.raises(ExactAuthLost):
            world.container.gateway.tokens(world.company_id).access_token()
    assert world.token_calls() == calls_before + 1


def test_a_token_refused_by_exact_is_not_replaced_within_570_seconds(world: World) -> None:
    _connected(world)
    provider = world.container.gateway.tokens(world.company_id)
    provider.access_token()
    calls_before = world.token_calls()
    provider.token_rejected("401 Unauthorized")

    world.clock.advance(300)
    with pytest.raises(ExactUnavailable, match="can be requested at"):
        provider.access_token()
    assert world.token_calls() == calls_before

    world.clock.advance(271)
    provider.access_token()
    assert world.token_calls() == calls_before + 1


def test_thirty_idle_days_with_the_keep_alive_leave_the_connection_working(
    world: World,
) -> None:
    _connected(world)
    for _ in range(4 * 35):  # the periodic task runs every 6 hours
        world.clock.advance(timedelta(hours=6))
        result = keep_alive(world.container.uow, world.container.gateway, world.container.now)
        assert not result.failed
    assert _row(world).status == "connected"
    assert world.container.gateway.api(world.company_id).me().user_name == "demo"
    assert world.token_calls() <= 200


def test_without_the_keep_alive_thirty_idle_days_end_the_chain(world: World) -> None:
    _connected(world)
    world.clock.advance(timedelta(days=31))
    with pytest.raises(ExactAuthLost):
        world.container.gateway.api(world.company_id).me()
    assert _row(world).status == "needs_reauth"
    assert "expired" in (_row(world).status_reason or "")


def _tokens_via(
    world: World, token_endpoint: Callable[[httpx.Request], httpx.Response]
) -> ConnectionTokens:
    """The company's token chain with the token endpoint swapped for ``token_endpoint``."""
    http = httpx.Client(transport=httpx.MockTransport(token_endpoint))
    return ConnectionTokens(
        world.container.session_factory,
        world.company_id,
        AppCredentials("secret", http),
        world.container.cipher,
        world.container.now,
    )


def test_a_refresh_token_returned_with_an_error_is_stored_and_spent_next(world: World) -> None:
    row = _connected(world)
    assert row.access_expires_at is not None
    world.clock.set(row.access_expires_at - timedelta(seconds=5))
    spent: list[str] = []

    def token_endpoint(request: httpx.Request) -> httpx.Response:
        spent.append(parse_qs(request.content.decode())["refresh_token"][0])
        if len(spent) == 1:  # a failed refresh that still rotated the chain
            body = {"error": "temporarily_unavailable", "refresh_token": "rotated-by-exact"}
            return httpx.Response(503, json=body)
        return httpx.Response(200, json={"access_token": "a2", "refresh_token": "r3"})

    tokens = _tokens_via(world, token_endpoint)
    with pytest.raises(ExactUnavailable):
        tokens.access_token()
    assert _row(world).status == "connected"
    with pytest.raises(ExactUnavailable, match="next try at"):  # no hammering meanwhile
        tokens.access_token()
    assert len(spent) == 1

    world.clock.advance(60)
    assert tokens.access_token() == "a2"
    assert spent[1] == "rotated-by-exact"


def test_exacts_daily_token_cap_pauses_refreshes_until_midnight_and_keeps_the_chain(
    world: World,
) -> None:
    row = _connected(world)
    assert row.access_expires_at is not None
    world.clock.set(row.access_expires_at - timedelta(seconds=5))
    calls: list[httpx.Request] = []

    def token_endpoint(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        body = {"error": "access_denied", "error_description": "too many token requests"}
        return httpx.Response(400, json=body, headers={"Reason": "TooManyTokenRequests"})

    tokens = _tokens_via(world, token_endpoint)
    with pytest.raises(ExactRateLimited):
        tokens.access_token()
    world.clock.advance(timedelta(hours=1))
    with pytest.raises(ExactUnavailable, match="next try at"):
        tokens.access_token()
    assert len(calls) == 1
    assert _row(world).status == "connected"


def _refused_once(world: World, html_401: bool) -> dict[str, object]:
    """Exact refuses the access token we hold (401, as JSON or its HTML login page); the
    state the connection is in afterwards, and after the one refresh it allows."""
    world.sandbox.settings.html_401 = html_401
    row = _connected(world)
    with world.container.session_factory.begin() as session:  # a token Exact does not know
        stored = session.get(ExactConnection, row.id)
        assert stored is not None
        stored.access_token_encrypted = world.container.cipher.encrypt("gAAAA-unknown")
    api = world.container.gateway.api(world.company_id)
    calls_before = world.token_calls()
    with pytest.raises(ExactAuthLost) as raised:
        api.me()
    refused = _row(world)
    world.clock.advance(571)  # the 570 s rule: then exactly one refresh
    user = api.me().user_name
    after = _row(world)
    return {
        "error": type(raised.value).__name__,
        "status": refused.status,
        "expired": refused.access_expires_at == world.clock.now() - timedelta(seconds=571),
        "reason": (refused.status_reason or "").startswith("Exact refused the access token: "),
        "refreshes": world.token_calls() - calls_before,
        "after": (after.status, after.status_reason, user),
    }


@pytest.mark.parametrize("html_401", [True, False], ids=["html-login-page", "json-error"])
def test_an_html_login_page_401_and_a_json_401_leave_the_connection_in_the_same_state(
    world: World, html_401: bool
) -> None:
    assert _refused_once(world, html_401) == {
        "error": "ExactAuthLost",
        "status": "connected",
        "expired": True,
        "reason": True,
        "refreshes": 1,
        "after": ("connected", None, "demo"),
    }
