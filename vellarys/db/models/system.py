"""Deployment-wide facts recorded by migrations, and per-tenant LLM usage."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from vellarys.db.base import Base, TimestampMixin


class SystemSetting(TimestampMixin, Base):
    """Facts fixed at migration time, such as the embedding dimension."""

    __tablename__ = "system_settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column()


class LlmUsage(TimestampMixin, Base):
    """Tokens spent per tenant per day, for the daily budget."""

    __tablename__ = "llm_usage"

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    prompt_tokens: Mapped[int] = mapped_column(default=0)
    completion_tokens: Mapped[int] = mapped_column(default=0)
    requests: Mapped[int] = mapped_column(default=0)
