"""Use case: keep a company's dimensions equal to Exact Online's, and show the impact.

``sync_dimensions`` is gather → decide → apply:

1. gather (``dimension_gather``): read changes from Exact, outside any database
   transaction;
2. decide (``domain.dimension_sync``): the pure planner compares with what we hold;
3. apply: dimensions, sync positions, flagged transactions and the run's summary
   are written in ONE database transaction. Any failure rolls it all back — the
   previous dimensions stay intact and the positions do not move, so the next
   run picks up where the last good one ended. The failed run is then recorded
   on its own.

Impact: after every sync, transactions in ``to_prepare`` or ``ready`` whose
coding uses a value that is now blocked, ended, deleted, replaced or no longer
valid for purchases are flagged; ``ready`` ones go back to ``to_prepare``
with the reason; the summary lists them.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from ledgerbridge.db.repositories.dimensions import DimensionRepository, SyncPosition
from ledgerbridge.domain.dimension_sync import Change, plan_dimension_changes, summarise
from ledgerbridge.domain.dimensions import Dimension, DimensionSource
from ledgerbridge.domain.upkeep import DIVISION as UPKEEP_DIVISION
from ledgerbridge.domain.upkeep import PERIODS as UPKEEP_PERIODS
from ledgerbridge.domain.upkeep import UpkeepPolicy, after_poll
from ledgerbridge.domain.wording import N_, as_json
from ledgerbridge.exact.api import ExactApi
from ledgerbridge.exact.errors import ExactError
from ledgerbridge.exact.purpose import Purpose, calls_for
from ledgerbridge.services.dimensions.client import sync_client
from ledgerbridge.services.dimensions.gather import (
    DIVISION,
    DimensionApi,
    Gathered,
    division_move_date,
    gather,
)
from ledgerbridge.services.dimensions.impact import (
    FlaggedTransaction,
    ReplacementNotConfirmed,
    ReplacementPreview,
    flag_transactions,
    preview_replacement,
    require_replacement_confirmed,
)
from ledgerbridge.services.dimensions.periods import sync_periods
from ledgerbridge.services.ports import Clock, ExactGateway, UnitOfWork, UnitOfWorkFactory

__all__ = [
    "Mode",
    "ReplacementNotConfirmed",
    "ReplacementPreview",
    "SyncOutcome",
    "preview_replacement",
    "require_replacement_confirmed",
    "sync_company",
    "sync_dimensions",
]
log = logging.getLogger(__name__)

Mode = Literal["full", "incremental", "auto"]
# Without a full refresh for this long an incremental sync upgrades itself to one
# (the nightly job normally does it; this covers a worker that was down).
FULL_REFRESH_AFTER = timedelta(hours=36)
ACTOR = "dimension-sync"


@dataclass(frozen=True)
class SyncOutcome:
    """What a run did, as stored in ``dimension_sync_runs``."""

    run_id: int
    mode: Literal["full", "incremental"]
    status: Literal["ok", "failed"]
    lines: list[str]
    flagged: list[FlaggedTransaction] = field(default_factory=list)
    api_calls: int = 0
    error: str | None = None
    polled: list[str] = field(default_factory=list)


def sync_dimensions(
    uow_factory: Callable[[], UnitOfWork],
    company_id: uuid.UUID,
    api: DimensionApi,
    *,
    mode: Mode = "auto",
    now: Callable[[], datetime],
    api_calls: Callable[[], int] = lambda: 0,
    client_skips: Callable[[], list[str]] = list,
    resources: Collection[str] | None = None,
    policy: UpkeepPolicy | None = None,
    reset_intervals: bool = False,
) -> SyncOutcome:
    """Run one sync for ``company_id``; never raises for Exact or database failures.

    ``mode="auto"`` is incremental unless a full pull is due (first sync, a new
    division or division move date, no full refresh for ``FULL_REFRESH_AFTER``).
    A failed run leaves dimensions and positions as they were and is recorded
    with its error. ``api_calls`` reports the calls made so far (for the summary);
    ``client_skips`` names records the client could not parse.

    ``resources`` limits an incremental run to those resources (``domain.upkeep``
    names; None: all); the division check (one call) runs only when ``division`` is
    among them or a full pull may be due. Each polled resource's interval then moves
    by ``policy`` (backs off without changes; ``reset_intervals`` for "Sync now").
    """
    started = now()
    chosen: Literal["full", "incremental"] = "full" if mode == "full" else "incremental"
    policy = policy or UpkeepPolicy()
    try:
        with uow_factory() as uow:
            positions = uow.dimensions.positions(company_id)
        stored = positions.get(DIVISION)
        check_division = (
            resources is None or UPKEEP_DIVISION in resources or mode == "full" or stored is None
        )
        if check_division or stored is None:
            move_date = division_move_date(api)
        else:
            move_date = stored.division_move_date
        reset = _positions_reset(positions, api.division, move_date)
        chosen = _choose(mode, positions, reset, started)
        only = None if chosen == "full" else resources
        found = gather(api, positions, full=chosen == "full", now=started, reset=reset, only=only)
        if check_division:
            found.polled.append(UPKEEP_DIVISION)
        last_full = started if found.full else positions.get(DIVISION, SyncPosition()).last_full_at
        found.positions[DIVISION] = SyncPosition(
            division=api.division, division_move_date=move_date, last_full_at=last_full
        )
        found.skipped += client_skips()
        schedule = _Schedule(policy, reset_intervals, moved=reset and stored is not None)
        return _apply(uow_factory, company_id, found, started, now, api_calls, schedule)
    except Exception as exc:  # a run is always recorded, whatever stopped it
        log.exception("dimension sync failed for company %s", company_id)
        return _record_failure(uow_factory, company_id, chosen, started, now, api_calls, exc)


def _positions_reset(
    positions: dict[str, SyncPosition], division: int, move_date: datetime | None
) -> bool:
    """True when the stored positions are worthless: first sync, another division, or a
    division move (Exact resets its timestamps then)."""
    stored = positions.get(DIVISION)
    return stored is None or stored.division != division or stored.division_move_date != move_date


def _choose(
    mode: Mode, positions: dict[str, SyncPosition], reset: bool, now: datetime
) -> Literal["full", "incremental"]:
    if mode != "auto":
        return mode
    if reset:
        return "full"
    # The division row remembers the last complete full pull (per-resource rows may lag
    # behind when a resource was unavailable).
    last_full = positions[DIVISION].last_full_at
    if last_full is None or now - last_full > FULL_REFRESH_AFTER:
        return "full"
    return "incremental"


def _apply(
    uow_factory: Callable[[], UnitOfWork],
    company_id: uuid.UUID,
    found: Gathered,
    started: datetime,
    now: Callable[[], datetime],
    api_calls: Callable[[], int],
    schedule: _Schedule,
) -> SyncOutcome:
    with uow_factory() as uow:
        repo = uow.dimensions
        repo.lock_company(company_id)
        changes = decide(repo, company_id, found)
        write_changes(repo, company_id, changes, started)
        flagged = flag_transactions(uow, company_id, changes)
        for resource, position in found.positions.items():
            repo.save_position(company_id, resource, position)
        schedule.save(repo, company_id, found, changes, started)
        lines = summary_lines(changes, found, flagged)
        mode: Literal["full", "incremental"] = "full" if found.full else "incremental"
        run = repo.add_run(
            company_id,
            started_at=started,
            finished_at=now(),
            mode=mode,
            status="ok",
            summary=_summary_json(lines, changes, found),
            api_calls=api_calls(),
            flagged_transactions=[f.as_json() for f in flagged],
        )
        uow.audit.record(
            action=f"dimensions.sync.{mode}",
            actor=ACTOR,
            company_id=company_id,
            subject_type="dimension_sync_run",
            subject_id=run.id,
            details={"lines": lines},
        )
        uow.commit()
        return SyncOutcome(run.id, mode, "ok", lines, flagged, run.api_calls, polled=found.polled)


@dataclass(frozen=True)
class _Schedule:
    """How a run moves the polled resources' intervals (``domain.upkeep``)."""

    policy: UpkeepPolicy
    reset_intervals: bool
    moved: bool  # the division moved (or changed): its check saw a change

    def save(
        self,
        repo: DimensionRepository,
        company_id: uuid.UUID,
        found: Gathered,
        changes: list[Change],
        at: datetime,
    ) -> None:
        states = repo.poll_states(company_id)
        changed = found.changed_resources(changes) | ({UPKEEP_DIVISION} if self.moved else set())
        repo.save_poll_states(
            company_id,
            [
                after_poll(
                    states.get(resource),
                    resource,
                    self.policy,
                    changed=resource in changed,
                    now=at,
                    reset=self.reset_intervals,
                )
                for resource in found.polled
            ],
        )


