"""The sandbox's OAuth2 behaves as Exact's does (EXACT_API.md §1), over the ASGI app."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from exact_sandbox.auth import parse_api_path
from exact_sandbox.clock import FakeClock
from exact_sandbox.core import Sandbox
from exact_sandbox.seed import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_DIVISION,
    DEMO_REDIRECT_URIS,
)

REDIRECT = DEMO_REDIRECT_URIS[0]
API = f"/api/v1/{DEMO_DIVISION}/financial/GLAccounts?$select=ID,Code&$top=1"
ENTRIES_ENDPOINT = "purchaseentry/PurchaseEntries"


def authorize_params(**extra: str) -> dict[str, str]:
    base = {"client_id": DEMO_CLIENT_ID, "redirect_uri": REDIRECT, "response_type": "code"}
    return base | {"state": "st-1"} | extra


def approve(client: httpx.Client, username: str = "demo", **extra: str) -> httpx.Response:
    form = authorize_params(**extra) | {"username": username, "password": "demo"}
    return client.post("/api/oauth2/auth", data=form | {"action": "allow"})


def code_from(response: httpx.Response) -> str:
    assert response.status_code == 302, response.text
    return parse_qs(urlsplit(response.headers["location"]).query)["code"][0]


def exchange(client: httpx.Client, code: str, secret: str = DEMO_CLIENT_SECRET) -> httpx.Response:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    return client.post("/api/oauth2/token", data=form | _client_auth(secret))


def refresh(client: httpx.Client, refresh_token: str) -> httpx.Response:
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return client.post("/api/oauth2/token", data=form | _client_auth(DEMO_CLIENT_SECRET))


def _client_auth(secret: str) -> dict[str, str]:
    return {"client_id": DEMO_CLIENT_ID, "client_secret": secret}


def tokens(client: httpx.Client) -> dict[str, str]:
    response = exchange(client, code_from(approve(client)))
    assert response.status_code == 200, response.text
    return dict(response.json())


def api(client: httpx.Client, access_token: str, path: str = API) -> httpx.Response:
    headers = {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
    return client.get(path, headers=headers)


def test_consent_page_asks_the_user_to_log_in_and_approve_the_app(client: httpx.Client) -> None:
    page = client.get("/api/oauth2/auth", params=authorize_params())
    assert page.status_code == 200
    assert 'name="password"' in page.text
    assert "LedgerBridge (sandbox)" in page.text
    assert 'value="allow"' in page.text


def test_approval_redirects_with_a_url_encoded_code_and_the_state(client: httpx.Client) -> None:
    answer = approve(client)
    location = answer.headers["location"]
    assert location.startswith(REDIRECT + "?")
    assert "%21" in location and "!" not in location
    assert parse_qs(urlsplit(location).query)["state"] == ["st-1"]
    assert "!" in code_from(answer)


def test_an_unregistered_redirect_uri_is_refused_without_redirecting(client: httpx.Client) -> None:
    params = authorize_params(redirect_uri="https://evil.example/callback")
    page = client.get("/api/oauth2/auth", params=params)
    assert page.status_code == 400
    assert "location" not in page.headers
    assert approve(client, redirect_uri=REDIRECT + "/").status_code == 400


def test_a_wrong_password_shows_the_page_again_without_a_code(client: httpx.Client) -> None:
    form = authorize_params() | {"username": "demo", "password": "nope", "action": "allow"}
    page = client.post("/api/oauth2/auth", data=form)
    assert page.status_code == 200
    assert "incorrect" in page.text
    assert "location" not in page.headers


def test_denying_redirects_with_access_denied_and_the_state(client: httpx.Client) -> None:
    answer = client.post("/api/oauth2/auth", data=authorize_params() | {"action": "deny"})
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    assert query == {"error": ["access_denied"], "state": ["st-1"]}


def test_a_remembered_session_skips_the_login_unless_force_login(client: httpx.Client) -> None:
    approve(client)
    again = client.get("/api/oauth2/auth", params=authorize_params())
    assert "Signed in as" in again.text and 'name="password"' not in again.text
    forced = client.get("/api/oauth2/auth", params=authorize_params(force_login="1"))
    assert 'name="password"' in forced.text
    quick = client.post("/api/oauth2/auth", data=authorize_params() | {"action": "allow"})
    assert exchange(client, code_from(quick)).status_code == 200


def test_the_implicit_grant_puts_an_access_token_in_the_fragment(client: httpx.Client) -> None:
    answer = approve(client, response_type="token")
    fragment = parse_qs(urlsplit(answer.headers["location"]).fragment)
    assert fragment["expires_in"] == ["600"] and fragment["state"] == ["st-1"]
    assert "refresh_token" not in fragment
    assert api(client, fragment["access_token"][0]).status_code == 200


def test_code_exchange_answers_bearer_tokens_with_expires_in_as_a_string(
    client: httpx.Client,
) -> None:
    answer = tokens(client)
    assert set(answer) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert answer["token_type"].lower() == "bearer"
    assert answer["expires_in"] == "600"
    assert api(client, answer["access_token"]).status_code == 200


def test_a_code_can_be_exchanged_only_once(client: httpx.Client) -> None:
    code = code_from(approve(client))
    assert exchange(client, code).status_code == 200
    again = exchange(client, code)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_a_code_expires_after_three_minutes(client: httpx.Client, clock: FakeClock) -> None:
    code = code_from(approve(client))
    clock.advance(181)
    assert exchange(client, code).status_code == 400


def test_a_wrong_client_secret_is_refused_as_invalid_client(client: httpx.Client) -> None:
    answer = exchange(client, code_from(approve(client)), secret="guess")
    assert answer.status_code in (400, 401)
    assert answer.json()["error"] == "invalid_client"


def test_client_credentials_may_come_as_http_basic(client: httpx.Client) -> None:
    form = {"grant_type": "authorization_code", "code": code_from(approve(client))}
    answer = client.post(
        "/api/oauth2/token",
        data=form | {"redirect_uri": REDIRECT},
        auth=(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET),
    )
    assert answer.status_code == 200


def test_the_access_token_works_for_600_seconds_only(
    client: httpx.Client, clock: FakeClock
) -> None:
    access = tokens(client)["access_token"]
    clock.advance(599)
    assert api(client, access).status_code == 200
    clock.advance(1)
    assert api(client, access).status_code == 401


def test_refreshing_within_570_seconds_is_refused_and_the_chain_survives(
    client: httpx.Client, clock: FakeClock
) -> None:
    first = tokens(client)
    clock.advance(569)
    early = refresh(client, first["refresh_token"])
    assert early.status_code == 400
    assert early.headers["reason"] == "TooEarlyToRefreshTokens"
    assert early.json() == {
        "error": "access_denied",
        "error_description": "Rate limit exceeded: access_token not expired",
    }
    clock.advance(1)
    assert refresh(client, first["refresh_token"]).status_code == 200


def test_every_refresh_rotates_the_refresh_token(client: httpx.Client, clock: FakeClock) -> None:
    seen = [tokens(client)]
    for _ in range(3):
        clock.advance(590)
        answer = refresh(client, seen[-1]["refresh_token"])
        assert answer.status_code == 200
        seen.append(answer.json())
    assert len({t["refresh_token"] for t in seen}) == 4
    assert api(client, seen[-1]["access_token"]).status_code == 200


def test_reusing_an_old_refresh_token_kills_the_whole_chain(
    client: httpx.Client, clock: FakeClock
) -> None:
    first = tokens(client)
    clock.advance(590)
    second = refresh(client, first["refresh_token"]).json()
    reuse = refresh(client, first["refresh_token"])
    assert reuse.status_code == 401
    assert reuse.json() == {
        "error": "unauthorized_client",
        "error_description": "Old refresh token used.",
    }
    clock.advance(590)
    assert refresh(client, second["refresh_token"]).status_code == 401
    assert api(client, second["access_token"]).status_code == 401
    assert api(client, tokens(client)["access_token"]).status_code == 200


def test_a_refresh_token_unused_for_30_days_expires(client: httpx.Client, clock: FakeClock) -> None:
    first = tokens(client)
    clock.advance(timedelta(days=30))
    expired = refresh(client, first["refresh_token"])
    assert expired.status_code == 400
    assert expired.json()["error"] == "invalid_request"
    pattern = r"The refresh token expired at .+ and it is now .+\."
    assert re.fullmatch(pattern, expired.json()["error_description"])


def test_a_refresh_every_few_days_keeps_the_chain_alive_past_30_days(
    client: httpx.Client, clock: FakeClock
) -> None:
    current = tokens(client)
    for _ in range(10):
        clock.advance(timedelta(days=5))
        answer = refresh(client, current["refresh_token"])
        assert answer.status_code == 200
        current = answer.json()
    assert api(client, current["access_token"]).status_code == 200


def test_a_new_consent_kills_the_previous_chain_of_that_user_and_app(
    client: httpx.Client, clock: FakeClock
) -> None:
    staging = tokens(client)
    production = tokens(client)
    clock.advance(590)
    assert refresh(client, staging["refresh_token"]).status_code == 401
    assert refresh(client, production["refresh_token"]).status_code == 200


def test_token_calls_are_capped_at_200_per_app_per_user_per_day(
    client: httpx.Client, sandbox: Sandbox, clock: FakeClock
) -> None:
    for _ in range(200):
        sandbox.auth.connect("demo")
    capped = exchange(client, code_from(approve(client)))
    assert capped.status_code == 400
    assert capped.json()["error"] == "access_denied"
    user = sandbox.user_by_name("demo")
    assert sandbox.auth.token_calls(DEMO_CLIENT_ID, user.user_id) == 201
    clock.set(datetime(2026, 11, 3, 0, 0, tzinfo=UTC))
    assert exchange(client, code_from(approve(client))).status_code == 200


def test_too_many_token_errors_in_an_hour_block_the_token_endpoint(
    client: httpx.Client, clock: FakeClock
) -> None:
    first = tokens(client)
    for _ in range(11):
        assert refresh(client, first["refresh_token"]).status_code == 400
    clock.advance(590)
    blocked = refresh(client, first["refresh_token"])
    assert blocked.status_code == 403
    assert blocked.headers["reason"] == "TooManyErrors"
    clock.advance(timedelta(hours=1))
    assert refresh(client, first["refresh_token"]).status_code == 200


def test_a_missing_or_unknown_token_gets_401_with_exacts_json_error_when_html_401_is_off(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    sandbox.settings.html_401 = False
    assert client.get(API, headers={"Accept": "application/json"}).status_code == 401
    unknown = api(client, "gAAAAAnotatoken")
    assert unknown.status_code == 401
    assert "error" in unknown.json()


def test_by_default_a_401_answers_with_exacts_login_redirect_page(
    client: httpx.Client, sandbox: Sandbox, clock: FakeClock
) -> None:
    assert sandbox.settings.html_401 is True
    access = tokens(client)["access_token"]
    clock.advance(600)
    page = api(client, access)
    assert page.status_code == 401
    assert "location" not in page.headers  # a 401 with the redirect page as its body, §1.6
    assert page.headers["www-authenticate"] == 'Bearer realm="Exact Online"'
    assert page.headers["content-type"].startswith("text/html")
    assert "Object moved" in page.text and "/docs/Login.aspx?ReturnUrl=/api/v1/" in page.text
    assert client.get(API).headers["content-type"].startswith("text/html")  # no token at all


@pytest.mark.parametrize(
    ("change", "reason"),
    [({"blocked": True}, "BlockedUser"), ({"active": False}, "InactiveUser")],
)
def test_a_blocked_or_inactive_user_gets_403_with_the_reason(
    client: httpx.Client, sandbox: Sandbox, change: dict[str, bool], reason: str
) -> None:
    access = tokens(client)["access_token"]
    for name, value in change.items():
        setattr(sandbox.user_by_name("demo"), name, value)
    answer = api(client, access)
    assert answer.status_code == 403
    assert answer.headers["reason"] == reason


def test_a_division_the_user_may_not_access_gets_403_no_division_access(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    access = tokens(client)["access_token"]
    sandbox.user_by_name("demo").divisions.remove(DEMO_DIVISION)
    answer = api(client, access)
    assert answer.status_code == 403
    assert answer.headers["reason"] == "NoDivisionAccess"


def test_listing_divisions_does_not_check_the_division_in_the_path(client: httpx.Client) -> None:
    access = tokens(client)["access_token"]
    answer = api(client, access, "/api/v1/1/system/Divisions?$select=Code,Description")
    assert answer.status_code == 200
    codes = {row["Code"] for row in answer.json()["d"]["results"]}
    assert DEMO_DIVISION in codes


def test_a_blocked_division_gets_403_division_blocked(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    access = tokens(client)["access_token"]
    sandbox.divisions[DEMO_DIVISION].blocking_status = 1
    answer = api(client, access)
    assert answer.status_code == 403
    assert answer.headers["reason"] == "DivisionBlocked"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/v1/3101010/crm/Accounts", (3101010, "crm/Accounts")),
        ("/sandbox/api/v1/7/purchaseentry/PurchaseEntries(guid'ab-cd')", (7, ENTRIES_ENDPOINT)),
        ("/api/v1/7/financial/GLAccounts/$count", (7, "financial/GLAccounts")),
        ("/api/v1/current/Me", (None, "current/Me")),
        ("/docs/Login.aspx", (None, "")),
    ],
)
def test_api_paths_name_the_division_and_endpoint_the_error_budget_counts(
    path: str, expected: tuple[int | None, str]
) -> None:
    assert parse_api_path(path) == expected


def test_racing_refreshes_with_one_token_leave_one_winner_and_a_dead_chain(
    client: httpx.Client, clock: FakeClock
) -> None:
    first = tokens(client)
    clock.advance(590)
    answers: list[httpx.Response] = []
    lock = threading.Lock()

    def refresh_once() -> None:
        answer = refresh(client, first["refresh_token"])
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=refresh_once) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = [answer.status_code for answer in answers]
    assert statuses.count(200) == 1
    # The losers' errors also exhaust the token endpoint's hourly error budget (403).
    assert statuses.count(401) >= 10 and set(statuses) == {200, 401, 403}
    winner = next(answer.json() for answer in answers if answer.status_code == 200)
    clock.advance(timedelta(hours=1))
    assert refresh(client, winner["refresh_token"]).status_code == 401
