"""The REST resources behave as EXACT_API.md §2 and §4 describe: shapes, status codes,
methods, computed fields, and master-data changes a bookkeeper makes in Exact."""

from __future__ import annotations

import pytest

from exact_sandbox.resources import DELETED_ENTITY_TYPES

from .sandbox_api import DIVISION, Api, error_text, gl, make_sandbox, purchase, supplier


@pytest.fixture
def api() -> Api:
    return Api(make_sandbox())


def test_purchase_entry_post_returns_201_with_totals_number_and_type(api: Api) -> None:
    lines = [
        {"GLAccount": gl("4520"), "AmountFC": 23.98, "VATCode": "5"},
        {"GLAccount": gl("4200"), "AmountFC": 7.00, "VATCode": "2"},
    ]
    response = api.post("purchaseentry/PurchaseEntries", purchase(lines))
    assert response.status_code == 201
    entry = response.json()["d"]
    assert entry["AmountFC"] == 32.45  # 22.00 + 1.98 (9 % incl.) + 7.00 + 1.47 (21 % excl.)
    assert entry["VATAmountFC"] == 3.45
    assert entry["EntryNumber"] == 26600001
    assert entry["Type"] == 30 and entry["Status"] == 20
    assert entry["SupplierName"] == "Coolblue"
    assert entry["EntryDate"] == "/Date(1792022400000)/"
    assert [line["AmountFC"] for line in entry["PurchaseEntryLines"]["results"]] == [22.0, 7.0]
    assert response.headers["Location"] == entry["__metadata"]["uri"]


def test_negative_amounts_make_a_credit_note_of_type_31(api: Api) -> None:
    body = purchase([{"GLAccount": gl("4230"), "AmountFC": -100.0, "VATCode": "2"}])
    entry = api.post("purchaseentry/PurchaseEntries", body).json()["d"]
    assert entry["Type"] == 31 and entry["AmountFC"] == -121.0


def test_reverse_charged_vat_does_not_reach_the_supplier_total(api: Api) -> None:
    body = purchase([{"GLAccount": gl("4400"), "AmountFC": 12.0, "VATCode": "7"}])
    entry = api.post("purchaseentry/PurchaseEntries", body).json()["d"]
    assert entry["AmountFC"] == 12.0
    assert entry["PurchaseEntryLines"]["results"][0]["VATAmountFC"] == 2.52


def test_without_prefer_header_the_created_entity_is_mostly_null(api: Api) -> None:
    entry = api.post("purchaseentry/PurchaseEntries", purchase(), full=False).json()["d"]
    assert entry["EntryID"] and entry["Journal"] == "60"
    assert entry["EntryNumber"] is None and entry["AmountFC"] is None


def test_get_expands_lines_only_when_asked(api: Api) -> None:
    created = api.post("purchaseentry/PurchaseEntries", purchase()).json()["d"]
    key = f"purchaseentry/PurchaseEntries(guid'{created['EntryID']}')"
    plain = api.get(f"{key}?$select=EntryID,PurchaseEntryLines").json()["d"]
    assert set(plain["PurchaseEntryLines"]) == {"__deferred"}
    expanded = api.get(f"{key}?$expand=PurchaseEntryLines").json()["d"]
    assert expanded["PurchaseEntryLines"]["results"][0]["GLAccountCode"] == "4230"


def test_client_entry_id_is_honoured_only_when_the_setting_says_so() -> None:
    wanted = "3f6c1a2e-0000-4000-8000-000000000001"
    ignored = Api(make_sandbox()).post("purchaseentry/PurchaseEntries", purchase(EntryID=wanted))
    assert ignored.json()["d"]["EntryID"] != wanted
    honoured = Api(make_sandbox(honour_client_entry_id=True))
    entry = honoured.post("purchaseentry/PurchaseEntries", purchase(EntryID=wanted)).json()["d"]
    assert entry["EntryID"] == wanted
    assert honoured.get(f"purchaseentry/PurchaseEntries(guid'{wanted}')").status_code == 200


