"""Deployment-wide facts recorded by migrations, and per-tenant LLM usage."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, ForeignKey, String
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


class MessageRate(Base):
    """Inbound messages per agency and per lead in one minute: rate limits and fair queueing."""

    __tablename__ = "message_rates"

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    # "agency", or "lead:<lead id>".
    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
