"""Visits to listings, the brokers' weekly availability and blocked times, and visit reminders."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from vellarys.db.base import Base, IdMixin, TimestampMixin, check_in

VISIT_STATUSES = ("proposed", "scheduled", "confirmed", "done", "no_show", "cancelled")
VISIT_OUTCOMES = ("done", "no_show", "liked", "proposal")
BLOCK_KINDS = ("vacation", "appointment")
# Reminders, the no-show message, and the broker's notices of a booking, a move and a cancel.
REMINDER_KINDS = (
    "lead_day", "lead_2h", "broker_day", "broker_2h", "no_show", "booked", "moved", "cancelled"
)  # fmt: skip
# A broker's slot is held by one visit: the constraint that settles two leads racing for it.
HOLDING = "status IN ('scheduled', 'confirmed')"


class BrokerSchedule(IdMixin, TimestampMixin, Base):
    """A broker's weekly availability: {"mon": [["09:00", "12:00"], ["14:00", "18:00"]], ...}."""

    __tablename__ = "broker_schedules"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    week: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'"))


class BrokerBlock(IdMixin, TimestampMixin, Base):
    """Time a broker takes no visits: a vacation or an appointment."""

    __tablename__ = "broker_blocks"
    __table_args__ = (
        CheckConstraint(check_in("kind", BLOCK_KINDS), name="kind"),
        CheckConstraint("ends_at > starts_at", name="span"),
        Index("ix_broker_blocks_user_id_ends_at", "user_id", "ends_at"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(String(200), default="", server_default="")


class Visit(IdMixin, TimestampMixin, Base):
    """A lead's visit to a listing with a broker; ``awaiting`` says what the chat waits for."""

    __tablename__ = "visits"
    __table_args__ = (
        CheckConstraint(check_in("status", VISIT_STATUSES), name="status"),
        CheckConstraint(
            "outcome IS NULL OR " + check_in("outcome", VISIT_OUTCOMES), name="outcome"
        ),
        CheckConstraint("ends_at > starts_at", name="span"),
        Index(
            "ux_visits_broker_slot",
            "user_id",
            "starts_at",
            unique=True,
            postgresql_where=text(HOLDING),
        ),
        Index("ix_visits_tenant_id_starts_at", "tenant_id", "starts_at"),
        Index("ix_visits_lead_id", "lead_id"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    property_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("properties.id", ondelete="SET NULL")
    )
    property_code: Mapped[str] = mapped_column(String(32))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), default="proposed", server_default="proposed")
    outcome: Mapped[str | None] = mapped_column(String(16))
    outcome_note: Mapped[str | None] = mapped_column(Text)
    # The slots last offered to the lead (ISO strings), and what the chat waits for:
    # "choice" (one of them), "preference" (a day or period) or nothing.
    offered: Mapped[list[Any]] = mapped_column(default=list, server_default=text("'[]'"))
    awaiting: Mapped[str | None] = mapped_column(String(16))
    booked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    handoff_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("handoffs.id", ondelete="SET NULL")
    )


class VisitReminder(IdMixin, Base):
    """A reminder claimed before it is sent: unique per visit, kind and visit time."""

    __tablename__ = "visit_reminders"
    __table_args__ = (
        UniqueConstraint("visit_id", "kind", "starts_at", name="uq_visit_reminders_key"),
        CheckConstraint(check_in("kind", REMINDER_KINDS), name="kind"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    visit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str | None] = mapped_column(String(16))  # sent | failed | skipped
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()"), nullable=False
    )
