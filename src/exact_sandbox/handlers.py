"""What each REST call does to the store: GET (collection, entity, $count), POST, PUT, DELETE.

Framework-free: ``handle(sandbox, call)`` takes a parsed ``ApiCall`` and
returns an ``ApiResult`` (status, JSON-able body or text, headers). Malformed
input → ``ODataError`` (400); business rules → ``BusinessError`` (500); both
are turned into Exact's error body by the app. The whole call runs under the
store's lock, so validation and writing are one step even with parallel callers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from exact_sandbox import bank, documents, entries, entry_updates, matching, messages
from exact_sandbox.odata import ODataError
from exact_sandbox.query import paginate, parse_query
from exact_sandbox.render import parse_payload, render
from exact_sandbox.resources import RESOURCES, SYNCED_TABLES, Resource
from exact_sandbox.validation import BusinessError, Checker
from exact_sandbox.views import source_rows, visible_to

if TYPE_CHECKING:
    from exact_sandbox.core import CallContext, Sandbox

Row = dict[str, Any]
# Characters Exact leaves readable in __next (guid'…' skiptokens, $select lists).
SAFE = ",()$='"


@dataclass
class ApiCall:
    """One parsed API request. ``base`` is the absolute ``…/api/v1/{division}/`` URL."""

    method: str
    ctx: CallContext
    division: int
    resource: Resource
    key: Any = None
    count: bool = False
    params: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    representation: bool = False
    base: str = ""
    url: str = ""


@dataclass
class ApiResult:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def handle(sandbox: Sandbox, call: ApiCall) -> ApiResult:
    """Run one call; raises ODataError / BusinessError / LookupError (404) for refusals."""
    if call.method not in call.resource.methods:
        raise ODataError("The requested HTTP method is not allowed for this resource.", 405)
    with sandbox.store.lock:
        if call.method == "GET":
            return _get(sandbox, call)
        if call.method == "POST":
            return _post(sandbox, call)
        if call.method == "PUT":
            return _put(sandbox, call)
        return _delete(sandbox, call)


def _children(sandbox: Sandbox, division: int) -> Any:
    def load(child_path: str, parent_key: Any) -> list[Row]:
        child = RESOURCES[child_path]
        assert child.parent_ref is not None
        rows = sandbox.store.find(division, child.table, child.parent_ref, parent_key)
        return sorted(rows, key=lambda row: row.get("LineNumber") or 0)

    return load


def _render(sandbox: Sandbox, call: ApiCall, row: Row, select: Any, expand: list[str]) -> Row:
    resource = call.resource
    child_resources = {name: RESOURCES[path] for name, path in resource.children.items()}
    loader = _children(sandbox, call.division)
    return render(row, resource, call.base, select, expand, loader, child_resources)


def _get(sandbox: Sandbox, call: ApiCall) -> ApiResult:
    resource = call.resource
    collection = call.key is None
    query = parse_query(call.params, resource, collection=collection and not call.count)
    if query.filter is not None:
        _refuse_unfilterable(sandbox, resource, query.filter.fields)
    if collection and not call.count and "$filter" not in call.params:
        _refuse_unfiltered(sandbox, resource)
    rows = source_rows(sandbox, call.ctx, call.division, resource)
    if not collection:
        row = next((r for r in rows if r.get(resource.key) == call.key), None)
        if row is None:
            raise LookupError(resource.name)
        return ApiResult(200, {"d": _render(sandbox, call, row, query.select, query.expand)})
    if call.count:
        matching_rows = [r for r in rows if query.filter is None or query.filter.predicate(r)]
        return ApiResult(200, str(len(matching_rows)), {"content-type": "text/plain"})
    settings = sandbox.settings
    size = settings.bulk_page_size if resource.paged_in_bulk else settings.page_size
    page = paginate(rows, query, resource, size)
    data: dict[str, Any] = {
        "results": [_render(sandbox, call, r, query.select, query.expand) for r in page.rows]
    }
    if page.count is not None:
        data["__count"] = str(page.count)
    if page.next_token is not None:
        data["__next"] = _next_url(call, page.next_token, page.remaining_top)
    return ApiResult(200, {"d": data})


def _unfilterable(sandbox: Sandbox) -> dict[str, str]:
    """Fields whose filterability is UNCONFIRMED (§5) and that a setting closes: path → field."""
    settings, closed = sandbox.settings, {}
    if not settings.filter_external_link_reference:
        closed[entries.PURCHASES] = "ExternalLinkReference"
    if not settings.filter_bank_line_notes:
        closed[entries.BANK_LINES] = "Notes"
    return closed


def _refuse_unfilterable(sandbox: Sandbox, resource: Resource, fields: set[str]) -> None:
    """A $filter on a field the settings make unfilterable: 400 as for an unknown property."""
    field_name = _unfilterable(sandbox).get(resource.path)
    if field_name is not None and field_name in fields:
        raise ODataError(
            f"No property '{field_name}' exists in type '{resource.entity}' "
            "(filtering on it is not supported)."
        )


def _refuse_unfiltered(sandbox: Sandbox, resource: Resource) -> None:
    """Exact's mandatory filtering, when the sandbox setting turns it on."""
    closed = resource.kind in ("regular", "bulk") and resource.table in SYNCED_TABLES
    if sandbox.settings.mandatory_filtering and closed:
        raise ODataError(messages.FILTER_REQUIRED)