def decide(repo: DimensionRepository, company_id: uuid.UUID, found: Gathered) -> list[Change]:
    """The planner's changes for what was gathered: kinds read whole, then the rest."""
    complete = [d for d in found.remote if d.kind in found.complete_kinds]
    partial = [d for d in found.remote if d.kind not in found.complete_kinds]
    changes: list[Change] = []
    if found.complete_kinds or found.full:
        # A full sync also meets every local value; otherwise only the kinds read whole.
        held = repo.all(company_id, kinds=None if found.full else found.complete_kinds)
        local = [
            d
            for d in held
            if d.kind in found.complete_kinds or (found.full and d.source is DimensionSource.LOCAL)
        ]
        changes += plan_dimension_changes(
            complete, local, full=True, covered_kinds=found.complete_kinds
        )
    if partial or found.deleted:
        keys = {(d.kind, d.code) for d in partial}
        ids = {(d.kind, d.exact_id) for d in partial if d.exact_id} | found.deleted
        local = [
            d
            for d in repo.matching(company_id, keys, ids)
            if d.kind not in found.complete_kinds
            and not (found.full and d.source is DimensionSource.LOCAL)  # planned above
        ]
        changes += plan_dimension_changes(partial, local, full=False, deleted_keys=found.deleted)
    return changes


