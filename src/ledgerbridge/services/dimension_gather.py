"""Gather: read what changed in Exact Online since the stored positions (no database writes).

Per resource (EXACT_API.md §4.11):
- GL accounts, suppliers, projects: ``sync/`` endpoints from the highest ``Timestamp``
  stored; deletions from ``sync/Deleted`` (read *first*, so a deletion during the
  run is picked up next time rather than lost);
- VAT codes, journals, cost centres, cost units: ``Modified`` polling from the
  latest ``Modified`` seen minus ``OVERLAP`` (same-second ties, clock skew);
- document types: the short list, read whole every time.

A full gather starts every resource from scratch. Bad input never crashes it:
an unusable record is skipped and named; a resource the administration cannot
read (licence, 403/404, "Division not accessible") is named and left as it was.
Anything else (authorisation lost, Exact down, rate limit) propagates: the run fails.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol, cast

from ledgerbridge.db.dimension_repository import SyncPosition
from ledgerbridge.domain.dimension_sync import LABELS, describe
from ledgerbridge.domain.dimensions import Dimension, DimensionKind
from ledgerbridge.exact.api import ExactApi
from ledgerbridge.exact.errors import (
    ExactForbidden,
    ExactNotFound,
    ExactRecordInvalid,
    ExactRejected,
)
from ledgerbridge.exact.http import ExactHttp
from ledgerbridge.services import dimension_mapping as mapping
from ledgerbridge.services.dimension_mapping import UnusableRecord

log = logging.getLogger(__name__)

K = DimensionKind
OVERLAP = timedelta(minutes=2)
DELETED = "deleted"
DIVISION = "division"


class DimensionApi(Protocol):
    """The part of ``exact.api.ExactApi`` a dimension sync uses."""

    division: int

    def divisions(self) -> Iterable[Any]: ...
    def sync_gl_accounts(self, since: int) -> Iterable[Any]: ...
    def sync_suppliers(self, since: int) -> Iterable[Any]: ...
    def sync_projects(self, since: int) -> Iterable[Any]: ...
    def sync_deleted(self, since: int) -> Iterable[Any]: ...
    def vat_codes(self, modified_since: datetime | None) -> Iterable[Any]: ...
    def journals(self, modified_since: datetime | None) -> Iterable[Any]: ...
    def cost_centers(self, modified_since: datetime | None) -> Iterable[Any]: ...
    def cost_units(self, modified_since: datetime | None) -> Iterable[Any]: ...
    def document_types(self) -> Iterable[Any]: ...


Style = Literal["timestamp", "modified", "list"]


@dataclass(frozen=True)
class Resource:
    name: str
    kind: DimensionKind
    style: Style
    fetch: Callable[[DimensionApi, Any], Iterable[Any]]
    to_dimension: Callable[[Any], Dimension | None]
    entity_type: int | None = None  # its EntityType in sync/Deleted


RESOURCES: tuple[Resource, ...] = (
    Resource("gl_accounts", K.GL_ACCOUNT, "timestamp",
             lambda api, since: api.sync_gl_accounts(since), mapping.gl_account, 7),
    Resource("suppliers", K.SUPPLIER, "timestamp",
             lambda api, since: api.sync_suppliers(since), mapping.supplier, 2),
    Resource("projects", K.PROJECT, "timestamp",
             lambda api, since: api.sync_projects(since), mapping.project, 17),
    Resource("vat_codes", K.VAT_CODE, "modified",
             lambda api, since: api.vat_codes(since), mapping.vat_code),
    Resource("journals", K.JOURNAL, "modified",
             lambda api, since: api.journals(since), mapping.journal),
    Resource("cost_centers", K.COST_CENTER, "modified",
             lambda api, since: api.cost_centers(since), mapping.cost_center),
    Resource("cost_units", K.COST_UNIT, "modified",
             lambda api, since: api.cost_units(since), mapping.cost_unit),
    Resource("document_types", K.DOCUMENT_TYPE, "list",
             lambda api, _since: api.document_types(), mapping.document_type),
)  # fmt: skip
BY_ENTITY_TYPE = {r.entity_type: r.kind for r in RESOURCES if r.entity_type is not None}


@dataclass
class Gathered:
    """What a gather found. ``complete_kinds``: kinds read whole (their absentees are gone)."""

    full: bool
    remote: list[Dimension] = field(default_factory=list)
    deleted: set[tuple[DimensionKind, str]] = field(default_factory=set)
    complete_kinds: set[DimensionKind] = field(default_factory=set)
    positions: dict[str, SyncPosition] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)


def division_move_date(api: DimensionApi) -> datetime | None:
    """The connected division's ``DivisionMoveDate`` (None when Exact does not say)."""
    for division in api.divisions():
        if getattr(division, "code", None) == api.division:
            found = getattr(division, "move_date", None)
            return found if isinstance(found, datetime) else None
    return None


def gather(
    api: DimensionApi,
    positions: dict[str, SyncPosition],
    *,
    full: bool,
    now: datetime,
    reset: bool = False,
) -> Gathered:
    """Read every resource from its position (or from scratch when ``full``); see module doc.

    ``reset``: the stored positions belong to another division or to before a division
    move, so even ``sync/Deleted`` starts from scratch (a full gather otherwise only
    moves its deletion position on from where it was).
    """
    result = Gathered(full=full)
    start = {} if full else positions
    _gather_deleted(api, None if reset else positions.get(DELETED), result, now)
    for resource in RESOURCES:
        _gather_resource(api, resource, start.get(resource.name), result, now)
    return result


