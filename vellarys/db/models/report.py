"""What the managers' figures need beyond the leads themselves: the agency's and each broker's
monthly goals, and the WhatsApp copy of the morning briefing, one per manager and day."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from vellarys.db.base import Base, IdMixin, TimestampMixin, check_in

BRIEFING_STATUSES = ("pending", "sent", "failed", "skipped", "no_template")


class BrokerGoal(IdMixin, TimestampMixin, Base):
    """A broker's goals for one month (``month`` is its first day), set by an admin."""

    __tablename__ = "broker_goals"
    __table_args__ = (
        UniqueConstraint("tenant_id", "user_id", "month", name="uq_broker_goals_month"),
        CheckConstraint("visits >= 0 AND won >= 0", name="positive"),
        CheckConstraint("extract(day FROM month) = 1", name="first_day"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    month: Mapped[date] = mapped_column(Date)
    visits: Mapped[int] = mapped_column(default=0, server_default="0")
    won: Mapped[int] = mapped_column(default=0, server_default="0")


class AgencyGoal(IdMixin, TimestampMixin, Base):
    """The whole agency's goals for one month (``month`` is its first day), set by an admin."""

    __tablename__ = "agency_goals"
    __table_args__ = (
        UniqueConstraint("tenant_id", "month", name="uq_agency_goals_month"),
        CheckConstraint("leads >= 0 AND visits >= 0 AND won >= 0", name="positive"),
        CheckConstraint("extract(day FROM month) = 1", name="first_day"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    month: Mapped[date] = mapped_column(Date)
    leads: Mapped[int] = mapped_column(default=0, server_default="0")
    visits: Mapped[int] = mapped_column(default=0, server_default="0")
    won: Mapped[int] = mapped_column(default=0, server_default="0")


class BriefingMessage(IdMixin, Base):
    """The morning briefing on one manager's WhatsApp. ``(tenant, user, day)`` is unique, so
    the periodic job that runs every 10 minutes claims each day's message once."""

    __tablename__ = "briefing_messages"
    __table_args__ = (
        UniqueConstraint("tenant_id", "user_id", "day", name="uq_briefing_messages_once"),
        CheckConstraint(check_in("status", BRIEFING_STATUSES), name="status"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    phone: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