def test_a_line_posted_separately_joins_the_entry_and_its_open_item(api: Api) -> None:
    entry = api.post("purchaseentry/PurchaseEntries", purchase()).json()["d"]
    line = {"EntryID": entry["EntryID"], "GLAccount": gl("4200"), "AmountFC": 10.0}
    assert api.post("purchaseentry/PurchaseEntryLines", line).status_code == 201
    key = f"purchaseentry/PurchaseEntries(guid'{entry['EntryID']}')"
    assert api.get(f"{key}?$select=AmountFC").json()["d"]["AmountFC"] == 133.1
    payables = api.results("read/financial/PayablesList?$select=Amount")
    assert [p["Amount"] for p in payables] == [133.1]
    assert (
        api.put(f"purchaseentry/PurchaseEntryLines(guid'{entry['EntryID']}')", {}).status_code
        == 405
    )


def test_document_attached_later_by_put_answers_204_with_empty_body(api: Api) -> None:
    entry = api.post("purchaseentry/PurchaseEntries", purchase()).json()["d"]
    document = api.post("documents/Documents", {"Subject": "Receipt", "Type": 20}).json()["d"]
    key = f"purchaseentry/PurchaseEntries(guid'{entry['EntryID']}')"
    response = api.put(key, {"Document": document["ID"]})
    assert response.status_code == 204 and response.content == b""
    stored = api.get(f"{key}?$select=Document,DocumentNumber").json()["d"]
    assert stored["Document"] == document["ID"] and stored["DocumentNumber"] == document["HID"]


def test_a_put_updates_the_lines_it_names_and_the_totals_and_payable_follow(api: Api) -> None:
    lines = [
        {"GLAccount": gl("4230"), "AmountFC": 121.0, "VATCode": "3"},
        {"GLAccount": gl("4200"), "AmountFC": 10.0, "VATCode": "2"},
    ]
    entry = api.post("purchaseentry/PurchaseEntries", purchase(lines)).json()["d"]
    first, second = entry["PurchaseEntryLines"]["results"]
    key = f"purchaseentry/PurchaseEntries(guid'{entry['EntryID']}')"
    changed = [{"ID": first["ID"], "Description": "Laptop"}, {"ID": second["ID"], "AmountFC": 20.0}]
    response = api.put(key, {"Description": "Fixed", "PurchaseEntryLines": changed})
    assert response.status_code == 204 and response.content == b""
    stored = api.get(f"{key}?$expand=PurchaseEntryLines").json()["d"]
    assert (stored["AmountFC"], stored["VATAmountFC"], stored["Description"]) == (
        145.2,
        25.2,
        "Fixed",
    )
    now = stored["PurchaseEntryLines"]["results"]
    assert [(r["Description"], r["AmountFC"], r["VATAmountFC"]) for r in now] == [
        ("Laptop", 100.0, 21.0),
        (None, 20.0, 4.2),
    ]
    payables = api.results("read/financial/PayablesList?$select=Amount")
    assert [p["Amount"] for p in payables] == [145.2]


def test_a_put_echoing_the_lines_as_read_changes_only_what_differs(api: Api) -> None:
    lines = [{"GLAccount": gl("4230"), "AmountFC": 121.0, "VATCode": "3", "VATAmountFC": 21.01}]
    entry = api.post("purchaseentry/PurchaseEntries", purchase(lines)).json()["d"]
    key = f"purchaseentry/PurchaseEntries(guid'{entry['EntryID']}')"
    read = api.get(f"{key}?$expand=PurchaseEntryLines").json()["d"]["PurchaseEntryLines"]
    echoed = [{k: v for k, v in row.items() if k != "__metadata"} for row in read["results"]]
    echoed[0]["Description"] = "Laptop"
    assert api.put(key, {"PurchaseEntryLines": echoed}).status_code == 204
    stored = api.get(f"{key}?$expand=PurchaseEntryLines").json()["d"]
    assert (stored["AmountFC"], stored["VATAmountFC"]) == (121.0, 21.01)
    assert stored["PurchaseEntryLines"]["results"][0]["Description"] == "Laptop"


