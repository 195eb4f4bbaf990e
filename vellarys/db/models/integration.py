"""How other systems reach an agency and hear from it: the portals' lead intake, the
idempotency keys of leads sent in, and the outgoing webhooks with their delivery log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from vellarys.db.base import Base, IdMixin, TimestampMixin, check_in

DELIVERY_STATUSES = ("pending", "delivered", "failed")


class PortalIntake(IdMixin, TimestampMixin, Base):
    """An agency's lead-integration URL for the portals: the key names the agency, the
    secret (kept as a hash) is the portal's Basic credential."""

    __tablename__ = "portal_intakes"

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), unique=True
    )
    url_key: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(128))
    last_lead_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LeadIntake(IdMixin, Base):
    """One lead sent in (a portal's lead id, an API Idempotency-Key or external id): the
    same key again returns the same lead and sends nothing."""

    __tablename__ = "lead_intakes"
    __table_args__ = (Index("ux_lead_intakes_key", "tenant_id", "key", unique=True),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(300))
    lead_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"))
    fingerprint: Mapped[str] = mapped_column(String(64))
    created: Mapped[bool] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )


class WebhookEndpoint(IdMixin, TimestampMixin, Base):
    """An agency's subscription: where to POST which events, signed with ``secret``."""

    __tablename__ = "webhook_endpoints"

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[Any]] = mapped_column(default=list, server_default=text("'[]'"))
    secret: Mapped[str] = mapped_column(Text)  # sealed (domain.secretbox)
    active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))


class WebhookDelivery(IdMixin, TimestampMixin, Base):
    """One event for one endpoint, and how its delivery went."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint(check_in("status", DELIVERY_STATUSES), name="status"),
        Index("ix_webhook_deliveries_tenant_created", "tenant_id", "created_at"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    endpoint_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True
    )
    event: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    response_status: Mapped[int | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
