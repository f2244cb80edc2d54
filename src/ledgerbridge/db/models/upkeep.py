"""Dimension upkeep and Exact call accounting (migration 0021).

- ``dimension_poll_schedule``: per company and Exact resource, how often it is polled now
  (adaptive: backs off while nothing changes) and when it is next due;
- ``company_activity``: when a user last worked in prep (polling speeds up then);
- ``exact_webhook_subscriptions`` / ``exact_webhook_deliveries``: Exact webhooks we
  subscribed to per division, and each delivery received (a duplicate is ignored);
- ``exact_call_counts``: calls made per app and division (``key`` = "client_id:division"),
  day (UTC, Exact's daily window) and purpose;
- ``financial_periods``: Exact's period table per company; ``closed`` is None until known.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ledgerbridge.db.base import Base

COMPANY_FK = "companies.id"


def _company() -> Mapped[uuid.UUID]:
    return mapped_column(ForeignKey(COMPANY_FK, ondelete="CASCADE"), primary_key=True)


class PollScheduleRow(Base):
    __tablename__ = "dimension_poll_schedule"
    __table_args__ = (Index("ix_dimension_poll_schedule_due", "next_due_at"),)

    company_id: Mapped[uuid.UUID] = _company()
    resource: Mapped[str] = mapped_column(String(32), primary_key=True)
    interval_seconds: Mapped[int] = mapped_column(Integer)
    next_due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_polled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_change_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CompanyActivityRow(Base):
    __tablename__ = "company_activity"

    company_id: Mapped[uuid.UUID] = _company()
    prep_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class WebhookSubscriptionRow(Base):
    __tablename__ = "exact_webhook_subscriptions"

    company_id: Mapped[uuid.UUID] = _company()
    topic: Mapped[str] = mapped_column(String(64), primary_key=True)
    division: Mapped[int] = mapped_column(Integer)
    subscription_id: Mapped[str] = mapped_column(String(64))
    callback_url: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_delivery_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class WebhookDeliveryRow(Base):
    __tablename__ = "exact_webhook_deliveries"
    __table_args__ = (Index("ix_exact_webhook_deliveries_company", "company_id"),)

    content_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(COMPANY_FK, ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(64))
    entity_key: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ExactCallCountRow(Base):
    __tablename__ = "exact_call_counts"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    purpose: Mapped[str] = mapped_column(String(32), primary_key=True)
    calls: Mapped[int] = mapped_column(Integer)


class FinancialPeriodRow(Base):
    __tablename__ = "financial_periods"

    company_id: Mapped[uuid.UUID] = _company()
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[int] = mapped_column(Integer, primary_key=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    closed: Mapped[bool | None] = mapped_column(Boolean)
    closed_learned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    synced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
