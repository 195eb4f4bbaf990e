"""Every message in and out, with its delivery state."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from vellarys.db.base import Base, IdMixin, TimestampMixin, check_in
from vellarys.domain.glossary import MessageType, values

ROLES = ("user", "assistant", "broker", "system")
DIRECTIONS = ("inbound", "outbound")
STATUSES = ("received", "pending", "uncertain", "sent", "delivered", "read", "failed")
TYPES = values(MessageType)


class Message(IdMixin, TimestampMixin, Base):
    # clock_timestamp(), not now(): the parts of one reply, written in one transaction,
    # must keep their order.
    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint(check_in("role", ROLES), name="role"),
        CheckConstraint(check_in("direction", DIRECTIONS), name="direction"),
        CheckConstraint(check_in("status", STATUSES), name="status"),
        CheckConstraint(check_in("type", TYPES), name="type"),
        CheckConstraint("attempts >= 0", name="attempts_positive"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    channel_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("channels.id", ondelete="SET NULL")
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    role: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(8))
    type: Mapped[str] = mapped_column(String(16), default="text", server_default="text")
    content: Mapped[str] = mapped_column(Text, default="", server_default="")
    media: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'"))
    external_id: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    error: Mapped[str | None] = mapped_column(Text)
    raw_payload: Mapped[dict[str, Any] | None] = mapped_column()
    provider_timestamp: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.clock_timestamp(), nullable=False
    )
    # Inbound: when the pipeline handled it (answered, folded into a burst, or skipped).
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Outbound: set while a send is in flight. Still set at the next attempt means the worker
    # died after handing the text to the provider: the one window no WhatsApp API can close.
    sending_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RejectedInbound(IdMixin, Base):
    """A message a webhook carried that can never be stored as a message (see ``0006_edge``)."""

    __tablename__ = "rejected_messages"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    channel_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("channels.id", ondelete="SET NULL")
    )
    provider: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    raw_payload: Mapped[dict[str, Any] | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