def _gather_deleted(
    api: DimensionApi, position: SyncPosition | None, result: Gathered, now: datetime
) -> None:
    since = (position.last_timestamp if position else None) or 0
    highest = since
    for entry in api.sync_deleted(since):
        highest = max(highest, entry.timestamp)
        kind = BY_ENTITY_TYPE.get(entry.entity_type)
        # A full gather reads everything anyway; it only needs the position.
        if kind is not None and not result.full:
            result.deleted.add((kind, str(entry.entity_key).lower()))
    result.positions[DELETED] = _moved(position, now, result.full, last_timestamp=highest)


def _gather_resource(
    api: DimensionApi,
    resource: Resource,
    position: SyncPosition | None,
    result: Gathered,
    now: datetime,
) -> None:
    label = LABELS[resource.kind][1]
    seen: list[Any] = []
    try:
        for record in resource.fetch(api, _since(resource, position)):
            seen.append(record)  # kept one by one: a failure mid-way keeps what was read
    except (ExactForbidden, ExactNotFound, ExactRejected) as exc:
        log.warning("dimension sync: %s not readable: %s", resource.name, exc)
        result.unavailable.append(f"{label}: not available in this administration ({exc})")
        return
    except ExactRecordInvalid as exc:
        # The client could not read on past this record: keep what we have, move nothing.
        log.warning("dimension sync: %s stopped at an unreadable record: %s", resource.name, exc)
        result.skipped.append(
            f"{label}: stopped at an unreadable record ({exc.key}: {exc.problem})"
        )
        _take(resource, seen, result)
        return
    _take(resource, seen, result)
    if result.full or resource.style == "list":
        result.complete_kinds.add(resource.kind)
    result.positions[resource.name] = _advanced(resource, position, seen, result.full, now)


def _since(resource: Resource, position: SyncPosition | None) -> Any:
    if resource.style == "timestamp":
        return (position.last_timestamp if position else None) or 0
    if resource.style == "modified" and position and position.last_modified:
        return position.last_modified - OVERLAP
    return None


def _take(resource: Resource, records: list[Any], result: Gathered) -> None:
    taken: dict[str, Dimension] = {}
    for record in records:
        try:
            dimension = resource.to_dimension(record)
        except UnusableRecord as exc:
            log.warning("dimension sync: skipped %r: %s", record, exc)
            result.skipped.append(f"{LABELS[exc.kind][0]} {exc.key} skipped: {exc.problem}")
            continue
        if dimension is None:  # e.g. an account that is no longer a supplier
            if getattr(record, "id", None):
                result.deleted.add((resource.kind, str(record.id).lower()))
            continue
        earlier = taken.get(dimension.code)
        if earlier is not None and earlier.exact_id != dimension.exact_id:
            log.warning("dimension sync: duplicate code, skipped %r", record)
            result.skipped.append(f"{describe(dimension)} skipped: its code is used twice in Exact")
            continue
        taken[dimension.code] = dimension
    result.remote.extend(taken.values())


def _advanced(
    resource: Resource,
    position: SyncPosition | None,
    records: list[Any],
    full: bool,
    now: datetime,
) -> SyncPosition:
    if resource.style == "timestamp":
        stamps = [s for r in records if isinstance(s := getattr(r, "timestamp", None), int)]
        floor = 0 if full else (position.last_timestamp if position else None) or 0
        return _moved(position, now, full, last_timestamp=max([floor, *stamps]))
    if resource.style == "modified":
        moments = [m for r in records if isinstance(m := getattr(r, "modified", None), datetime)]
        if not full and position is not None and position.last_modified is not None:
            moments.append(position.last_modified)
        latest = max(moments, default=None)
        return _moved(position, now, full, last_modified=latest)
    return _moved(position, now, full)


def _moved(position: SyncPosition | None, now: datetime, full: bool, **values: Any) -> SyncPosition:
    base = position or SyncPosition()
    if full:
        base = replace(base, last_full_at=now)
    return replace(base, **values)


# -- the client for a sync ---------------------------------------------------------------------


class CountingHttp:
    """Counts the GETs an ``ExactApi`` makes (pages included) for the run's call figure."""

    def __init__(self, http: ExactHttp) -> None:
        self._http = http
        self.calls = 0

    def get(self, path: str, params: Mapping[str, object] | None = None) -> dict[str, Any]:
        self.calls += 1
        return self._http.get(path, params)

    def get_url(self, absolute_url: str) -> dict[str, Any]:
        self.calls += 1
        return self._http.get_url(absolute_url)


@dataclass
class SyncClient:
    """An ``ExactApi`` for one sync, with its call count and the records it had to skip."""

    api: ExactApi
    counter: CountingHttp
    invalid: list[ExactRecordInvalid]

    def skipped_lines(self) -> list[str]:
        return [f"Exact record {i.resource} {i.key} skipped: {i.problem}" for i in self.invalid]


def sync_client(http: ExactHttp, division: int) -> SyncClient:
    """Wrap a transport for a sync: calls counted, unusable records collected."""
    counter = CountingHttp(http)
    invalid: list[ExactRecordInvalid] = []
    # ExactApi only pages with get/get_url during a sync; the counter offers exactly those.
    api = ExactApi(cast(ExactHttp, counter), division, on_invalid=invalid.append)
    return SyncClient(api, counter, invalid)
