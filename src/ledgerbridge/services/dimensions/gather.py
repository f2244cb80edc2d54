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
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol, cast

from ledgerbridge.db.repositories.dimensions import SyncPosition
from ledgerbridge.domain.dimension_sync import LABELS, Change, describe
from ledgerbridge.domain.dimensions import Dimension, DimensionKind
from ledgerbridge.domain.wording import N_
from ledgerbridge.exact.errors import (
    ExactForbidden,
    ExactNotFound,
    ExactRecordInvalid,
    ExactRejected,
)
from ledgerbridge.services.dimensions import mapping
from ledgerbridge.services.dimensions.mapping import UnusableRecord

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


RESOURCES: tuple[Resource, ...] = (
    Resource("gl_accounts", K.GL_ACCOUNT, "timestamp",
             lambda api, since: api.sync_gl_accounts(since), mapping.gl_account),
    Resource("suppliers", K.SUPPLIER, "timestamp", lambda api, since: _accounts(api, since),
             mapping.supplier),
    Resource("projects", K.PROJECT, "timestamp",
             lambda api, since: api.sync_projects(since), mapping.project),
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
# Kinds whose deletions sync/Deleted reports. Its EntityType numbering is UNCONFIRMED
# (EXACT_API.md §4.11), but an EntityKey is a GUID, unique across kinds: a deleted key
# is looked for among all of them instead of trusting the number.
DELETABLE_KINDS = tuple(r.kind for r in RESOURCES if r.style == "timestamp")


def _accounts(api: DimensionApi, since: int) -> Iterable[Any]:
    """Changed Exact accounts, customers included when the client can give them.

    An account that stops being a supplier only shows up as a changed account with
    ``IsSupplier`` false; ``sync_suppliers`` drops those, so without ``sync_accounts``
    such a supplier goes only at the next full refresh (the mapper turns a
    non-supplier into a deletion).
    """
    every_account = getattr(api, "sync_accounts", None)
    if callable(every_account):
        return cast(Iterable[Any], every_account(since))
    return api.sync_suppliers(since)


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
    polled: list[str] = field(default_factory=list)

    def changed_resources(self, changes: Iterable[Change]) -> set[str]:
        """The polled resources in which ``changes`` saw something new."""
        kinds = {c.dimension.kind for c in changes}
        return {r.name for r in RESOURCES if r.name in self.polled and r.kind in kinds}


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
    only: Collection[str] | None = None,
) -> Gathered:
    """Read every resource from its position (or from scratch when ``full``); see module doc.

    ``only`` names the resources to read (adaptive polling, ``domain.upkeep``); None or a
    full gather reads them all. ``polled`` then lists the ones read.

    ``reset``: the stored positions belong to another division or to before a division
    move, so even ``sync/Deleted`` starts from scratch (a full gather otherwise only
    moves its deletion position on from where it was).
    """
    result = Gathered(full=full)
    start = {} if full else positions
    chosen = [r for r in RESOURCES if full or only is None or r.name in only]
    # sync/Deleted reports the deletions of the row-versioned kinds: read it when one of
    # them is read (one call for all of them).
    if any(r.style == "timestamp" for r in chosen):
        _gather_deleted(api, None if reset else positions.get(DELETED), result, now)
    for resource in chosen:
        _gather_resource(api, resource, start.get(resource.name), result, now)
        result.polled.append(resource.name)
    return result


def _gather_deleted(
    api: DimensionApi, position: SyncPosition | None, result: Gathered, now: datetime
) -> None:
    since = (position.last_timestamp if position else None) or 0
    highest = since
    for entry in api.sync_deleted(since):
        highest = max(highest, entry.timestamp)
        # A full gather reads everything anyway; it only needs the position.
        if not result.full:
            key = str(entry.entity_key).lower()
            result.deleted.update((kind, key) for kind in DELETABLE_KINDS)
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
        result.unavailable.append(
            N_(
                "%(things)s: not available in this administration (%(error)s)",
                things=label,
                error=str(exc),
            )
        )
        return
    except ExactRecordInvalid as exc:
        # The client could not read on past this record: keep what we have, move nothing.
        log.warning("dimension sync: %s stopped at an unreadable record: %s", resource.name, exc)
        result.skipped.append(
            N_(
                "%(things)s: stopped at an unreadable record (%(key)s: %(problem)s)",
                things=label,
                key=exc.key,
                problem=exc.problem,
            )
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
    """Map the records; unusable ones and the older of two with one code are skipped by name.

    Of two Exact records with the same code the most recently changed one is kept, the
    same one an incremental sync would bring: no flip-flopping between runs.
    """
    taken: dict[str, tuple[Dimension, Any]] = {}
    for record in records:
        try:
            dimension = resource.to_dimension(record)
        except UnusableRecord as exc:
            log.warning("dimension sync: skipped %r: %s", record, exc)
            result.skipped.append(
                N_(
                    "%(kind)s %(key)s skipped: %(problem)s",
                    kind=LABELS[exc.kind][0],
                    key=exc.key,
                    problem=exc.problem,
                )
            )
            continue
        if dimension is None:  # e.g. an account that is no longer a supplier
            if getattr(record, "id", None):
                result.deleted.add((resource.kind, str(record.id).lower()))
            continue
        earlier = taken.get(dimension.code)
        if earlier is not None and earlier[0].exact_id != dimension.exact_id:
            kept, dropped = sorted([earlier, (dimension, record)], key=_recency, reverse=True)
            log.warning("dimension sync: duplicate code, skipped %r", dropped[1])
            result.skipped.append(
                N_(
                    "%(thing)s (%(name)s) skipped: its code is used twice in Exact; the most "
                    "recently changed one (%(kept)s) is kept",
                    thing=describe(dropped[0]),
                    name=dropped[0].name,
                    kept=kept[0].name,
                )
            )
            taken[dimension.code] = kept
            continue
        taken[dimension.code] = (dimension, record)
    result.remote.extend(dimension for dimension, _ in taken.values())


def _recency(taken: tuple[Dimension, Any]) -> tuple[int, datetime]:
    """Row version, then Modified: which of two records Exact changed last (ties: the first)."""
    record = taken[1]
    stamp = getattr(record, "timestamp", None)
    moment = getattr(record, "modified", None)
    return (
        stamp if isinstance(stamp, int) else -1,
        moment if isinstance(moment, datetime) else datetime.min.replace(tzinfo=UTC),
    )


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
