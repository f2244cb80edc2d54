"""POST for everything that is not an entry: documents, attachments, webhook
subscriptions and master data (GL accounts, accounts, projects …).

Documents need a Subject and a creatable Type (documents/DocumentTypes);
attachments need an existing Document, a FileName and base64 content within
``settings.attachment_max_bytes``; webhook callbacks must be HTTPS and name a
known topic; master data needs its required fields and a free Code.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from exact_sandbox.odata import integer
from exact_sandbox.resources import Resource
from exact_sandbox.validation import Checker

if TYPE_CHECKING:
    from exact_sandbox.core import Sandbox
    from exact_sandbox.handlers import ApiCall

Row = dict[str, Any]

WEBHOOK_TOPICS = {
    "Accounts", "BankAccounts", "BankEntries", "CashEntries", "Contacts", "CostTransactions",
    "Documents", "GeneralJournalEntries", "GoodsDeliveries", "Items", "Opportunities",
    "ProjectPlanning", "PurchaseEntries", "PurchaseOrders", "Quotations", "SalesEntries",
    "SalesInvoices", "SalesOrders", "StockPositions", "Subscriptions", "TimeTransactions",
    "FinancialTransactions", "GLAccounts",
}  # fmt: skip

#: Field → label key for "Mandatory: …" on master data.
FIELD_LABELS = {"Code": "code", "Description": "description", "Name": "name", "Type": "type"}

#: Fields a PUT may change on resources that only allow a few (Exact: cashflow/Payments).
LIMITED_PUT = {"cashflow/Payments": {"PaymentMethod", "Description", "PaymentReference"}}


def create(sandbox: Sandbox, call: ApiCall, check: Checker, payload: Row) -> Row:
    """Validate and store one entity of ``call.resource``; raises BusinessError when refused."""
    path = call.resource.path
    if path == "documents/Documents":
        return _document(sandbox, call, check, payload)
    if path == "documents/DocumentAttachments":
        return _attachment(sandbox, call, check, payload)
    if path == "webhooks/WebhookSubscriptions":
        return _webhook(sandbox, call, check, payload)
    return _master_data(call, check, payload)


#: Set by the server on every entity; a client cannot write them.
SERVER_FIELDS = frozenset({"Created", "Modified", "Division", "Timestamp"})


def _insert(check: Checker, resource: Resource, row: Row) -> Row:
    ignored = resource.readonly | SERVER_FIELDS
    clean = {k: v for k, v in row.items() if k not in ignored}
    key = clean.get(resource.key)
    if key is not None and check.by_key(resource.table, key) is not None:
        # A client-chosen key that exists: a duplicate, never an overwrite.
        check.add("in_use", "key")
        check.raise_if_any()
    return check.store.insert(check.division, resource.table, clean)


def _document(sandbox: Sandbox, call: ApiCall, check: Checker, payload: Row) -> Row:
    check.require(payload, "Subject", "subject")
    doc_type = None
    if check.require(payload, "Type", "document_type"):
        doc_type = check.by_key("documents/DocumentTypes", payload["Type"])
        if doc_type is None or not doc_type.get("DocumentIsCreatable"):
            check.add("invalid", "document_type")
    if (
        payload.get("Account") is not None
        and check.by_key("crm/Accounts", payload["Account"]) is None
    ):
        check.add("invalid_reference", "account")
    check.raise_if_any()
    assert doc_type is not None
    hid = 1 + max(
        (r.get("HID") or 0 for r in check.store.rows(check.division, call.resource.table)),
        default=0,
    )
    row = _insert(check, call.resource, payload)
    site = call.base.split("/api/")[0]
    url = f"{site}/docs/DocView.aspx?DocumentID={row['ID']}&_Division_={check.division}"
    computed = {"HID": hid, "DocumentViewUrl": url, "TypeDescription": doc_type["Description"]}
    return check.store.update(check.division, call.resource.table, row["ID"], **computed)


def _attachment(sandbox: Sandbox, call: ApiCall, check: Checker, payload: Row) -> Row:
    has_document = check.require(payload, "Document", "document")
    if has_document and check.by_key("documents/Documents", payload["Document"]) is None:
        check.add("invalid_reference", "document")
    check.require(payload, "FileName", "file_name")
    check.require(payload, "Attachment", "attachment")
    check.raise_if_any()
    content: bytes = payload["Attachment"]
    limit = sandbox.settings.attachment_max_bytes
    if len(content) > limit:
        check.add("attachment_too_large", limit=round(limit / (1024 * 1024), 1))
        check.raise_if_any()
    row = _insert(check, call.resource, payload)
    site = call.base.split("/api/")[0]
    url = f"{site}/docs/SysAttachment.aspx?ID={row['ID']}&_Division_={check.division}"
    computed = {"Url": url, "FileSize": Decimal(len(content))}
    return check.store.update(check.division, call.resource.table, row["ID"], **computed)


def _webhook(sandbox: Sandbox, call: ApiCall, check: Checker, payload: Row) -> Row:
    has_url = check.require(payload, "CallbackURL", "callback_url")
    if has_url and not str(payload["CallbackURL"]).lower().startswith("https://"):
        check.add("https_required")
    topics = WEBHOOK_TOPICS
    if not sandbox.settings.webhook_gl_accounts_topic:
        topics = topics - {"GLAccounts"}
    if check.require(payload, "Topic", "topic") and payload["Topic"] not in topics:
        check.add("invalid", "topic")
    check.raise_if_any()
    owner = {"UserID": call.ctx.user.user_id, "ClientID": call.ctx.app.client_id}
    return _insert(check, call.resource, {**payload, **owner, "Creator": call.ctx.user.user_id})


def _master_data(call: ApiCall, check: Checker, payload: Row) -> Row:
    resource = call.resource
    if resource.path == "crm/Accounts":
        payload = _account_code(check, payload)
    for name in sorted(resource.required):
        check.require(payload, name, FIELD_LABELS.get(name, name))
    code = payload.get("Code")
    if "Code" in resource.indexes and code and check.by_code(resource.table, code) is not None:
        check.add("in_use", "code")
    check.raise_if_any()
    return _insert(check, resource, payload)


def _account_code(check: Checker, payload: Row) -> Row:
    """Exact pads account codes to 18 characters and assigns the next number when omitted."""
    code = payload.get("Code")
    if code in (None, ""):
        numbers = [
            int(row["Code"]) for row in check.store.rows(check.division, "crm/Accounts")
            if integer(str(row.get("Code") or ""), signed=False) is not None
        ]  # fmt: skip
        code = str(max(numbers, default=0) + 1)
    return {**payload, "Code": f"{str(code).strip():>18}"}


def updatable(resource: Resource, payload: Row) -> Row:
    """The changes a PUT may make: never the key, read-only fields or child collections."""
    allowed = LIMITED_PUT.get(resource.path)
    return {
        name: value
        for name, value in payload.items()
        if name != resource.key
        and name not in resource.readonly
        and name not in SERVER_FIELDS
        and resource.fields.get(name) != "C"
        and (allowed is None or name in allowed)
    }
