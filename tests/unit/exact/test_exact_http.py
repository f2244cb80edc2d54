"""ExactHttp: headers, the status → exception mapping, retries and the error budget."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from exact_harness import Harness

from ledgerbridge.exact.errors import (
    ExactAuthLost,
    ExactBudgetExhausted,
    ExactError,
    ExactForbidden,
    ExactNotFound,
    ExactOutcomeUnknown,
    ExactRateLimited,
    ExactRejected,
    ExactUnavailable,
)
from ledgerbridge.exact.http import endpoint_of

OK = {"d": {"results": [{"ID": "a"}]}}


def exact_error(status: int, text: str, lang: str = "en-US") -> httpx.Response:
    body = {"error": {"code": "", "message": {"lang": lang, "value": text}}}
    return httpx.Response(status, json=body)


def ms(instant: datetime) -> str:
    return str(int(instant.timestamp() * 1000))


def test_every_call_carries_exacts_headers_and_posts_ask_for_the_created_record(harness: Harness):
    http = harness.http(lambda r: httpx.Response(201, json={"d": {"ID": "x"}}))
    http.get("123/financial/GLAccounts", {"$select": "ID,Code", "$filter": "Code eq 'a b'"})
    http.post("123/documents/Documents", {"Subject": "Receipt", "AmountFC": Decimal("12.34")})
    read, write = harness.requests
    assert read.headers["Accept"] == "application/json"
    assert read.headers["Authorization"] == "Bearer access-1"
    assert "Prefer" not in read.headers
    assert str(read.url) == (
        "https://start.exactonline.nl/api/v1/123/financial/GLAccounts"
        "?$select=ID,Code&$filter=Code%20eq%20'a%20b'"
    )
    assert write.headers["Content-Type"] == "application/json"
    assert write.headers["Prefer"] == "return=representation"
    assert json.loads(write.content) == {"Subject": "Receipt", "AmountFC": 12.34}


def test_a_validation_error_keeps_exacts_message_and_language_and_is_not_retried(harness):
    http = harness.http(lambda r: exact_error(400, "Verplicht: Dagboek", "nl-NL"))
    with pytest.raises(ExactRejected) as raised:
        http.post("123/purchaseentry/PurchaseEntries", {})
    assert (raised.value.message, raised.value.language, raised.value.status) == (
        "Verplicht: Dagboek", "nl-NL", 400)  # fmt: skip
    assert len(harness.requests) == 1


def test_a_write_500_with_dutch_validation_text_has_an_unknown_outcome_carrying_the_rejection(
    harness,
):
    # EXACT_API.md §2.6: a 500 may be a validation failure or a fault after the write, so
    # the outcome is unknown until a lookup by our reference; the rejection travels along.
    text = "Periode is afgesloten\nOngeldig: Grootboekrekeningtype"
    http = harness.http(lambda r: exact_error(500, text, "nl-NL"))
    with pytest.raises(ExactOutcomeUnknown) as raised:
        http.post("123/purchaseentry/PurchaseEntries", {})
    assert raised.value.status == 500
    rejection = raised.value.rejection
    assert rejection is not None and "Periode is afgesloten" in rejection.message
    assert (rejection.language, rejection.status) == ("nl-NL", 500)
    assert "Periode is afgesloten" in raised.value.message
    assert len(harness.requests) == 1


@pytest.mark.parametrize(
    "answer",
    [
        exact_error(500, "An unexpected error occurred."),
        httpx.Response(500, text="<html><body>Internal Server Error</body></html>"),
        exact_error(502, "Mandatory: Journal"),
        httpx.Response(504, text="<html>Gateway Time-out</html>"),
    ],
)
def test_a_write_5xx_that_is_not_exacts_validation_text_carries_no_rejection(harness, answer):
    http = harness.http(lambda r: answer)
    with pytest.raises(ExactOutcomeUnknown) as raised:
        http.post("123/purchaseentry/PurchaseEntries", {})
    assert raised.value.rejection is None
    assert len(harness.requests) == 1


def test_a_read_500_with_exacts_text_is_still_a_rejection(harness):
    http = harness.http(lambda r: exact_error(500, "Ongeldig: Grootboekrekeningtype", "nl-NL"))
    with pytest.raises(ExactRejected) as raised:
        http.get("123/financial/GLAccounts")
    assert raised.value.status == 500


@pytest.mark.parametrize(
    "fault",
    [
        exact_error(500, "An unexpected error occurred."),
        httpx.Response(500, text="<html><body>Internal Server Error</body></html>"),
    ],
    ids=["exacts-fault-text", "bare-500"],
)
def test_a_read_500_that_is_a_server_fault_is_transient_and_retried(harness, fault):
    # Nothing to fix in a GET: Exact's "unexpected error" is its fault, not our content.
    answers = iter([fault, httpx.Response(200, json=OK)])
    http = harness.http(lambda r: next(answers))
    assert http.get("123/financial/GLAccounts") == OK
    assert len(harness.requests) == 2
    http = harness.http(lambda r: fault)
    with pytest.raises(ExactUnavailable) as raised:
        http.get("123/financial/GLAccounts")
    assert raised.value.status == 500


LOGIN_PAGE = (
    "<html><head><title>Object moved</title></head><body>\r\n"
    '<h2>Object moved to <a href="/docs/Login.aspx?ReturnUrl=%2Fapi%2Fv1%2F123">here</a>.</h2>'
    "\r\n</body></html>\r\n"
)


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (exact_error(401, "Unauthorized"), "Unauthorized"),
        (httpx.Response(401, text=LOGIN_PAGE, headers={"Content-Type": "text/html"}),
         "Exact answered with its login page"),
        (httpx.Response(401, text=LOGIN_PAGE), "Exact rejected the access token"),
        (httpx.Response(302, headers={"Location": "https://start.exactonline.nl/docs/Login.aspx"}),
         "Exact redirected to its login page"),
    ],
    ids=["json-401", "html-401", "text-401", "302-to-login"],
)  # fmt: skip
def test_a_json_401_an_html_login_page_and_a_login_redirect_all_mean_the_authorisation_is_lost(
    harness: Harness, answer: httpx.Response, reason: str
) -> None:
    http = harness.http(lambda r: answer)
    with pytest.raises(ExactAuthLost) as raised:
        http.get("123/financial/GLAccounts")
    assert raised.value.reason == reason
    assert harness.tokens.rejected == [reason]  # the token chain is told, exactly once
    assert len(harness.requests) == 1


@pytest.mark.parametrize("reason", ["NoDivisionAccess", "BlockedUser", "LicenseExpired"])
def test_a_403_names_exacts_reason(harness, reason):
    http = harness.http(lambda r: httpx.Response(403, headers={"Reason": reason}))
    with pytest.raises(ExactForbidden) as raised:
        http.get("123/financial/GLAccounts")
    assert raised.value.reason == reason
    assert len(harness.requests) == 1


def test_a_403_is_reported_with_its_endpoint_before_it_is_raised(harness):
    http = harness.http(lambda r: httpx.Response(403, headers={"Reason": "NoDivisionAccess"}))
    reported: list[tuple[str, str]] = []
    http.on_forbidden = lambda endpoint, error: reported.append((endpoint, error.reason))
    with pytest.raises(ExactForbidden):
        http.get("123/financial/Journals(guid'x')")
    assert reported == [("123/financial/Journals", "NoDivisionAccess")]


def test_rate_headers_of_a_call_without_a_division_do_not_touch_the_divisions_budget(harness):
    reset = ms(harness.clock.now().replace(second=0, microsecond=0) + timedelta(minutes=1))
    headers = {"X-RateLimit-Minutely-Remaining": "3", "X-RateLimit-Minutely-Reset": reset}
    http = harness.http(lambda r: httpx.Response(200, json=OK, headers=headers))
    http.get("current/Me")
    assert harness.store.remaining("client:123", harness.clock.now())[0] == 59
    http.get("123/system/Divisions")
    assert harness.store.remaining("client:123", harness.clock.now())[0] == 3


def test_a_404_is_not_found_and_not_retried(harness):
    http = harness.http(lambda r: exact_error(404, "Not found"))
    with pytest.raises(ExactNotFound):
        http.get("123/financial/GLAccounts(guid'00000000-0000-0000-0000-000000000001')")
    assert len(harness.requests) == 1


def test_a_minute_429_waits_until_the_reset_it_names_then_succeeds(harness: Harness):
    reset = harness.clock.now() + timedelta(seconds=37)
    answers = iter([
        httpx.Response(429, headers={"X-RateLimit-Minutely-Remaining": "0",
                                     "X-RateLimit-Minutely-Reset": ms(reset)}),
        httpx.Response(200, json=OK),
    ])  # fmt: skip
    http = harness.http(lambda r: next(answers))
    assert http.get("123/financial/GLAccounts") == OK
    assert harness.clock.now() == reset
    assert len(harness.requests) == 2


def test_a_429_without_headers_waits_for_the_next_whole_minute(harness: Harness):
    harness.clock.set(datetime(2026, 11, 2, 9, 0, 12, tzinfo=UTC))
    answers = iter([httpx.Response(429), httpx.Response(200, json=OK)])
    http = harness.http(lambda r: next(answers))
    http.get("123/financial/GLAccounts")
    assert harness.clock.now() == datetime(2026, 11, 2, 9, 1, tzinfo=UTC)


def test_a_day_429_gives_up_at_once_and_says_when_to_come_back(harness: Harness):
    midnight = datetime(2026, 11, 3, tzinfo=UTC)
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": ms(midnight)}
    http = harness.http(lambda r: httpx.Response(429, headers=headers))
    with pytest.raises(ExactRateLimited) as raised:
        http.post("123/documents/Documents", {"Subject": "x"})
    assert (raised.value.window, raised.value.retry_at) == ("day", midnight)
    assert len(harness.requests) == 1


def test_a_429_storm_ends_in_rate_limited_after_a_bounded_number_of_waits(harness: Harness):
    http = harness.http(lambda r: httpx.Response(429))
    with pytest.raises(ExactRateLimited):
        http.get("123/financial/GLAccounts")
    assert len(harness.requests) == 4  # one call + RetryPolicy.rate_limit_retries


def test_reads_are_retried_on_503_with_exact_jittered_backoff(harness: Harness):
    answers = iter([httpx.Response(503), httpx.Response(502), httpx.Response(200, json=OK)])
    http = harness.http(lambda r: next(answers))
    assert http.get("123/financial/GLAccounts") == OK
    assert harness.sleeps == [0.75, 1.5]


def test_a_read_that_keeps_failing_gives_up_after_the_policys_attempts(harness: Harness):
    http = harness.http(lambda r: httpx.Response(504))
    with pytest.raises(ExactUnavailable):
        http.get("123/financial/GLAccounts")
    assert len(harness.requests) == 4
    assert harness.sleeps == [0.75, 1.5, 3.0]


def test_reads_are_retried_after_a_connection_error(harness: Harness):
    answers = iter([httpx.ConnectError("refused"), httpx.ReadTimeout("slow")])

    def handler(request: httpx.Request) -> httpx.Response:
        failure = next(answers, None)
        if failure is not None:
            raise failure
        return httpx.Response(200, json=OK)

    assert harness.http(handler).get("123/financial/GLAccounts") == OK
    assert len(harness.requests) == 3


@pytest.mark.parametrize(
    "failure",
    [httpx.ReadTimeout("timed out"), httpx.RemoteProtocolError("reset"), httpx.ReadError("x")],
)
def test_a_write_whose_answer_was_lost_is_never_resent(harness: Harness, failure):
    def handler(request: httpx.Request) -> httpx.Response:
        raise failure

    with pytest.raises(ExactOutcomeUnknown) as raised:
        harness.http(handler).post("123/purchaseentry/PurchaseEntries", {"Journal": "60"})
    assert len(harness.requests) == 1
    assert raised.value.__cause__ is failure


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_write_answered_with_a_bare_5xx_has_an_unknown_outcome(harness: Harness, status):
    http = harness.http(lambda r: httpx.Response(status, text="Service Unavailable"))
    with pytest.raises(ExactOutcomeUnknown):
        http.put("123/purchaseentry/PurchaseEntries(guid'1')", {"Document": "d"})
    assert len(harness.requests) == 1


def test_a_write_that_never_connected_is_unavailable_not_unknown_and_not_resent(harness):
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    with pytest.raises(ExactUnavailable) as raised:
        harness.http(handler).delete("123/purchaseentry/PurchaseEntries(guid'1')")
    assert not isinstance(raised.value, ExactOutcomeUnknown)
    assert len(harness.requests) == 1


def test_the_error_budget_stops_an_endpoint_at_its_cap_before_exact_blocks_it(harness):
    http = harness.http(lambda r: exact_error(400, "Invalid reference: Cost unit"))
    for _ in range(8):
        with pytest.raises(ExactRejected):
            http.post("123/purchaseentry/PurchaseEntries", {})
    with pytest.raises(ExactBudgetExhausted) as raised:
        http.post("123/purchaseentry/PurchaseEntries", {})
    assert len(harness.requests) == 8
    assert raised.value.retry_at == harness.clock.now() + timedelta(hours=1)
    with pytest.raises(ExactRejected):  # another endpoint still works
        http.post("123/documents/Documents", {})
    harness.clock.advance(timedelta(hours=1))
    with pytest.raises(ExactRejected):
        http.post("123/purchaseentry/PurchaseEntries", {})


def test_a_next_link_to_another_host_is_refused_so_the_token_never_leaves_exact(harness):
    http = harness.http(lambda r: httpx.Response(200, json=OK))
    with pytest.raises(ExactError):
        http.get_url("https://evil.example.com/api/v1/123/financial/GLAccounts?$skiptoken=x")
    assert harness.requests == []


def test_endpoints_are_counted_without_entity_keys_or_query():
    url = "https://h/api/v1/123/purchaseentry/PurchaseEntries(guid'ab')?$select=EntryID"
    assert endpoint_of(url) == "123/purchaseentry/PurchaseEntries"