def write_changes(
    repo: DimensionRepository, company_id: uuid.UUID, changes: list[Change], at: datetime
) -> None:
    """Apply the planner's changes: removals first, then inserts/updates stamped ``at``."""
    repo.remove(company_id, [(c.dimension.kind, c.dimension.code) for c in changes if c.removes])
    kept: list[Dimension] = [replace(c.dimension, synced_at=at) for c in changes if not c.removes]
    repo.save(company_id, kept)


def summary_lines(
    changes: list[Change], found: Gathered, flagged: list[FlaggedTransaction]
) -> list[str]:
    lines = summarise(changes) or [N_("no changes")]
    lines += found.unavailable + found.skipped
    for item in flagged:
        lines.append(item.line())
    return lines


def _summary_json(lines: list[str], changes: list[Change], found: Gathered) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for change in changes:
        counts[change.kind.value] = counts.get(change.kind.value, 0) + 1
    return {
        "lines": lines,
        # The same lines, translatable when a page shows them (``domain.wording.from_json``).
        "phrases": [as_json(line) for line in lines],
        "changes": counts,
        "changed": [
            {"change": c.kind.value, "kind": c.dimension.kind.value, "code": c.dimension.code}
            for c in changes[:500]
        ],
        "skipped": found.skipped,
        "unavailable": found.unavailable,
    }


def _record_failure(
    uow_factory: Callable[[], UnitOfWork],
    company_id: uuid.UUID,
    mode: Literal["full", "incremental"],
    started: datetime,
    now: Callable[[], datetime],
    api_calls: Callable[[], int],
    exc: BaseException,
) -> SyncOutcome:
    error = f"{type(exc).__name__}: {exc}"
    line = "sync failed; the previous dimensions are kept — " + error
    with uow_factory() as uow:
        run = uow.dimensions.add_run(
            company_id,
            started_at=started,
            finished_at=now(),
            mode=mode,
            status="failed",
            summary={"lines": [line]},
            api_calls=api_calls(),
            error=error,
            flagged_transactions=[],
        )
        uow.commit()
        return SyncOutcome(run.id, mode, "failed", [line], [], run.api_calls, error)


def sync_company(
    uow: UnitOfWorkFactory,
    exact: ExactGateway,
    now: Clock,
    company_id: uuid.UUID,
    *,
    mode: Mode = "auto",
    resources: Collection[str] | None = None,
    policy: UpkeepPolicy | None = None,
    reset_intervals: bool = False,
) -> SyncOutcome:
    """Sync one company's dimensions from its Exact connection (see ``sync_dimensions``).

    Raises ``ConnectionNotReady`` when the company has no usable connection.
    """
    with calls_for(Purpose.DIMENSION_UPKEEP):
        http, division = exact.http(company_id)
        client = sync_client(http, division)
        outcome = sync_dimensions(
            uow,
            company_id,
            client.api,
            mode=mode,
            now=now,
            api_calls=lambda: client.counter.calls,
            client_skips=client.skipped_lines,
            resources=resources,
            policy=policy,
            reset_intervals=reset_intervals,
        )
        wanted = resources is None or UPKEEP_PERIODS in resources or outcome.mode == "full"
        if outcome.status == "ok" and wanted:
            _poll_periods(uow, company_id, client.api, now, policy or UpkeepPolicy(),
                          reset_intervals, outcome)  # fmt: skip
            outcome = replace(outcome, api_calls=client.counter.calls)
            with uow() as work:  # the run's figure includes the period table's call
                run = work.dimensions.run(company_id, outcome.run_id)
                if run is not None:
                    run.api_calls = outcome.api_calls
                work.commit()
        return outcome


def _poll_periods(
    uow: UnitOfWorkFactory,
    company_id: uuid.UUID,
    api: ExactApi,
    now: Clock,
    policy: UpkeepPolicy,
    reset_intervals: bool,
    outcome: SyncOutcome,
) -> None:
    """Exact's period table (``services.dimensions.periods``), on its own slow interval.

    A failure here never fails the dimension sync: the periods are polled again later.
    """
    with uow() as work:
        before = work.periods.all(company_id)
    try:
        sync_periods(uow, company_id, api, now)
    except ExactError as exc:
        log.warning("financial periods of company %s not read: %s", company_id, exc)
        return
    with uow() as work:
        changed = work.periods.all(company_id) != before
        state = work.dimensions.poll_states(company_id).get(UPKEEP_PERIODS)
        moved = after_poll(state, UPKEEP_PERIODS, policy, changed=changed, now=now(),
                           reset=reset_intervals)  # fmt: skip
        work.dimensions.save_poll_states(company_id, [moved])
        work.commit()
    outcome.polled.append(UPKEEP_PERIODS)