def test_a_put_that_adds_a_line_is_a_400_and_changes_nothing(api: Api) -> None:
    entry = api.post("purchaseentry/PurchaseEntries", purchase()).json()["d"]
    key = f"purchaseentry/PurchaseEntries(guid'{entry['EntryID']}')"
    new_line = {"GLAccount": gl("4200"), "AmountFC": 5.0}
    response = api.put(key, {"Description": "More", "PurchaseEntryLines": [new_line]})
    assert response.status_code == 400
    assert "Binding to new entities" in error_text(response)
    stored = api.get(f"{key}?$select=Description,AmountFC").json()["d"]
    assert (stored["Description"], stored["AmountFC"]) == (None, 121.0)


def test_a_put_line_is_validated_as_on_post(api: Api) -> None:
    entry = api.post("purchaseentry/PurchaseEntries", purchase()).json()["d"]
    line_id = entry["PurchaseEntryLines"]["results"][0]["ID"]
    key = f"purchaseentry/PurchaseEntries(guid'{entry['EntryID']}')"
    response = api.put(key, {"PurchaseEntryLines": [{"ID": line_id, "GLAccount": gl("4990")}]})
    assert response.status_code == 500
    assert error_text(response) == "Blocked: G/L account"


def test_delete_answers_204_and_the_entry_is_gone(api: Api) -> None:
    entry = api.post("purchaseentry/PurchaseEntries", purchase()).json()["d"]
    key = f"purchaseentry/PurchaseEntries(guid'{entry['EntryID']}')"
    assert api.delete(key).status_code == 204
    assert api.get(key).status_code == 404
    lines = api.results("purchaseentry/PurchaseEntryLines?$select=ID")
    assert lines == []


def test_deleted_purchase_and_bank_entries_appear_in_sync_deleted(api: Api) -> None:
    before = api.sandbox.store.timestamp(DIVISION)
    entry = api.post("purchaseentry/PurchaseEntries", purchase()).json()["d"]
    body = {"JournalCode": "20", "BankEntryLines": [{"GLAccount": gl("4900"), "AmountFC": -0.5}]}
    bank = api.post("financialtransaction/BankEntries", body).json()["d"]
    assert api.delete(f"purchaseentry/PurchaseEntries(guid'{entry['EntryID']}')").status_code == 204
    assert (
        api.delete(f"financialtransaction/BankEntries(guid'{bank['EntryID']}')").status_code == 204
    )
    deleted = api.results("sync/Deleted?$select=EntityType,EntityKey,DeletedBy"
                          f"&$filter=Timestamp gt {before}")  # fmt: skip
    user = api.sandbox.user_by_name("demo").user_id
    assert [(d["EntityType"], d["EntityKey"], d["DeletedBy"]) for d in deleted] == [
        (DELETED_ENTITY_TYPES["purchaseentry/PurchaseEntries"], entry["EntryID"], user),
        (DELETED_ENTITY_TYPES["financialtransaction/BankEntries"], bank["EntryID"], user),
    ]


def test_bank_entries_cannot_be_updated(api: Api) -> None:
    body = {"JournalCode": "20", "BankEntryLines": [{"GLAccount": gl("4900"), "AmountFC": -0.5}]}
    entry = api.post("financialtransaction/BankEntries", body).json()["d"]
    response = api.put(f"financialtransaction/BankEntries(guid'{entry['EntryID']}')", {})
    assert response.status_code == 405


def test_current_me_has_no_division_in_the_path_and_answers_a_collection(api: Api) -> None:
    response = api.get(f"{api.url('x')[: -len(f'{DIVISION}/x')]}current/Me")
    me = response.json()["d"]["results"][0]
    assert me["CurrentDivision"] == DIVISION and me["UserName"] == "demo"
    assert me["__metadata"]["uri"].endswith(f"/api/v1/current/Me(guid'{me['UserID']}')")


def test_divisions_list_both_demo_divisions_with_move_date(api: Api) -> None:
    rows = api.results("system/Divisions?$select=Code,Description,Current,DivisionMoveDate")
    assert {row["Code"] for row in rows} == {3101010, 3101020}
    assert all("DivisionMoveDate" in row for row in rows)
    assert [row["Current"] for row in rows] == [True, False]


