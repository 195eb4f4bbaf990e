"""Deals: a lead's interest in one listing, with its value, stage and expected close."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from vellarys.db.base import Base, IdMixin, TimestampMixin, check_in
from vellarys.domain.glossary import OpportunityStage, values

OPPORTUNITY_STAGES = values(OpportunityStage)


class Opportunity(IdMixin, TimestampMixin, Base):
    __tablename__ = "opportunities"
    __table_args__ = (
        CheckConstraint(check_in("stage", OPPORTUNITY_STAGES), name="stage"),
        CheckConstraint("value >= 0 AND commission >= 0", name="amounts_positive"),
        # One opportunity per lead and listing: opening it twice is the same act.
        UniqueConstraint(
            "tenant_id", "lead_id", "property_id", name="uq_opportunities_tenant_id_lead_id"
        ),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    lead_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("leads.id", ondelete="CASCADE"), index=True
    )
    property_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(16), default="new", server_default="new")
    value: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    commission: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    expected_close: Mapped[date | None] = mapped_column(Date)
    loss_reason: Mapped[str | None] = mapped_column(String(120))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
