"""Leads, their handoffs to brokers and the notes brokers keep on them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from vellarys.db.base import Base, IdMixin, TimestampMixin, check_in
from vellarys.domain.glossary import HandoffReason, HandoffStatus, Stage, Temperature, values

STAGES = values(Stage)
TEMPERATURES = values(Temperature)
HANDOFF_REASONS = values(HandoffReason)
HANDOFF_STATUSES = values(HandoffStatus)


class Lead(IdMixin, TimestampMixin, Base):
    __tablename__ = "leads"
    __table_args__ = (
        CheckConstraint(check_in("stage", STAGES), name="stage"),
        CheckConstraint(check_in("temperature", TEMPERATURES), name="temperature"),
        CheckConstraint("score BETWEEN 0 AND 100", name="score_range"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    channel_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("channels.id", ondelete="SET NULL")
    )
    phone: Mapped[str] = mapped_column(String(32))
    name: Mapped[str | None] = mapped_column(String(200))
    stage: Mapped[str] = mapped_column(String(16), default="new", server_default="new")
    temperature: Mapped[str] = mapped_column(String(8), default="cold", server_default="cold")
    score: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    custom_data: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'"))
    summary: Mapped[str | None] = mapped_column(Text)
    summary_updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    assigned_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    ai_paused: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    opted_out: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    opted_out_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_message_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_inbound_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    first_response_seconds: Mapped[float | None] = mapped_column()
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Where the lead came from (domain.lead_source): "whatsapp", "ad", "portal:zap", ...
    source: Mapped[str] = mapped_column(String(40), default="whatsapp", server_default="whatsapp")
    campaign: Mapped[str | None] = mapped_column(String(200))
    # What arrived with it: Meta's ad referral, the portal's lead and listing ids, a form's UTM.
    source_details: Mapped[dict[str, Any]] = mapped_column(
        default=dict, server_default=text("'{}'")
    )
    tags: Mapped[list[Any]] = mapped_column(default=list, server_default=text("'[]'"))
    # Why a lost lead was lost: one of the agency's reasons (settings), kept as written.
    loss_reason: Mapped[str | None] = mapped_column(String(120))
    # How many times the lead asked about each listing code (a second ask opens a deal).
    listing_asks: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'"))


class Handoff(IdMixin, TimestampMixin, Base):
    __tablename__ = "handoffs"
    __table_args__ = (
        CheckConstraint(check_in("reason", HANDOFF_REASONS), name="reason"),
        CheckConstraint(check_in("status", HANDOFF_STATUSES), name="status"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    lead_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("leads.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="open", server_default="open")
    summary: Mapped[str | None] = mapped_column(Text)
    profile: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'"))
    property_ids: Mapped[list[Any]] = mapped_column(default=list, server_default=text("'[]'"))
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    notify_error: Mapped[str | None] = mapped_column(Text)


class LeadNote(IdMixin, TimestampMixin, Base):
    __tablename__ = "lead_notes"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    lead_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("leads.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
