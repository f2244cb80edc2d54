"""Export settings of a company (one Exact connection per company): how it is booked.

``settings`` holds the JSON of ``domain.export_settings.ExportSettings`` (read and written
only by ``db.repositories.export_settings``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ledgerbridge.db.base import Base
from ledgerbridge.db.models.core import COMPANY_FK


class ExportSettingsRow(Base):
    __tablename__ = "export_settings"

    company_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(COMPANY_FK, ondelete="CASCADE"), primary_key=True
    )
    settings: Mapped[dict[str, Any]] = mapped_column(JSONB)
    updated_by: Mapped[str] = mapped_column(String(320))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
