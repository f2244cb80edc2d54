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
from typing import TYPE_CHECKING

from ledgerbridge.db.models.exact import ExactConnection
from ledgerbridge.exact.error_budget import DEFAULT_CAP
from ledgerbridge.gateway.stores import PostgresErrorBudget
from ledgerbridge.gateway.token_chain import TOKEN_CALLS_PER_DAY

if TYPE_CHECKING:
    from ledgerbridge.bootstrap import Container

REFRESH_TOKEN_LIFETIME = timedelta(days=30)
EXPIRY_WARNING = timedelta(days=7)
# Exact's 403 Reasons that refuse the whole connection, and what a person can do.
ACCESS_ADVICE = {
    "BlockedUser": "the Exact user who connected is blocked in Exact; unblock the user or "
    "renew the connection with another user",
    "InactiveUser": "the Exact user who connected is inactive in Exact; reactivate the user "
    "or renew the connection with another user",
    "NoDivisionAccess": "the Exact user has no access to this administration (or did not "
    "select it when consenting); grant access in Exact or renew the connection",
    "DivisionBlocked": "this administration is blocked in Exact",
    "BlockedCustomer": "the Exact Online customer account is blocked; contact Exact",
    "LicenseExpired": "the Exact Online licence has expired; renew it with Exact",
}


@dataclass(frozen=True)
class ConnectionStatus:
    """The connection as the Integrations › Manage page shows it."""

    connected: bool
    status: str
    reason: str | None
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

    status: ConnectionStatus
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
    return None if advice is None else f"Exact refused access ({reason} on {endpoint}): {advice}"


def _status_of(row: ExactConnection | None) -> ConnectionStatus:
    if row is None:
        return ConnectionStatus(False, "not_connected", "not connected to Exact Online")
    refusal = access_refusal(row.access_problem) if row.status == "connected" else None
    return ConnectionStatus(
        connected=row.status == "connected" and row.division is not None and refusal is None,
        status="error" if refusal else row.status,
        reason=refusal or row.status_reason,
        region=row.region,
        base_url=row.base_url,
        division=row.division,
        division_name=row.division_name,
        exact_user_name=row.exact_user_name,
        needs_division=row.status == "connected" and row.division is None,
        last_success_at=row.last_success_at,
        access_problem=row.access_problem,
        access_problem_at=row.access_problem_at,
    )


def _load(container: Container, company_id: uuid.UUID) -> ExactConnection | None:
    with container.uow() as uow:
        row: ExactConnection | None = (
            uow.session.query(ExactConnection).filter_by(company_id=company_id).one_or_none()
        )
        if row is not None:
            uow.session.expunge(row)  # a detached snapshot survives the unit of work's rollback
        return row


def connection_status(container: Container, company_id: uuid.UUID) -> ConnectionStatus:
    """The company's connection status (``not_connected`` when there is none)."""
    return _status_of(_load(container, company_id))


def _age(now: datetime, then: datetime | None) -> float | None:
    return None if then is None else (now - then).total_seconds()


def _fresh(
    value: int | None, reset: datetime | None, limit: int | None, now: datetime
) -> int | None:
    """A remaining count as of ``now``: the full limit once its window has reset."""
    if reset is not None and now >= reset:
        return limit
    return value


def _stamp(value: datetime | None) -> str:
    return "an unknown date" if value is None else f"{value:%Y-%m-%d %H:%M} UTC"


def _problems(row: ExactConnection, report: HealthReport, now: datetime) -> list[str]:
    found = []
    if row.access_problem:
        found.append(
            access_refusal(row.access_problem)
            or f"Exact answered 403 ({row.access_problem}) on {_stamp(row.access_problem_at)}"
        )
    if row.status != "connected":
        found.append(f"connection {row.status}: {row.status_reason or 'no reason given'}")
    elif row.division is None:
        found.append("no administration (division) chosen yet")
    if report.chain_expires_at and report.chain_expires_at - now < EXPIRY_WARNING:
        found.append(f"the token chain expires on {report.chain_expires_at:%Y-%m-%d %H:%M} UTC")
    if report.token_calls_today >= TOKEN_CALLS_PER_DAY * 0.8:
        found.append(f"{report.token_calls_today} of {TOKEN_CALLS_PER_DAY} token calls used today")
    for endpoint, errors in report.errors_this_hour.items():
        if errors >= DEFAULT_CAP // 2:
            found.append(f"{errors} error answers from {endpoint} this hour")
    return found


def health_report(container: Container, company_id: uuid.UUID) -> HealthReport:
    """The health of the company's connection as of ``container.now()``."""
    now = container.now()
    row = _load(container, company_id)
    status = _status_of(row)
    if row is None:
        return HealthReport(status)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    report = HealthReport(
        status=status,
        access_token_age_seconds=_age(now, row.access_issued_at),
        access_token_expires_at=row.access_expires_at,
        refresh_token_age_seconds=_age(now, row.refresh_issued_at),
        chain_expires_at=(
            row.refresh_issued_at + REFRESH_TOKEN_LIFETIME if row.refresh_issued_at else None
        ),
        token_calls_today=row.token_calls_count if row.token_calls_day == today else 0,
        minute_remaining=_fresh(row.minute_remaining, row.minute_reset_at, row.minute_limit, now),
        minute_limit=row.minute_limit,
        minute_resets_at=row.minute_reset_at,
        day_remaining=_fresh(row.day_remaining, row.day_reset_at, row.day_limit, now),
        day_limit=row.day_limit,
        day_resets_at=row.day_reset_at,
        errors_this_hour=PostgresErrorBudget(
            container.session_factory, company_id
        ).errors_by_endpoint(now),
    )
    report.problems.extend(_problems(row, report, now))
    return report
