"""E-mails the deployment sends (the morning briefing), kept as an outbox."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from vellarys.db.base import Base, IdMixin


class OutgoingEmail(IdMixin, Base):
    """One e-mail to one person. ``(tenant, kind, day, recipient)`` is unique, so a periodic job
    that runs twice in the hour queues each day's briefing once. Without SMTP settings the row
    stays unsent and the outbox page shows what would have gone."""

    __tablename__ = "outgoing_emails"
    __table_args__ = (
        UniqueConstraint("tenant_id", "kind", "day", "recipient", name="uq_outgoing_emails_once"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    day: Mapped[date] = mapped_column(Date)
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
