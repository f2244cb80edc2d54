"""How often each Exact resource is polled: adaptive intervals, decided without I/O.

Exact allows 5,000 calls a day per administration; polling every resource every
15 minutes spends 960 of them learning that nothing changed. Instead each resource
has its own interval:

- it starts at the policy's ``base`` and doubles (``backoff``) after every poll that
  found nothing new, up to ``ceiling`` (a few hours for rarely changing kinds);
- a change seen, or "Sync now", brings it back to ``base``;
- while a user works in prep (seen within ``active_window``), a resource is polled at
  least every ``active_ceiling`` — so a change made in Exact shows up here within
  that time, without the interval itself being reset;
- a resource that an Exact webhook covers is polled only as a safety net
  (``safety_net``), whatever else holds: the webhook brings its changes.

Resources due within ``grace`` of the earliest due one are polled in the same run, so
``sync/Deleted`` (one call for all kinds with deletions) is shared.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)

# Resource names as the sync stores its positions (services.dimensions.gather), plus the
# division check (a division move resets Exact's row versions) and the period table.
OFTEN = ("gl_accounts", "suppliers", "projects")
RARELY = ("vat_codes", "journals", "cost_centers", "cost_units", "document_types")
DIVISION = "division"
PERIODS = "periods"
ALL_RESOURCES = (*OFTEN, *RARELY, DIVISION, PERIODS)


@dataclass(frozen=True, slots=True)
class PollPolicy:
    """The intervals of one resource (see the module docstring)."""

    base: timedelta
    ceiling: timedelta
    active_ceiling: timedelta
    safety_net: timedelta = 6 * HOUR

    def __post_init__(self) -> None:
        if not timedelta(0) < self.base <= self.ceiling:
            raise ValueError("a poll policy needs 0 < base <= ceiling")
        if self.active_ceiling <= timedelta(0) or self.safety_net <= timedelta(0):
            raise ValueError("a poll policy's active ceiling and safety net must be positive")


def _rarely() -> PollPolicy:
    return PollPolicy(base=15 * MINUTE, ceiling=6 * HOUR, active_ceiling=15 * MINUTE)


def default_policies() -> dict[str, PollPolicy]:
    """Defaults that keep an idle day under 150 calls and a working day under 400
    (``benchmarks/day_budget.py``), with changes visible within 15 minutes in prep."""
    return dict(UpkeepPolicy.from_minutes().policies)


@dataclass(frozen=True, slots=True)
class UpkeepPolicy:
    """Every resource's policy and the shared knobs."""

    policies: Mapping[str, PollPolicy] = field(default_factory=default_policies)
    backoff: float = 2.0
    active_window: timedelta = 20 * MINUTE
    grace: timedelta = MINUTE

    def __post_init__(self) -> None:
        if self.backoff < 1:
            raise ValueError("backoff must be at least 1")

    @classmethod
    def from_minutes(
        cls,
        *,
        often: int = 5,
        often_ceiling: int = 180,
        rarely: int = 15,
        rarely_ceiling: int = 360,
        in_prep: int = 15,
        prep_active: int = 20,
        backoff: float = 2.0,
        safety_net: int = 360,
    ) -> UpkeepPolicy:
        """A policy from the plain numbers of the settings (``LEDGERBRIDGE_SYNC_*``)."""
        m = MINUTE

        def tier(base: int, ceiling: int) -> PollPolicy:
            return PollPolicy(
                base=min(base, ceiling) * m,
                ceiling=ceiling * m,
                active_ceiling=in_prep * m,
                safety_net=safety_net * m,
            )

        slow = PollPolicy(
            base=HOUR,
            ceiling=12 * HOUR,
            active_ceiling=max(HOUR, in_prep * m),
            safety_net=12 * HOUR,
        )
        # The period table changes about once a year (a new financial year); whether a
        # period is closed is not in it at all (learnt from Exact's refusal).
        yearly = PollPolicy(
            base=6 * HOUR, ceiling=24 * HOUR, active_ceiling=6 * HOUR, safety_net=24 * HOUR
        )
        policies = {name: tier(often, often_ceiling) for name in OFTEN}
        policies |= {name: tier(rarely, rarely_ceiling) for name in RARELY}
        policies |= {DIVISION: slow, PERIODS: yearly}
        return cls(policies=policies, backoff=backoff, active_window=prep_active * m)

    def of(self, resource: str) -> PollPolicy:
        return self.policies.get(resource) or _rarely()


@dataclass(frozen=True, slots=True)
class PollState:
    """Where one resource's polling stands."""

    resource: str
    interval: timedelta
    last_polled_at: datetime | None = None
    last_change_at: datetime | None = None


def is_active(prep_seen_at: datetime | None, now: datetime, policy: UpkeepPolicy) -> bool:
    """Whether a user worked in prep recently enough to speed polling up."""
    return prep_seen_at is not None and now - prep_seen_at <= policy.active_window


def due_at(
    state: PollState | None,
    policy: UpkeepPolicy,
    *,
    active: bool,
    covered: bool = False,
) -> datetime | None:
    """When ``state``'s resource is next due; None: due now (never polled)."""
    if state is None or state.last_polled_at is None:
        return None
    rules = policy.of(state.resource)
    interval = state.interval
    if covered:
        interval = rules.safety_net
    elif active:
        interval = min(interval, rules.active_ceiling)
    return state.last_polled_at + interval


def due_resources(
    states: Mapping[str, PollState],
    policy: UpkeepPolicy,
    now: datetime,
    *,
    active: bool,
    covered: Collection[str] = (),
    resources: Iterable[str] = ALL_RESOURCES,
) -> list[str]:
    """The resources to poll now (in ``resources`` order); [] when none is due.

    When one resource's time has come, those due within ``grace`` come along: polling
    them together shares ``sync/Deleted`` and keeps them aligned from then on.
    """
    moments = {
        resource: due_at(states.get(resource), policy, active=active, covered=resource in covered)
        for resource in resources
    }
    if not any(m is None or m <= now for m in moments.values()):
        return []
    horizon = now + policy.grace
    return [r for r, m in moments.items() if m is None or m <= horizon]


def next_due(
    states: Mapping[str, PollState],
    policy: UpkeepPolicy,
    *,
    active: bool,
    covered: Collection[str] = (),
    resources: Iterable[str] = ALL_RESOURCES,
) -> datetime | None:
    """The earliest moment any resource is due (None: one is due now)."""
    moments = [
        due_at(states.get(r), policy, active=active, covered=r in covered) for r in resources
    ]
    if any(m is None for m in moments):
        return None
    return min(m for m in moments if m is not None)


def after_poll(
    state: PollState | None,
    resource: str,
    policy: UpkeepPolicy,
    *,
    changed: bool,
    now: datetime,
    reset: bool = False,
) -> PollState:
    """The state after polling ``resource`` at ``now``.

    A change seen or a reset ("Sync now") brings the interval back to ``base``; a poll
    that found nothing new backs it off, up to ``ceiling``.
    """
    rules = policy.of(resource)
    if state is None or changed or reset:
        interval = rules.base
    else:
        interval = min(state.interval * policy.backoff, rules.ceiling)
    base = state or PollState(resource, interval)
    return replace(
        base,
        interval=interval,
        last_polled_at=now,
        last_change_at=now if changed else base.last_change_at,
    )