def test_the_older_hrm_divisions_lists_them_with_hid_and_main(api: Api) -> None:
    rows = api.results("hrm/Divisions?$select=Code,Description,HID,Main")
    assert [(row["Code"], row["HID"], row["Main"]) for row in rows] == [
        (3101010, 1, True),
        (3101020, 2, False),
    ]
    assert "Hid" not in rows[0] and "IsMainDivision" not in rows[0]


def test_document_types_include_purchase_invoice_20(api: Api) -> None:
    rows = api.results("documents/DocumentTypes?$select=ID,Description,DocumentIsCreatable")
    assert {"ID": 20, "Description": "Purchase invoice", "DocumentIsCreatable": True} in [
        {k: v for k, v in row.items() if k != "__metadata"} for row in rows
    ]


def test_attachment_reads_back_as_a_download_link(api: Api) -> None:
    document = api.post("documents/Documents", {"Subject": "Receipt", "Type": 20}).json()["d"]
    body = {"Document": document["ID"], "FileName": "r.pdf", "Attachment": "JVBERi0xLjQ="}
    created = api.post("documents/DocumentAttachments", body).json()["d"]
    assert created["Url"].startswith("https://start.exactonline.nl/docs/SysAttachment.aspx?ID=")
    assert created["Attachment"] == created["Url"].split("&")[0]


def test_webhook_subscription_is_created_and_listed(api: Api) -> None:
    body = {"CallbackURL": "https://example.com/hook", "Topic": "PurchaseEntries"}
    created = api.post("webhooks/WebhookSubscriptions", body)
    assert created.status_code == 201
    rows = api.results("webhooks/WebhookSubscriptions?$select=ID,Topic,ClientID")
    assert rows[0]["Topic"] == "PurchaseEntries" and rows[0]["ClientID"]


def test_one_app_never_sees_or_deletes_another_apps_webhook_subscription() -> None:
    from exact_sandbox.core import SandboxApp

    sandbox = make_sandbox()
    sandbox.apps["other-app"] = SandboxApp("other-app", "secret", ["https://o.example/cb"], "O")
    mine = Api(sandbox)
    body = {"CallbackURL": "https://example.com/hook", "Topic": "PurchaseEntries"}
    created = mine.post("webhooks/WebhookSubscriptions", body).json()["d"]
    other = Api(sandbox, "demo-nl")
    token = sandbox.auth.connect("demo-nl", "other-app")["access_token"]
    other.headers["Authorization"] = f"Bearer {token}"
    assert other.results("webhooks/WebhookSubscriptions?$select=ID") == []
    key = f"webhooks/WebhookSubscriptions(guid'{created['ID']}')"
    assert other.delete(key).status_code == 404
    assert [r["ID"] for r in mine.results("webhooks/WebhookSubscriptions?$select=ID")] == [
        created["ID"]
    ]


def test_supplier_created_without_code_gets_the_next_padded_code(api: Api) -> None:
    created = api.post("crm/Accounts", {"Name": "New B.V.", "IsSupplier": True}).json()["d"]
    assert created["Code"] == f"{203:>18}"


def test_bookkeeper_changes_bump_timestamp_and_deletions_reach_sync_deleted(api: Api) -> None:
    sandbox = api.sandbox
    before = sandbox.store.timestamp(DIVISION)
    sandbox.block_gl_account(DIVISION, "4200")
    rows = api.results("sync/Financial/GLAccounts?$select=Code,IsBlocked,Timestamp"
                       f"&$filter=Timestamp gt {before}")  # fmt: skip
    assert [(r["Code"], r["IsBlocked"]) for r in rows] == [("4200", True)]
    sandbox.store.delete(DIVISION, "crm/Accounts", supplier(6))
    deleted = api.results("sync/Deleted?$select=EntityType,EntityKey,DeletedDate"
                          f"&$filter=Timestamp gt {before}")  # fmt: skip
    assert deleted[0]["EntityType"] == DELETED_ENTITY_TYPES["crm/Accounts"]
    assert deleted[0]["EntityKey"] == supplier(6)


def test_unknown_entity_is_404_with_exacts_body(api: Api) -> None:
    response = api.get(f"crm/Accounts(guid'{gl('nope')}')")
    assert response.status_code == 404
    assert response.json()["error"]["message"]["value"].startswith("Resource not found")
    assert api.get("crm/Nothing?$select=ID").status_code == 404
