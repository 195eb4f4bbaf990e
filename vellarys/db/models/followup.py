"""Planned messages to silent or idle leads, and the managers' in-app alerts."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from vellarys.db.base import Base, IdMixin, TimestampMixin, check_in
from vellarys.db.models.tenant import ALERT_KINDS

PLANNED_KINDS = ("follow_up", "reactivation")
PLANNED_STATUSES = ("sent", "cancelled", "skipped")
__all__ = ["ALERT_KINDS", "Notification", "PlannedMessage"]


class PlannedMessage(IdMixin, TimestampMixin, Base):
    """A claimed step of a sequence: its unique key is taken before the message is sent."""

    __tablename__ = "planned_messages"
    __table_args__ = (
        UniqueConstraint("lead_id", "kind", "anchor", "step", name="uq_planned_messages_key"),
        CheckConstraint(check_in("kind", PLANNED_KINDS), name="kind"),
        CheckConstraint(check_in("status", PLANNED_STATUSES), name="status"),
        Index("ix_planned_messages_tenant_id_created_at", "tenant_id", "created_at"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    # The lead's last message when the sequence started; a reply starts a new sequence.
    anchor: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    step: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(16))
    send_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    text: Mapped[str] = mapped_column(Text, default="", server_default="")
    template: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL")
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Notification(IdMixin, TimestampMixin, Base):
    """An alert for one manager; unique per (user, kind, lead, ref) so a trigger alerts once."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "kind", "lead_id", "ref", name="uq_notifications_key"),
        Index("ix_notifications_user_id_read_at", "user_id", "read_at"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    lead_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    ref: Mapped[str] = mapped_column(String(64), default="", server_default="")
    text: Mapped[str] = mapped_column(Text)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    whatsapp_status: Mapped[str | None] = mapped_column(String(16))
    push_status: Mapped[str | None] = mapped_column(String(16))
