"""OData query options ($select, $expand, $filter, $top, $skip, $orderby, $skiptoken,
$inlinecount) and server-driven paging over a list of store rows.

Paging follows WCF Data Services, which Exact runs on: rows are ordered by the
key (sync endpoints: by ``Timestamp``) unless ``$orderby`` says otherwise, and
``__next`` carries ``$skiptoken`` = the last row's key, so a continuation is
stable when rows are added or removed between pages.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from exact_sandbox.messages import SELECT_REQUIRED
from exact_sandbox.odata import Filter, ODataError, integer, parse_filter, parse_guid
from exact_sandbox.resources import Resource

Row = dict[str, Any]

KNOWN_OPTIONS = {
    "$select", "$expand", "$filter", "$top", "$skip", "$orderby", "$skiptoken",
    "$inlinecount", "$format",
}  # fmt: skip


@dataclass
class Query:
    select: list[str] | None = None
    expand: list[str] = field(default_factory=list)
    filter: Filter | None = None
    top: int | None = None
    skip: int = 0
    orderby: list[tuple[str, bool]] = field(default_factory=list)
    skiptoken: Any = None
    inlinecount: bool = False


@dataclass
class Page:
    rows: list[Row]
    next_token: str | None
    count: int | None
    remaining_top: int | None


def parse_query(params: Mapping[str, str], resource: Resource, *, collection: bool) -> Query:
    """Validate and parse the query options for ``resource``; ODataError (400) when refused."""
    for name in params:
        if name.startswith("$") and name not in KNOWN_OPTIONS:
            raise ODataError(
                f"The query parameter '{name}' begins with a system-reserved '$' character but "
                "is not recognized."
            )
    query = Query(
        select=_select(params.get("$select"), resource),
        expand=_expand(params.get("$expand"), resource),
        top=_non_negative(params, "$top"),
        skip=_non_negative(params, "$skip") or 0,
        orderby=_orderby(params.get("$orderby"), resource),
        inlinecount=_inlinecount(params.get("$inlinecount")),
    )
    if params.get("$filter"):
        query.filter = parse_filter(params["$filter"], resource.fields, resource.entity)
        if resource.kind == "sync" and query.filter.fields - {"Timestamp"}:
            raise ODataError("Only the Timestamp filter is allowed on sync endpoints.")
    if params.get("$skiptoken"):
        query.skiptoken = _skiptoken(params["$skiptoken"], resource)
    if collection:
        _require_select(query, resource)
    return query


def _require_select(query: Query, resource: Resource) -> None:
    if resource.kind in ("virtual", "me"):
        return
    if query.select is None and (resource.paged_in_bulk or query.top != 1):
        raise ODataError(SELECT_REQUIRED)


def _select(raw: str | None, resource: Resource) -> list[str] | None:
    if raw is None or not raw.strip():
        return None
    names = [name.strip() for name in raw.split(",")]
    if names == ["*"]:
        return list(resource.fields)
    for name in names:
        if name not in resource.fields:
            raise ODataError(f"No property '{name}' exists in type '{resource.entity}'.")
    return names


def _expand(raw: str | None, resource: Resource) -> list[str]:
    if not raw:
        return []
    names = [name.strip() for name in raw.split(",")]
    for name in names:
        if name not in resource.children:
            raise ODataError(f"No property '{name}' exists in type '{resource.entity}'.")
    return names


def _non_negative(params: Mapping[str, str], name: str) -> int | None:
    raw = params.get(name)
    if raw is None:
        return None
    number = integer(raw, signed=False)
    if number is None:
        raise ODataError(f"Query option {name} must be a non-negative integer.")
    return number


def _orderby(raw: str | None, resource: Resource) -> list[tuple[str, bool]]:
    if not raw:
        return []
    order = []
    for part in raw.split(","):
        words = part.split()
        direction = words[1].lower() if len(words) == 2 else "asc"
        if not words or len(words) > 2 or direction not in ("asc", "desc"):
            raise ODataError(f"Syntax error in $orderby '{raw}'.")
        if resource.fields.get(words[0]) in (None, "C"):
            raise ODataError(f"No property '{words[0]}' exists in type '{resource.entity}'.")
        order.append((words[0], direction == "desc"))
    return order


def _inlinecount(raw: str | None) -> bool:
    if raw is None or raw == "none":
        return False
    if raw == "allpages":
        return True
    raise ODataError("Unknown $inlinecount option, only 'allpages' and 'none' are supported.")


def _skiptoken(raw: str, resource: Resource) -> Any:
    if resource.kind == "sync" or resource.key_type in ("I", "L"):
        number = integer(raw.removesuffix("L"))
        if number is None:
            raise ODataError(f"Skip token '{raw}' is not valid.")
        return number
    if raw.startswith("guid'") and raw.endswith("'"):
        return parse_guid(raw[5:-1], raw, 0, raw)
    raise ODataError(f"Skip token '{raw}' is not valid.")


def format_skiptoken(value: Any, resource: Resource) -> str:
    if isinstance(value, int):
        return str(value)
    return f"guid'{value}'"


def paginate(rows: list[Row], query: Query, resource: Resource, page_size: int) -> Page:
    """Filter, order and cut one page; ``next_token`` is None on the last page."""
    if query.filter is not None:
        predicate = query.filter.predicate
        rows = [row for row in rows if predicate(row)]
    count = len(rows) if query.inlinecount else None
    sort_field = "Timestamp" if resource.kind == "sync" else resource.key
    if query.orderby:
        rows = _ordered(rows, query.orderby)
        rows = _after_key(rows, resource.key, query.skiptoken)
    else:
        rows = sorted(rows, key=lambda row: row.get(sort_field) or 0)
        if query.skiptoken is not None:
            keys = [row.get(sort_field) for row in rows]
            rows = rows[bisect.bisect_right(keys, query.skiptoken) :]
    rows = rows[query.skip :]
    size = page_size if query.top is None else min(page_size, query.top)
    page = rows[:size]
    more = len(rows) > size and (query.top is None or query.top > size)
    token_field = resource.key if query.orderby else sort_field
    token = format_skiptoken(page[-1][token_field], resource) if more and page else None
    remaining = None if query.top is None else query.top - len(page)
    return Page(page, token, count, remaining)


def _ordered(rows: list[Row], orderby: list[tuple[str, bool]]) -> list[Row]:
    for name, descending in reversed(orderby):
        present = [row for row in rows if row.get(name) is not None]
        missing = [row for row in rows if row.get(name) is None]
        present.sort(key=_sort_key(name), reverse=descending)
        rows = missing + present if not descending else present + missing
    return rows


def _sort_key(name: str) -> Any:
    return lambda row: _sortable(row[name])


def _sortable(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _after_key(rows: list[Row], key: str, token: Any) -> list[Row]:
    if token is None:
        return rows
    for index, row in enumerate(rows):
        if row.get(key) == token:
            return rows[index + 1 :]
    return []
