"""Listings and their embeddings."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from vellarys.db.base import Base, IdMixin, TimestampMixin, check_in
from vellarys.db.vector import Embedding
from vellarys.domain.glossary import PropertyType, Transaction, values

PROPERTY_TYPES = values(PropertyType)
TRANSACTIONS = values(Transaction)
ORIGINS = ("manual", "feed")


class Property(IdMixin, TimestampMixin, Base):
    __tablename__ = "properties"
    __table_args__ = (
        CheckConstraint(check_in("property_type", PROPERTY_TYPES), name="property_type"),
        CheckConstraint(check_in("transaction", TRANSACTIONS), name="transaction"),
        CheckConstraint("price >= 0", name="price_positive"),
        CheckConstraint("bedrooms >= 0 AND parking >= 0", name="counts_positive"),
        CheckConstraint(check_in("origin", ORIGINS), name="origin"),
        UniqueConstraint("tenant_id", "code"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(300))
    property_type: Mapped[str] = mapped_column(String(16))
    transaction: Mapped[str] = mapped_column(String(8))
    price: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    condo_fee: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    iptu: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    bedrooms: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    suites: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    bathrooms: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    parking: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    area_m2: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    neighborhood: Mapped[str] = mapped_column(String(120))
    city: Mapped[str] = mapped_column(String(120))
    state: Mapped[str] = mapped_column(String(2), default="SP", server_default="SP")
    address: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    features: Mapped[list[Any]] = mapped_column(default=list, server_default=text("'[]'"))
    photos: Mapped[list[Any]] = mapped_column(default=list, server_default=text("'[]'"))
    available: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    # "feed" rows are kept in step with the agency's portal feed (and unpublished when dropped).
    origin: Mapped[str] = mapped_column(String(8), default="manual", server_default="manual")
    # Kept by a database trigger whenever the price goes down.
    previous_price: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    price_reduced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The listing's own broker: a lead asking about it goes to them first.
    broker_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class PropertyEmbedding(IdMixin, TimestampMixin, Base):
    __tablename__ = "property_embeddings"

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    property_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("properties.id", ondelete="CASCADE"), unique=True
    )
    model: Mapped[str] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    # The dimension is fixed by the migration from configuration (system_settings).
    embedding: Mapped[Any] = mapped_column(Embedding())
