"""Exact Online connection tables: the connection (tokens encrypted), rate budgets, error budget.

- ``exact_connections``: at most one per company (unique ``company_id``, enforced
  by the database). Tokens are Fernet ciphertext (``ledgerbridge.crypto``); the
  plain tokens never touch the database.
- ``exact_rate_budgets``: what Exact's rate-limit headers last said per
  ``"client_id:division"``; shared by every worker on every machine.
- ``exact_endpoint_errors``: 400/401/403/404 answers per company, endpoint and minute,
  so we stop calling an endpoint before Exact blocks it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from ledgerbridge.db.base import Base


def _timestamp(nullable: bool = True) -> Mapped[datetime | None]:
    return mapped_column(DateTime(timezone=True), nullable=nullable)


class ExactConnection(Base):
    """One company's link to one Exact Online administration (division)."""

    __tablename__ = "exact_connections"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    company_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), unique=True, nullable=False
    )
    region: Mapped[str] = mapped_column(String(16))
    base_url: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str] = mapped_column(String(255))
    division: Mapped[int | None] = mapped_column(Integer, nullable=True)
    division_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    exact_user_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    exact_user_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    status_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    access_token_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True)
    refresh_token_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True)
    access_expires_at: Mapped[datetime | None] = _timestamp()
    access_issued_at: Mapped[datetime | None] = _timestamp()
    refresh_issued_at: Mapped[datetime | None] = _timestamp()
    refresh_retry_at: Mapped[datetime | None] = _timestamp()  # after a failed refresh
    # Exact's last 401 to our access token; a refreshed token refused again means the
    # Exact session ended (needs_reauth). Cleared by a call that gets through.
    access_rejected_at: Mapped[datetime | None] = _timestamp()
    token_calls_day: Mapped[datetime | None] = _timestamp()
    token_calls_count: Mapped[int] = mapped_column(Integer, default=0)
    last_success_at: Mapped[datetime | None] = _timestamp()
    # Exact's last 403 Reason (BlockedUser, NoDivisionAccess, ...) and the endpoint; cleared
    # by this company's next call that gets through.
    access_problem: Mapped[str | None] = mapped_column(Text, nullable=True)
    access_problem_at: Mapped[datetime | None] = _timestamp()
    oauth_state_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    oauth_state_created_at: Mapped[datetime | None] = _timestamp()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class ExactRateBudget(Base):
    """Exact's last rate-limit headers for one app and division (``key`` = "client_id:division")."""

    __tablename__ = "exact_rate_budgets"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    minute_limit: Mapped[int] = mapped_column(Integer)
    minute_remaining: Mapped[int] = mapped_column(Integer)
    minute_reset_at: Mapped[datetime | None] = _timestamp()
    day_limit: Mapped[int] = mapped_column(Integer)
    day_remaining: Mapped[int] = mapped_column(Integer)
    day_reset_at: Mapped[datetime | None] = _timestamp()
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ExactEndpointErrors(Base):
    """Error answers (400/401/403/404) from one endpoint for one company in one minute."""

    __tablename__ = "exact_endpoint_errors"

    company_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True
    )
    endpoint: Mapped[str] = mapped_column(String(255), primary_key=True)
    minute: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
