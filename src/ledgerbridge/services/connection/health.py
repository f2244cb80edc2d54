"""What a finance user and an operator see about the Exact connection: status and health.

Read-only; one short transaction; no call to Exact.

A 403 from Exact (its ``Reason`` header, noted on the connection by the client) that
says the user, licence or administration is refused shows the connection as ``error``
with advice, until a later call gets through.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ledgerbridge.db.repositories.connections import ConnectionRecord
from ledgerbridge.domain.connection import ConnectionStatus
from ledgerbridge.domain.wording import N_
from ledgerbridge.exact.error_budget import DEFAULT_CAP
from ledgerbridge.exact.oauth import TOKEN_CALLS_PER_DAY
from ledgerbridge.gateway.access import ACCESS_ADVICE
from ledgerbridge.services.ports import Clock, ExactGateway, UnitOfWorkFactory

REFRESH_TOKEN_LIFETIME = timedelta(days=30)
EXPIRY_WARNING = timedelta(days=7)


@dataclass(frozen=True)
class ConnectionView:
    """The connection as the Integrations › Manage page shows it; every field follows from
    the connection's state (``domain.connection``), so no two can contradict.

    ``usable``: Exact is called for the chosen division; ``needs_division``: connected,
    but no administration chosen yet; ``next_step``: what a person does now.
    """

    status: str
    reason: str | None
    usable: bool = False
    next_step: str = N_("connect to Exact Online")
    region: str | None = None
    base_url: str | None = None
    division: int | None = None
    division_name: str | None = None
    exact_user_name: str | None = None
    needs_division: bool = False
    last_success_at: datetime | None = None
    access_problem: str | None = None
    access_problem_at: datetime | None = None


@dataclass(frozen=True)
class HealthReport:
    """Token ages, chain expiry, rate budget left and recent problems."""

    status: ConnectionView
    access_token_age_seconds: float | None = None
    access_token_expires_at: datetime | None = None
    refresh_token_age_seconds: float | None = None
    chain_expires_at: datetime | None = None
    token_calls_today: int = 0
    minute_remaining: int | None = None
    minute_limit: int | None = None
    minute_resets_at: datetime | None = None
    day_remaining: int | None = None
    day_limit: int | None = None
    day_resets_at: datetime | None = None
    errors_this_hour: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def access_refusal(problem: str | None) -> str | None:
    """Plain words for a noted 403 (``"Reason: endpoint"``) that refuses the connection."""
    reason, _, endpoint = (problem or "").partition(": ")
    advice = ACCESS_ADVICE.get(reason)
    if advice is None:
        return None
    return N_(
        "Exact refused access (%(reason)s on %(endpoint)s): %(advice)s",
        reason=reason,
        endpoint=endpoint,
        advice=advice,
    )


def _status_of(found: ConnectionRecord | None) -> ConnectionView:
    if found is None:
        return ConnectionView("not_connected", N_("not connected to Exact Online"))
    state = found.state
    reason = found.status_reason
    if found.status is ConnectionStatus.ERROR:
        reason = access_refusal(found.access_problem) or reason
    return ConnectionView(
        status=state.status.value,
        reason=reason,
        usable=state.usable,
        next_step=state.next_step,
        region=found.region,
        base_url=found.base_url,
        division=found.division,
        division_name=found.division_name,
        exact_user_name=found.exact_user_name,
        needs_division=state.needs_division,
        last_success_at=found.last_success_at,
        access_problem=found.access_problem,
        access_problem_at=found.access_problem_at,
    )


def _load(uow_factory: UnitOfWorkFactory, company_id: uuid.UUID) -> ConnectionRecord | None:
    with uow_factory() as uow:
        return uow.connections.get(company_id)


def connection_status(uow_factory: UnitOfWorkFactory, company_id: uuid.UUID) -> ConnectionView:
    """The company's connection status (``not_connected`` when there is none)."""
    return _status_of(_load(uow_factory, company_id))


def _age(now: datetime, then: datetime | None) -> float | None:
    return None if then is None else (now - then).total_seconds()


def _stamp(value: datetime | None) -> str | datetime:
    return N_("an unknown date") if value is None else value


def _problems(found: ConnectionRecord, report: HealthReport, now: datetime) -> list[str]:
    problems = []
    if found.access_problem:
        problems.append(
            access_refusal(found.access_problem)
            or N_(
                "Exact answered 403 (%(problem)s) on %(when)s",
                problem=found.access_problem,
                when=_stamp(found.access_problem_at),
            )
        )
    if found.status not in (ConnectionStatus.CONNECTED, ConnectionStatus.ERROR):
        reason = found.status_reason or N_("no reason given")
        problems.append(
            N_("connection %(status)s: %(reason)s", status=str(found.status), reason=reason)
        )
    elif found.division is None:
        problems.append(N_("no administration (division) chosen yet"))
    if report.chain_expires_at and report.chain_expires_at - now < EXPIRY_WARNING:
        problems.append(N_("the token chain expires on %(when)s", when=report.chain_expires_at))
    if report.token_calls_today >= TOKEN_CALLS_PER_DAY * 0.8:
        problems.append(
            N_(
                "%(used)s of %(limit)s token calls used today",
                used=report.token_calls_today,
                limit=TOKEN_CALLS_PER_DAY,
            )
        )
    for endpoint, errors in report.errors_this_hour.items():
        if errors >= DEFAULT_CAP // 2:
            problems.append(
                N_(
                    "%(count)s error answers from %(endpoint)s this hour",
                    count=errors,
                    endpoint=endpoint,
                )
            )
    return problems


def _token_facts(found: ConnectionRecord, now: datetime) -> dict[str, object]:
    """Token ages and the chain's expiry, only while tokens are held."""
    if not found.has_tokens:
        return {}
    return {
        "access_token_age_seconds": _age(now, found.access_issued_at),
        "access_token_expires_at": found.access_expires_at,
        "refresh_token_age_seconds": _age(now, found.refresh_issued_at),
        "chain_expires_at": (
            found.refresh_issued_at + REFRESH_TOKEN_LIFETIME if found.refresh_issued_at else None
        ),
    }


def _budget_facts(exact: ExactGateway, found: ConnectionRecord) -> dict[str, object]:
    """What is left of the division's rate budget (shared by every company on it)."""
    if found.division is None:
        return {}
    budget = exact.rate_budget(found.client_id, found.division)
    if budget is None:
        return {}
    return {
        "minute_remaining": budget.minute_remaining,
        "minute_limit": budget.minute_limit,
        "minute_resets_at": budget.minute_reset_at,
        "day_remaining": budget.day_remaining,
        "day_limit": budget.day_limit,
        "day_resets_at": budget.day_reset_at,
    }


def health_report(
    uow_factory: UnitOfWorkFactory, exact: ExactGateway, now: Clock, company_id: uuid.UUID
) -> HealthReport:
    """The health of the company's connection as of ``now()``; no call to Exact."""
    at = now()
    found = _load(uow_factory, company_id)
    status = _status_of(found)
    if found is None:
        return HealthReport(status)
    today = at.replace(hour=0, minute=0, second=0, microsecond=0)
    report = HealthReport(
        status=status,
        token_calls_today=found.token_calls_count if found.token_calls_day == today else 0,
        errors_this_hour=exact.errors_this_hour(company_id),
        **_token_facts(found, at),  # type: ignore[arg-type]
        **_budget_facts(exact, found),  # type: ignore[arg-type]
    )
    report.problems.extend(_problems(found, report, at))
    return report
