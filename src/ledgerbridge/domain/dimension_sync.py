"""Deciding what a dimension sync changes: a pure planner and its summary in words.

``plan_dimension_changes(remote, local, full=…)`` compares what Exact Online has
with what we hold and returns the changes to apply; it does no I/O, so it is
tested with plain values. ``summarise(changes)`` says what happened the way a
finance user would ("3 GL accounts added", "VAT code 5 blocked").

Rules:
- Values are identified by (kind, code).
- A local value (``source=local``) met by a sync is *replaced*: Exact is the
  source of truth once connected.
- Only a *full* sync deletes Exact values it did not see, and only for the kinds
  it actually read (``covered_kinds``); an incremental sync deletes only what
  ``deleted_keys`` names (Exact ids from ``sync/Deleted`` and the like).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from ledgerbridge.domain.coding import CodingLine
from ledgerbridge.domain.dimensions import Dimension, DimensionKind, DimensionSource
from ledgerbridge.domain.validation import (
    LINE_FIELDS,
    CodingProblem,
    Lookup,
    Rule,
    coding_problems,
)
from ledgerbridge.domain.wording import N_


class ChangeKind(StrEnum):
    ADDED = "added"
    UPDATED = "updated"
    BLOCKED = "blocked"
    UNBLOCKED = "unblocked"
    ENDED = "ended"
    DELETED = "deleted"
    REPLACED_LOCAL = "replaced_local"


# A change of these kinds can make prepared transactions invalid.
HARMFUL: frozenset[ChangeKind] = frozenset(
    {ChangeKind.BLOCKED, ChangeKind.ENDED, ChangeKind.DELETED, ChangeKind.REPLACED_LOCAL}
)

COMPARED_FIELDS = ("name", "exact_id", "blocked", "valid_from", "valid_until", "facts")


@dataclass(frozen=True, slots=True)
class Change:
    """One decided change.

    ``dimension`` is the value after the change; for ``deleted`` and for a
    ``replaced_local`` value Exact does not have, it is the value that goes away
    (``before`` is then the same value). ``fields_changed`` names the compared
    fields that differ (empty for added/deleted).
    """

    kind: ChangeKind
    dimension: Dimension
    before: Dimension | None = None
    fields_changed: tuple[str, ...] = ()

    @property
    def removes(self) -> bool:
        """True when the value disappears from our store."""
        return self.kind is ChangeKind.DELETED or (
            self.kind is ChangeKind.REPLACED_LOCAL and self.dimension is self.before
        )


Key = tuple[DimensionKind, str]


def plan_dimension_changes(
    remote: Iterable[Dimension],
    local: Iterable[Dimension],
    *,
    full: bool,
    deleted_keys: Iterable[tuple[DimensionKind, str]] = (),
    covered_kinds: Collection[DimensionKind] | None = None,
) -> list[Change]:
    """The changes that make ``local`` match ``remote``.

    ``remote`` values must carry ``source=exact``; when a (kind, code) occurs
    twice the last one wins (the caller reports duplicates). ``deleted_keys`` are
    (kind, exact_id) pairs Exact reports as deleted. ``covered_kinds`` (full
    sync only) limits deletions to the kinds that were read completely; None
    means every kind seen in ``remote``. The result is ordered: additions and
    updates in remote order, then removals in local order.
    """
    remote_by_key: dict[Key, Dimension] = {(d.kind, d.code): d for d in remote}
    local_by_key: dict[Key, Dimension] = {(d.kind, d.code): d for d in local}
    changes = [_compare(r, local_by_key.get(k)) for k, r in remote_by_key.items()]
    found = [c for c in changes if c is not None]
    covered = set(covered_kinds) if covered_kinds is not None else {k for k, _ in remote_by_key}
    gone = {(kind, exact_id) for kind, exact_id in deleted_keys}
    # An Exact value whose code changed arrives under its new code: the old code goes.
    gone |= {(d.kind, d.exact_id) for d in remote_by_key.values() if d.exact_id is not None}
    for key, before in local_by_key.items():
        if key in remote_by_key:
            continue
        removal = _removal(before, full=full, covered=covered, gone=gone)
        if removal is not None:
            found.append(removal)
    return found


def _compare(remote: Dimension, before: Dimension | None) -> Change | None:
    if before is None:
        return Change(ChangeKind.ADDED, remote)
    if before.source is DimensionSource.LOCAL:
        return Change(ChangeKind.REPLACED_LOCAL, remote, before, _differences(before, remote))
    differences = _differences(before, remote)
    if not differences:
        return None
    return Change(_classify(before, remote), remote, before, differences)


def _differences(before: Dimension, after: Dimension) -> tuple[str, ...]:
    return tuple(f for f in COMPARED_FIELDS if getattr(before, f) != getattr(after, f))


def _classify(before: Dimension, after: Dimension) -> ChangeKind:
    if after.blocked and not before.blocked:
        return ChangeKind.BLOCKED
    if before.blocked and not after.blocked:
        return ChangeKind.UNBLOCKED
    ended_sooner = after.valid_until is not None and (
        before.valid_until is None or after.valid_until < before.valid_until
    )
    return ChangeKind.ENDED if ended_sooner else ChangeKind.UPDATED


def _removal(
    before: Dimension, *, full: bool, covered: set[DimensionKind], gone: set[Key]
) -> Change | None:
    if before.source is DimensionSource.LOCAL:
        # Local values only meet a sync on connect (full); they never survive it.
        return Change(ChangeKind.REPLACED_LOCAL, before, before) if full else None
    if full and before.kind in covered:
        return Change(ChangeKind.DELETED, before, before)
    if before.exact_id is not None and (before.kind, before.exact_id) in gone:
        return Change(ChangeKind.DELETED, before, before)
    return None


# -- summary in words --------------------------------------------------------------------------

LABELS: dict[DimensionKind, tuple[str, str]] = {
    DimensionKind.GL_ACCOUNT: (N_("GL account"), N_("GL accounts")),
    DimensionKind.VAT_CODE: (N_("VAT code"), N_("VAT codes")),
    DimensionKind.COST_CENTER: (N_("cost centre"), N_("cost centres")),
    DimensionKind.COST_UNIT: (N_("cost unit"), N_("cost units")),
    DimensionKind.PROJECT: (N_("project"), N_("projects")),
    DimensionKind.JOURNAL: (N_("journal"), N_("journals")),
    DimensionKind.SUPPLIER: (N_("supplier"), N_("suppliers")),
    DimensionKind.DOCUMENT_TYPE: (N_("document type"), N_("document types")),
    DimensionKind.OTHER: (N_("dimension"), N_("dimensions")),
}

# The summary lines as whole sentences (a translation may order the words its own way):
# a counted group ("3 GL accounts added"), and one value named ("VAT code 5 blocked").
COUNTED: dict[ChangeKind, str] = {
    ChangeKind.ADDED: N_("%(count)s %(things)s added"),
    ChangeKind.UPDATED: N_("%(count)s %(things)s changed"),
    ChangeKind.BLOCKED: N_("%(count)s %(things)s blocked"),
    ChangeKind.UNBLOCKED: N_("%(count)s %(things)s unblocked"),
    ChangeKind.ENDED: N_("%(count)s %(things)s ended"),
    ChangeKind.DELETED: N_("%(count)s %(things)s deleted"),
    ChangeKind.REPLACED_LOCAL: N_("%(count)s local %(things)s replaced by Exact Online's"),
}
NAMED: dict[ChangeKind, str] = {
    ChangeKind.ADDED: N_("%(thing)s added"),
    ChangeKind.UPDATED: N_("%(thing)s changed"),
    ChangeKind.BLOCKED: N_("%(thing)s blocked"),
    ChangeKind.UNBLOCKED: N_("%(thing)s unblocked"),
    ChangeKind.ENDED: N_("%(thing)s ended"),
    ChangeKind.DELETED: N_("%(thing)s deleted"),
    ChangeKind.REPLACED_LOCAL: N_("%(thing)s replaced by Exact Online's"),
}
ENDED_ON = N_("%(thing)s ended (end date %(date)s)")

# Up to this many values of one (change, kind) group are named one by one.
NAMED_UP_TO = 5


def describe(dimension: Dimension) -> str:
    """How a user recognises one value: 'VAT code 5', 'supplier Shell (1068)'."""
    singular, _ = LABELS[dimension.kind]
    if dimension.kind is DimensionKind.SUPPLIER and dimension.name:
        return N_(
            "%(kind)s %(name)s (%(code)s)", kind=singular, name=dimension.name, code=dimension.code
        )
    return N_("%(kind)s %(code)s", kind=singular, code=dimension.code)


def summarise(changes: Iterable[Change]) -> list[str]:
    """One line per kind of change, in a finance user's words.

    Additions, edits and replaced local values are counted ("3 GL accounts
    added"); blocks, unblocks, end dates and deletions are named one by one
    ("VAT code 5 blocked", "project P-104 ended (end date 2026-11-01)") unless
    there are more than ``NAMED_UP_TO`` of them in a group.
    """
    groups: dict[tuple[ChangeKind, DimensionKind], list[Change]] = defaultdict(list)
    for change in changes:
        groups[(change.kind, change.dimension.kind)].append(change)
    lines: list[str] = []
    for change_kind in ChangeKind:
        for dimension_kind in DimensionKind:
            group = groups.get((change_kind, dimension_kind), [])
            lines.extend(_group_lines(change_kind, dimension_kind, group))
    return lines


def _group_lines(
    change_kind: ChangeKind, dimension_kind: DimensionKind, group: list[Change]
) -> list[str]:
    if not group:
        return []
    singular, plural = LABELS[dimension_kind]
    counted = change_kind in {ChangeKind.ADDED, ChangeKind.UPDATED, ChangeKind.REPLACED_LOCAL}
    if counted or len(group) > NAMED_UP_TO:
        things = plural if len(group) != 1 else singular
        return [N_(COUNTED[change_kind], count=len(group), things=things)]
    return [_named(change_kind, c) for c in group]


def _named(change_kind: ChangeKind, change: Change) -> str:
    until = change.dimension.valid_until
    if change.kind is ChangeKind.ENDED and until is not None:
        return N_(ENDED_ON, thing=describe(change.dimension), date=until)
    return N_(NAMED[change_kind], thing=describe(change.dimension))


# -- impact on prepared transactions -----------------------------------------------------------


def harmful(changes: Iterable[Change]) -> dict[Key, Change]:
    """The changes that may make coding with that (kind, code) unusable, by (kind, code).

    Blocks, end dates, deletions and replaced local values always count; so does an
    edit of anything but the name (dates, a VAT code's side, a GL account's rules).
    """
    found: dict[Key, Change] = {}
    for change in changes:
        renamed = change.fields_changed == ("name",)
        if change.kind in HARMFUL or (change.kind is ChangeKind.UPDATED and not renamed):
            found[(change.dimension.kind, change.dimension.code)] = change
    return found


def sync_problems(
    lines: Sequence[CodingLine],
    day: date,
    after: Lookup,
    changes: Mapping[Key, Change],
) -> list[str]:
    """Why a coding dated ``day`` is no longer bookable after these ``changes``; [] if it is.

    ``after`` looks values up as the sync left them; ``changes`` are the sync's changes
    by (kind, code). The one rule engine (``coding_problems``) judges the coding before
    and after the sync: only the problems the sync brought count (an old problem is the
    coding's own business), worded with what changed in Exact. A value the sync replaced
    while it was local always counts: a person must check such a coding.
    """
    before = _before(after, changes)
    old = {_identity(p) for p in coding_problems(lines, day, before)}
    reasons: list[str] = []
    for problem in coding_problems(lines, day, after):
        reason = _worded(problem, changes.get(problem.concerns) if problem.concerns else None)
        if _identity(problem) not in old and reason not in reasons:
            reasons.append(reason)
    for line in lines:
        for field_name, kind in LINE_FIELDS:
            change = changes.get((kind, code)) if (code := getattr(line, field_name)) else None
            if change is not None and change.kind is ChangeKind.REPLACED_LOCAL:
                reason = _replaced(change)
                if reason not in reasons:
                    reasons.append(reason)
    return reasons


def _before(after: Lookup, changes: Mapping[Key, Change]) -> Lookup:
    """A lookup of the values as they were before ``changes``."""

    def lookup(kind: DimensionKind, code: str) -> Dimension | None:
        change = changes.get((kind, code))
        return after(kind, code) if change is None else change.before

    return lookup


def _identity(problem: CodingProblem) -> tuple[int | None, str, str, Rule]:
    return problem.line_index, problem.field, problem.code, problem.rule


def _replaced(change: Change) -> str:
    label = describe(change.dimension)
    return f"{label} was a local value; Exact Online's dimensions replaced it, check the coding"


def _worded(problem: CodingProblem, change: Change | None) -> str:
    """The engine's reason, told as what changed in Exact when a change explains it."""
    if change is None:
        return problem.reason
    label = describe(change.dimension)
    if change.kind is ChangeKind.REPLACED_LOCAL:
        return _replaced(change)
    if change.kind is ChangeKind.DELETED:
        return f"{label} was deleted in Exact Online"
    if problem.rule is Rule.NOT_FOR_PURCHASES and change.dimension.kind is DimensionKind.VAT_CODE:
        return f"{label} is no longer valid for purchases"
    if problem.rule is Rule.NOT_FOR_PURCHASES:
        return f"{label} is no longer valid for purchases (its type changed in Exact Online)"
    what = "a cost centre" if problem.field == "cost_center" else "a cost unit"
    if problem.rule is Rule.REQUIRED:
        return f"{label} now requires {what} in Exact Online"
    if problem.rule is Rule.NOT_ALLOWED:
        return f"{label} no longer allows {what} in Exact Online; remove {problem.code}"
    return problem.reason
