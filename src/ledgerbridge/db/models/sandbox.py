"""The Exact Online sandbox's persisted state, in schema ``sandbox``.

One row per sandbox entity (a GL account, a purchase entry line, a sync/Deleted
record …): the entity's fields as tagged JSON, keyed by division, store table
and key. The sandbox keeps everything in memory and writes through here so a
demo restart keeps what was exported.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ledgerbridge.db.base import Base


class SandboxRecord(Base):
    __tablename__ = "records"
    __table_args__ = {"schema": "sandbox"}  # noqa: RUF012  (SQLAlchemy reads it as is)

    division: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource: Mapped[str] = mapped_column(String(100), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    timestamp: Mapped[int] = mapped_column(BigInteger, nullable=False)