def _next_url(call: ApiCall, token: str, remaining_top: int | None) -> str:
    from urllib.parse import quote

    params = {k: v for k, v in call.params.items() if k not in ("$skiptoken", "$skip", "$top")}
    if remaining_top is not None:
        params["$top"] = str(remaining_top)
    params["$skiptoken"] = token
    query = "&".join(f"{k}={quote(v, safe=SAFE)}" for k, v in params.items())
    return f"{call.url}?{query}"


def _payload(call: ApiCall) -> tuple[Any, Row]:
    """The raw JSON and its typed form; ODataError (400) for bad JSON or bad values."""
    try:
        data = json.loads(call.body or b"null")
    except (ValueError, UnicodeDecodeError, RecursionError):
        # RecursionError: JSON nested deeper than the parser's stack ("[[[[…").
        raise ODataError(messages.INVALID_JSON) from None
    return data, parse_payload(data, call.resource)


def _checker(sandbox: Sandbox, call: ApiCall) -> Checker:
    return Checker(
        sandbox.store, call.division, call.ctx.language, sandbox.clock.now(),
        drop_foreign=sandbox.settings.drop_foreign_references,
    )  # fmt: skip


def _post(sandbox: Sandbox, call: ApiCall) -> ApiResult:
    if call.key is not None:
        raise ODataError("POST is not allowed on a single entity.", 405)
    raw, payload = _payload(call)
    check = _checker(sandbox, call)
    path, settings = call.resource.path, sandbox.settings
    if path == entries.PURCHASES:
        row = entries.create_purchase_entry(
            check, payload, settings.honour_client_entry_id, settings.refuse_duplicate_your_ref,
            settings.negative_amounts_credit,
        )  # fmt: skip
    elif path == entries.BANK:
        row = bank.create_bank_entry(
            check, payload, settings.honour_client_entry_id, settings.auto_match_bank_lines
        )
    elif path == entries.BANK_LINES:
        row = bank.add_bank_line(check, payload, settings.auto_match_bank_lines)
    elif path == entries.PURCHASE_LINES:
        row = entries.add_purchase_line(check, payload)
    else:
        row = documents.create(sandbox, call, check, payload)
    body = _render(sandbox, call, row, None, list(call.resource.children))
    if not call.representation:
        sent = set(raw) if isinstance(raw, dict) else set()
        keep = sent | {call.resource.key, "__metadata"}
        body = {k: (v if k in keep else None) for k, v in body.items()}
    uri = body["__metadata"]["uri"]
    return ApiResult(201, {"d": body}, {"Location": uri})


def _existing(sandbox: Sandbox, call: ApiCall) -> Row:
    if call.key is None:
        raise ODataError("The request URI must identify a single entity.", 400)
    row = sandbox.store.get(call.division, call.resource.table, call.key)
    if row is None or not visible_to(row, call.resource, call.ctx):
        raise LookupError(call.resource.name)
    return row


def _put(sandbox: Sandbox, call: ApiCall) -> ApiResult:
    row = _existing(sandbox, call)
    _, payload = _payload(call)
    check = _checker(sandbox, call)
    changes = documents.updatable(call.resource, payload)
    lines: list[Row] = []
    if call.resource.path == entries.PURCHASES:
        entry_updates.check_purchase_update(check, row, changes)
        raw_lines = payload.get("PurchaseEntryLines")
        lines = entry_updates.updated_lines(check, row, raw_lines, changes)
    check.raise_if_any()
    sandbox.store.update(call.division, call.resource.table, call.key, **changes)
    entry_updates.store_updated_lines(check, row, lines)
    return ApiResult(204)


def _delete(sandbox: Sandbox, call: ApiCall) -> ApiResult:
    row = _existing(sandbox, call)
    store, division, path = sandbox.store, call.division, call.resource.path
    if path in (entries.PURCHASES, entries.BANK):
        check = _checker(sandbox, call)
        day = row.get("EntryDate") or row["Created"]
        check.period(day)
        if path == entries.PURCHASES and matching.is_matched(store, division, call.key):
            check.add("matched")
        if path == entries.BANK and matching.settled_by_bank_entry(store, division, call.key):
            check.add("matched")
        check.raise_if_any()
        line_table = entries.PURCHASE_LINES if path == entries.PURCHASES else entries.BANK_LINES
        for line in store.find(division, line_table, "EntryID", call.key):
            store.delete(division, line_table, line["ID"])
        if path == entries.PURCHASES:
            matching.remove_payable(store, division, call.key)
    if path == "documents/Documents":
        for attachment in store.find(
            division, "documents/DocumentAttachments", "Document", call.key
        ):
            store.delete(division, "documents/DocumentAttachments", attachment["ID"])
    store.delete(division, call.resource.table, call.key, deleted_by=call.ctx.user.user_id)
    return ApiResult(204)


__all__ = ["ApiCall", "ApiResult", "BusinessError", "handle"]
