"""OData v2 as Exact serves it (EXACT_API.md §2): paging, $select rules, filters, shapes,
content negotiation, and Exact's answers to malformed queries."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from exact_sandbox.app import create_sandbox_app

from .sandbox_api import BASE, DIVISION, Api, error_text, gl, make_sandbox, supplier


@pytest.fixture
def api() -> Api:
    return Api(make_sandbox())


def _add_gl_accounts(api: Api, count: int) -> None:
    rows = (
        {"Code": f"{600000 + n}", "Description": f"Extra {n}", "Type": 121, "BalanceType": "W"}
        for n in range(count)
    )
    api.sandbox.store.insert_many(DIVISION, "financial/GLAccounts", rows)


def test_paging_2500_gl_accounts_via_next_returns_each_exactly_once(api: Api) -> None:
    _add_gl_accounts(api, 2500 - len(api.sandbox.store.rows(DIVISION, "financial/GLAccounts")))
    url, seen, pages = "financial/GLAccounts?$select=ID,Code", [], 0
    while url:
        data = api.get(url).json()["d"]
        assert len(data["results"]) <= 60
        seen += [row["ID"] for row in data["results"]]
        url, pages = data.get("__next"), pages + 1
    assert len(seen) == len(set(seen)) == 2500
    assert pages == 42


def test_bulk_pages_1000_and_requires_select(api: Api) -> None:
    _add_gl_accounts(api, 1500)
    refused = api.get("bulk/Financial/GLAccounts?$top=1")
    assert refused.status_code == 400
    assert error_text(refused) == "Please add a $select or a $top=1 statement to the query string."
    first = api.get("bulk/Financial/GLAccounts?$select=ID").json()["d"]
    assert len(first["results"]) == 1000 and "$skiptoken=guid'" in first["__next"]


def test_regular_list_without_select_is_refused_but_top_1_is_allowed(api: Api) -> None:
    refused = api.get("crm/Accounts")
    assert refused.status_code == 400
    assert "Please add a $select or a $top=1" in error_text(refused)
    assert len(api.results("crm/Accounts?$top=1")) == 1


def test_next_link_keeps_the_mount_prefix() -> None:
    sandbox = make_sandbox()
    outer = Starlette(routes=[Mount("/exact", app=create_sandbox_app(sandbox))])
    client = TestClient(outer, base_url=BASE)
    token = sandbox.auth.connect("demo")["access_token"]
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    url = f"{BASE}/exact/api/v1/{DIVISION}/crm/Accounts?$select=ID"
    data = client.get(url, headers=headers).json()["d"]
    assert data["__next"].startswith(f"{BASE}/exact/api/v1/{DIVISION}/crm/Accounts?")
    assert client.get(data["__next"], headers=headers).status_code == 200


def test_top_orderby_inlinecount_and_count(api: Api) -> None:
    data = api.get("financial/GLAccounts?$select=Code&$orderby=Code desc&$top=3"
                   "&$inlinecount=allpages").json()["d"]  # fmt: skip
    assert [r["Code"] for r in data["results"]] == ["9300", "9200", "9100"]
    assert data["__count"] == "197" and "__next" not in data
    count = api.get("financial/GLAccounts/$count?$filter=IsBlocked eq true")
    assert count.status_code == 200 and count.text == "2"


def test_top_larger_than_a_page_continues_with_the_rest_of_top(api: Api) -> None:
    data = api.get("crm/Accounts?$select=ID&$top=100").json()["d"]
    assert len(data["results"]) == 60 and "$top=40" in data["__next"]
    rest = api.get(data["__next"]).json()["d"]
    assert len(rest["results"]) == 40 and "__next" not in rest


def test_account_codes_are_right_aligned_and_trim_finds_them(api: Api) -> None:
    padded = api.results("crm/Accounts?$select=Code,Name&$filter=Code eq '                 6'")
    trimmed = api.results("crm/Accounts?$select=Code,Name&$filter=trim(Code) eq '6'")
    assert [r["Name"] for r in padded] == [r["Name"] for r in trimmed] == ["Coolblue"]
    assert padded[0]["Code"] == "                 6"
    assert api.results("crm/Accounts?$select=Name&$filter=Code eq '6'") == []


def test_filters_on_guid_datetime_quotes_and_numbers(api: Api) -> None:
    one = api.results(f"financial/GLAccounts?$select=Code&$filter=ID eq guid'{gl('4230')}'")
    assert [r["Code"] for r in one] == ["4230"]
    new = api.results("crm/Accounts?$select=Name&$filter=Modified ge datetime'2026-11-02T00:00:00'"
                      " and (Country eq 'IE' or Country eq 'US') and Blocked eq false")  # fmt: skip
    assert {r["Name"] for r in new} >= {"Atlassian", "GitHub"}
    api.sandbox.store.insert(DIVISION, "crm/Accounts", {"Name": "Pete's Bar", "IsSupplier": True})
    quoted = api.results("crm/Accounts?$select=Name&$filter=Name eq 'Pete''s Bar'")
    assert [r["Name"] for r in quoted] == ["Pete's Bar"]


def test_dates_are_epoch_milliseconds_and_amounts_numbers(api: Api) -> None:
    row = api.results("vat/VATCodes?$select=Code,Percentage,Modified&$filter=Code eq '2'")[0]
    assert row["Modified"] == "/Date(1793610000000)/"
    assert row["Percentage"] == 0.21


def test_vat_percentages_are_deferred_unless_expanded(api: Api) -> None:
    plain = api.results("vat/VATCodes?$select=Code,VATPercentages&$filter=Code eq '4'")[0]
    assert "__deferred" in plain["VATPercentages"]
    expanded = api.results("vat/VATCodes?$select=Code,VATPercentages&$expand=VATPercentages"
                           "&$filter=Code eq '4'")[0]  # fmt: skip
    rates = [p["Percentage"] for p in expanded["VATPercentages"]["results"]]
    assert rates == [0.06, 0.09]


def test_sync_endpoints_only_accept_the_timestamp_filter(api: Api) -> None:
    refused = api.get("sync/CRM/Accounts?$select=ID&$filter=Name eq 'Jumbo'")
    assert refused.status_code == 400
    rows = api.get("sync/CRM/Accounts?$select=ID,Timestamp&$filter=Timestamp gt 1").json()["d"]
    stamps = [r["Timestamp"] for r in rows["results"]]
    assert stamps == sorted(stamps) and len(stamps) == 202


def test_mandatory_filtering_when_set_leaves_only_filtered_or_sync_reads() -> None:
    api = Api(make_sandbox(mandatory_filtering=True))
    for path in ("crm/Accounts?$select=ID", "bulk/Financial/GLAccounts?$select=ID"):
        refused = api.get(path)
        assert refused.status_code == 400
        assert "$filter is mandatory" in error_text(refused)
    assert api.get("crm/Accounts?$select=ID&$filter=Name eq 'Jumbo'").status_code == 200
    assert api.get("sync/CRM/Accounts?$select=ID&$filter=Timestamp gt 1").status_code == 200
    assert api.get("vat/VATCodes?$select=Code").status_code == 200  # no sync endpoint
    assert api.get(f"crm/Accounts(guid'{supplier(6)}')").status_code == 200
    assert Api(make_sandbox()).get("crm/Accounts?$select=ID").status_code == 200


def test_json_only_when_asked_for(api: Api) -> None:
    atom = api.get("crm/Accounts?$select=Name&$top=1", Accept="*/*")
    assert atom.status_code == 200
    assert atom.headers["content-type"].startswith("application/atom+xml")
    assert atom.text.startswith("<?xml")
    xml = api.get("crm/Accounts?$select=Name&$top=1", Accept="application/xml")
    assert xml.status_code == 415


MALFORMED_QUERIES = [
    ("syntax", "Code eq", "Expression expected"),
    ("unbalanced parenthesis", "(Code eq '1'", "')' expected"),
    ("unknown property", "Kode eq '1'", "No property 'Kode' exists"),
    ("bad guid literal", "ID eq guid'not-a-guid'", "Unrecognized 'Edm.Guid' literal"),
    ("bad datetime literal", "Modified ge datetime'2026-13-45T00:00:00'",
     "Unrecognized 'Edm.DateTime' literal"),
    ("type mismatch", "ID eq '4230'",
     "incompatible with operand types 'Edm.Guid' and 'Edm.String'"),
    ("unterminated string", "Code eq '4230", "Syntax error"),
    ("substringof", "substringof('42', Code)", "Not Implemented"),
    ("unknown function", "frobnicate(Code) eq '1'", "Unknown function 'frobnicate'"),
    ("navigation property", "Lines/AmountFC gt 0", "navigation property"),
    ("field versus field", "Code eq Description", "comparing a property with another"),
    ("arithmetic", "Type add 1 eq 2", "Not Implemented"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("expression", "expected"),
    [(c[1], c[2]) for c in MALFORMED_QUERIES],
    ids=[c[0] for c in MALFORMED_QUERIES],
)
def test_malformed_filter_is_a_400_with_exacts_text(
    api: Api, expression: str, expected: str
) -> None:
    response = api.get(f"financial/GLAccounts?$select=Code&$filter={expression}")
    assert response.status_code == 400
    assert expected in error_text(response)


BAD_OPTIONS = [
    ("unknown select field", "$select=Code,Nope", "No property 'Nope'"),
    ("negative top", "$select=Code&$top=-1", "$top must be a non-negative integer"),
    ("unknown option", "$select=Code&$frobnicate=1", "system-reserved '$' character"),
    ("bad skiptoken", "$select=Code&$skiptoken=banana", "Skip token"),
    ("bad expand", "$select=Code&$expand=Lines", "No property 'Lines'"),
]


@pytest.mark.parametrize(
    ("query", "expected"), [(c[1], c[2]) for c in BAD_OPTIONS], ids=[c[0] for c in BAD_OPTIONS]
)
def test_bad_query_option_is_a_400(api: Api, query: str, expected: str) -> None:
    response = api.get(f"financial/GLAccounts?{query}")
    assert response.status_code == 400
    assert expected in error_text(response)


def test_malformed_key_is_a_400(api: Api) -> None:
    response = api.get("financial/GLAccounts(guid'4230')")
    assert response.status_code == 400
    assert "Unrecognized 'Edm.Guid' literal" in error_text(response)
    assert api.get("financial/GLAccounts(4230)").status_code == 400
