"""Coding rules of a company (prep): ordered, each with its conditions and assignment.

``conditions`` and ``assignment`` hold the JSON of ``domain.rules`` (see ``Condition.as_json``).
A transaction's ``rule_id`` (in ``core``) names the rule that set its coding.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ledgerbridge.db.base import Base
from ledgerbridge.db.models.core import COMPANY_FK


class RuleRow(Base):
    __tablename__ = "rules"
    __table_args__ = (Index("ix_rules_company_position", "company_id", "position"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    company_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(COMPANY_FK, ondelete="CASCADE"), nullable=False
    )
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(120))
    conditions: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    assignment: Mapped[dict[str, str]] = mapped_column(JSONB)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_by: Mapped[str] = mapped_column(String(320))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
