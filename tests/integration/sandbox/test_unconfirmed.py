"""Each UNCONFIRMED behaviour (EXACT_API.md) is a setting with both answers; these tests
pin both, and the default (the documented answer, else the one harder on a client)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from exact_sandbox.core import SandboxHTTPError, SandboxSettings
from exact_sandbox.seed import SECOND_DIVISION, guid

from .sandbox_api import Api, error_text, gl, make_sandbox, purchase

ENTRIES = "purchaseentry/PurchaseEntries"
LINES = "financialtransaction/BankEntryLines"
ACCOUNTS = "financial/GLAccounts?$select=ID,Code&$top=1"
MISSING = "financial/GLAccounts(guid'00000000-0000-0000-0000-0000000000ab')?$select=ID"


def test_the_defaults_follow_the_rule() -> None:
    settings = SandboxSettings()
    assert settings.retry_after_on_429 is False
    assert settings.filter_external_link_reference is False
    assert settings.filter_bank_line_notes is True  # LedgerBridge needs it (README: conflict)
    assert settings.negative_amounts_credit is True
    assert settings.drop_foreign_references is True
    assert settings.html_503 is True
    assert settings.token_cap_429 is False
    assert settings.blocked_as_429 is False
    assert settings.error_block_per_division is False


@pytest.mark.parametrize("on", [False, True])
def test_a_429_carries_retry_after_only_when_the_setting_is_on(on: bool) -> None:
    api = Api(make_sandbox(minute_limit=1, retry_after_on_429=on))
    api.sandbox.clock.advance(15)  # type: ignore[attr-defined]  # 09:00:15, 45 s to go
    assert api.get(ACCOUNTS).status_code == 200
    refused = api.get(ACCOUNTS)
    assert refused.status_code == 429 and refused.content == b""
    assert refused.headers.get("retry-after") == ("45" if on else None)


@pytest.mark.parametrize("on", [False, True])
def test_external_link_reference_is_filterable_only_when_the_setting_is_on(on: bool) -> None:
    api = Api(make_sandbox(filter_external_link_reference=on))
    assert api.post(ENTRIES, purchase(ExternalLinkReference="lb-1")).status_code == 201
    answer = api.get(f"{ENTRIES}?$select=EntryID&$filter=ExternalLinkReference eq 'lb-1'")
    if on:
        assert answer.status_code == 200 and len(answer.json()["d"]["results"]) == 1
    else:
        assert answer.status_code == 400
        assert "ExternalLinkReference" in error_text(answer)
    # The documented way stays open either way: Supplier + EntryDate, compared by the client.
    rows = api.results(
        f"{ENTRIES}?$select=EntryID,ExternalLinkReference"
        f"&$filter=Supplier eq guid'{purchase()['Supplier']}'"
        " and EntryDate eq datetime'2026-10-15T00:00:00'"
    )
    assert [r["ExternalLinkReference"] for r in rows] == ["lb-1"]


@pytest.mark.parametrize("on", [False, True])
def test_bank_line_notes_are_filterable_only_when_the_setting_is_on(on: bool) -> None:
    api = Api(make_sandbox(filter_bank_line_notes=on))
    answer = api.get(f"{LINES}?$select=ID&$filter=Notes eq 'lb-1/1'")
    assert answer.status_code == (200 if on else 400)


@pytest.mark.parametrize("on", [False, True])
def test_negative_amounts_make_a_credit_note_or_are_refused(on: bool) -> None:
    api = Api(make_sandbox(negative_amounts_credit=on))
    credit = purchase([{"GLAccount": gl("4230"), "AmountFC": -100.0}])
    answer = api.post(ENTRIES, credit)
    if on:
        assert answer.status_code == 201, answer.text
        assert answer.json()["d"]["Type"] == 31
    else:
        assert answer.status_code == 500
        assert error_text(answer) == "Invalid: Amount"
        assert api.results(f"{ENTRIES}?$select=EntryID") == []


@pytest.mark.parametrize("on", [False, True])
def test_a_reference_to_another_divisions_record_is_dropped_or_refused(on: bool) -> None:
    sandbox = make_sandbox(drop_foreign_references=on)
    api = Api(sandbox)
    project = guid(SECOND_DIVISION, "project", "PRJ001")
    assert sandbox.store.get(SECOND_DIVISION, "project/Projects", project) is not None
    document = api.client.post(
        api.url("documents/Documents", SECOND_DIVISION),
        headers=api.headers,
        json={"Subject": "receipt", "Type": 20},
    )
    assert document.status_code == 201, document.text
    foreign_document = document.json()["d"]["ID"]
    body = purchase(
        [{"GLAccount": gl("4230"), "AmountFC": 100.0, "Project": project}],
        Document=foreign_document,
    )
    answer = api.post(ENTRIES, body)
    if on:
        assert answer.status_code == 201, answer.text
        stored = answer.json()["d"]
        assert stored["Document"] is None
        assert stored["PurchaseEntryLines"]["results"][0]["Project"] is None
    else:
        assert answer.status_code == 500
        assert error_text(answer) == "Invalid reference: Project"
        answer = api.post(ENTRIES, purchase(Document=foreign_document))
        assert answer.status_code == 500
        assert error_text(answer) == "Invalid reference: Document"


@pytest.mark.parametrize("on", [False, True])
def test_an_injected_503_is_a_maintenance_page_or_exacts_json(on: bool) -> None:
    sandbox = make_sandbox(html_503=on)
    api = Api(sandbox)
    sandbox.faults.fail(503, count=1)
    answer = api.get(ACCOUNTS)
    assert answer.status_code == 503
    if on:
        assert answer.headers["content-type"].startswith("text/html")
    else:
        assert "unavailable" in error_text(answer)


@pytest.mark.parametrize("on", [False, True])
def test_the_daily_token_cap_is_400_too_many_token_requests_or_429(on: bool) -> None:
    sandbox = make_sandbox(token_cap_429=on)
    for _ in range(200):
        sandbox.auth.connect("demo")
    with pytest.raises(SandboxHTTPError) as refused:
        sandbox.auth.connect("demo")
    if on:
        assert refused.value.status == 429 and refused.value.body == b""
    else:
        assert refused.value.status == 400
        assert refused.value.headers["Reason"] == "TooManyTokenRequests"


def _exhaust_error_budget(api: Api) -> None:
    for _ in range(11):
        assert api.get(MISSING).status_code == 404


@pytest.mark.parametrize("on", [False, True])
def test_a_blocked_endpoint_answers_403_too_many_errors_or_429(on: bool) -> None:
    api = Api(make_sandbox(error_limit_per_hour=10, blocked_as_429=on))
    _exhaust_error_budget(api)
    blocked = api.get(ACCOUNTS)
    if on:
        assert blocked.status_code == 429 and blocked.content == b""
    else:
        assert blocked.status_code == 403 and blocked.headers["reason"] == "TooManyErrors"


@pytest.mark.parametrize("on", [False, True])
def test_the_error_block_covers_one_endpoint_or_the_whole_division(on: bool) -> None:
    sandbox = make_sandbox(error_limit_per_hour=10, error_block_per_division=on)
    api = Api(sandbox)
    _exhaust_error_budget(api)
    assert api.get(ACCOUNTS).status_code == 403  # the failing endpoint itself
    other = api.get("crm/Accounts?$select=ID&$top=1")
    assert other.status_code == (403 if on else 200)
    sandbox.clock.advance(timedelta(hours=1).total_seconds())  # type: ignore[attr-defined]
    api = Api(sandbox)  # a fresh token: the old one expired meanwhile
    assert api.get(ACCOUNTS).status_code == 200


def test_the_new_settings_are_changed_through_the_control_api() -> None:
    sandbox = make_sandbox()
    api = Api(sandbox)
    answer = api.client.post("/_sandbox/settings", json={"retry_after_on_429": True})
    assert answer.status_code == 200 and answer.json()["retry_after_on_429"] is True
    assert sandbox.settings.retry_after_on_429 is True
