"""An agency's listing feed: where it is published, how often it is read, how the last run went."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String, text
from sqlalchemy.orm import Mapped, mapped_column

from vellarys.db.base import Base, IdMixin, TimestampMixin

MIN_INTERVAL_MINUTES = 15
MAX_INTERVAL_MINUTES = 7 * 24 * 60


class ListingFeed(IdMixin, TimestampMixin, Base):
    __tablename__ = "listing_feeds"
    __table_args__ = (
        CheckConstraint(
            f"interval_minutes BETWEEN {MIN_INTERVAL_MINUTES} AND {MAX_INTERVAL_MINUTES}",
            name="interval_minutes",
        ),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), unique=True
    )
    url: Mapped[str | None] = mapped_column(String(2000))
    interval_minutes: Mapped[int] = mapped_column(default=360, server_default=text("360"))
    # The lease: a run claims the feed by moving this forward before it downloads anything.
    next_run_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_report: Mapped[dict[str, Any] | None] = mapped_column()
