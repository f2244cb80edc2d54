"""OAuth: the authorize URL, the code exchange and the refresh, and every token-endpoint error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from ledgerbridge.exact.errors import (
    ExactAuthLost,
    ExactRateLimited,
    ExactTokenError,
    TokenCallsExhausted,
    TokenChainLost,
    TokenEndpointUnavailable,
    TooEarlyToRefresh,
)
from ledgerbridge.exact.hosts import base_url_for
from ledgerbridge.exact.oauth import authorize_url, exchange_code, refresh_tokens

BASE = "https://start.exactonline.co.uk"
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
TOKENS = {"access_token": "A2", "token_type": "bearer", "expires_in": "600", "refresh_token": "R2"}


def client(handler, seen: list[httpx.Request] | None = None) -> httpx.Client:
    def record(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return handler(request)

    return httpx.Client(transport=httpx.MockTransport(record))


def form(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


def test_the_authorize_url_asks_for_a_code_with_our_state():
    url = authorize_url(BASE, "cid", "https://app.example/cb", "s-1", force_login=True)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{BASE}/api/oauth2/auth"
    assert parse_qs(parts.query) == {
        "client_id": ["cid"], "redirect_uri": ["https://app.example/cb"],
        "response_type": ["code"], "state": ["s-1"], "force_login": ["1"],
    }  # fmt: skip


def test_a_url_encoded_code_is_decoded_before_it_is_exchanged():
    seen: list[httpx.Request] = []
    http = client(lambda r: httpx.Response(200, json=TOKENS), seen)
    tokens = exchange_code(http, BASE, "cid", "secret", "https://app/cb", "stam%21IAAA%21x", NOW)
    sent = form(seen[0])
    assert str(seen[0].url) == f"{BASE}/api/oauth2/token"
    assert sent["code"] == "stam!IAAA!x"
    assert sent["grant_type"] == "authorization_code"
    assert sent["redirect_uri"] == "https://app/cb"
    assert (tokens.access_token, tokens.refresh_token) == ("A2", "R2")
    assert tokens.expires_at == NOW + timedelta(seconds=600)
    assert tokens.issued_at == NOW


def test_a_refresh_sends_the_refresh_token_without_a_redirect_uri():
    seen: list[httpx.Request] = []
    tokens = refresh_tokens(client(lambda r: httpx.Response(200, json=TOKENS), seen),
                            BASE, "cid", "secret", "R1", NOW)  # fmt: skip
    assert form(seen[0]) == {"grant_type": "refresh_token", "refresh_token": "R1",
                             "client_id": "cid", "client_secret": "secret"}  # fmt: skip
    assert tokens.refresh_token == "R2"


@pytest.mark.parametrize(
    ("status", "body", "headers"),
    [
        (400, {"error": "access_denied",
               "error_description": "Rate limit exceeded: access_token not expired"},
         {"Reason": "TooEarlyToRefreshTokens"}),
        (401, {"error": "unauthorized_client", "error_description": "Access Token not expired"},
         {}),
    ],
)  # fmt: skip
def test_refreshing_too_early_is_recognised_in_old_and_new_forms(status, body, headers):
    http = client(lambda r: httpx.Response(status, json=body, headers=headers))
    with pytest.raises(TooEarlyToRefresh):
        refresh_tokens(http, BASE, "cid", "secret", "R1", NOW)


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (401, {"error": "unauthorized_client", "error_description": "Old refresh token used."}),
        (400, {"error": "invalid_request", "error_description":
               "The refresh token expired at 2026-10-01 and it is now 2026-11-02."}),
        (400, {"error": "invalid_grant", "error_description": "consent revoked"}),
    ],
)  # fmt: skip
def test_a_dead_refresh_chain_means_the_authorisation_is_lost(status, body):
    http = client(lambda r: httpx.Response(status, json=body))
    with pytest.raises(ExactAuthLost) as raised:
        refresh_tokens(http, BASE, "cid", "secret", "R1", NOW)
    assert isinstance(raised.value, TokenChainLost)
    assert raised.value.reason == body["error_description"]
    assert str(raised.value) == f"Exact authorisation lost: {body['error_description']}"
    assert raised.value.status == status


def test_the_daily_token_cap_at_exact_waits_for_midnight_and_keeps_the_chain():
    body = {"error": "access_denied", "error_description":
            "Rate limit exceeded: maximum number of token requests per day reached"}  # fmt: skip
    answer = httpx.Response(400, json=body, headers={"Reason": "TooManyTokenRequests"})
    with pytest.raises(TokenCallsExhausted) as raised:
        refresh_tokens(client(lambda r: answer), BASE, "cid", "secret", "R1", NOW)
    assert isinstance(raised.value, ExactRateLimited) and raised.value.window == "day"
    assert raised.value.retry_at == NOW.replace(hour=0, minute=0, second=0) + timedelta(days=1)
    assert not isinstance(raised.value, ExactAuthLost)


def test_a_refresh_token_returned_with_an_error_is_handed_to_the_caller():
    body = {"error": "access_denied", "error_description": "access_token not expired",
            "refresh_token": "R9"}  # fmt: skip
    http = client(lambda r: httpx.Response(400, json=body))
    with pytest.raises(ExactTokenError) as raised:
        refresh_tokens(http, BASE, "cid", "secret", "R1", NOW)
    assert raised.value.refresh_token == "R9"


def test_an_unreachable_token_endpoint_is_retryable_and_not_a_lost_chain():
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    with pytest.raises(TokenEndpointUnavailable) as raised:
        refresh_tokens(client(down), BASE, "cid", "secret", "R1", NOW)
    assert raised.value.retryable
    assert not isinstance(raised.value, ExactAuthLost)
    assert isinstance(raised.value.__cause__, httpx.ConnectError)


def test_a_token_answer_without_tokens_is_an_error_not_a_crash():
    http = client(lambda r: httpx.Response(200, json={"token_type": "bearer"}))
    with pytest.raises(ExactTokenError):
        exchange_code(http, BASE, "cid", "secret", "https://app/cb", "c", NOW)


def test_tokens_never_appear_in_their_repr():
    http = client(lambda r: httpx.Response(200, json=TOKENS))
    tokens = refresh_tokens(http, BASE, "cid", "secret", "R1", NOW)
    assert "A2" not in repr(tokens) and "R2" not in repr(tokens)


def test_regions_map_to_exacts_country_hosts_and_a_custom_url_wins():
    assert base_url_for("UK", None) == "https://start.exactonline.co.uk"
    assert base_url_for("nl", "http://sandbox.local:8001/") == "http://sandbox.local:8001"
    with pytest.raises(ValueError):
        base_url_for("xx", None)
