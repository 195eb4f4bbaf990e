"""A WhatsApp number (or the simulator) of one agency."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from vellarys.db.base import Base, IdMixin, TimestampMixin, check_in

PROVIDERS = ("meta", "zapi", "evolution", "simulator")


class Channel(IdMixin, TimestampMixin, Base):
    __tablename__ = "channels"
    __table_args__ = (
        CheckConstraint(check_in("provider", PROVIDERS), name="provider"),
        UniqueConstraint("provider", "identity"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    provider: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    # phone_number_id (Meta), instance id (Z-API) or instance name (Evolution).
    identity: Mapped[str] = mapped_column(String(200))
    # The unguessable part of the channel's webhook URL.
    webhook_key: Mapped[str] = mapped_column(String(64), unique=True)
    verify_token: Mapped[str | None] = mapped_column(String(200))
    app_secret: Mapped[str | None] = mapped_column(String(500))
    credentials: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'"))
    active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    # Approved WhatsApp templates: [{"name", "language", "purpose", "variables": [...]}].
    templates: Mapped[list[Any]] = mapped_column(default=list, server_default=text("'[]'"))
