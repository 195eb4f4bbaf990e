"""Server-side sessions, one-time password resets and what an LGPD erasure leaves behind."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from vellarys.db.base import Base, IdMixin, check_in

ERASED_KINDS = ("phone", "message")


class UserSession(IdMixin, Base):
    """A signed-in browser. The cookie holds a random token; only its hash is stored, so a
    database dump cannot be replayed as a cookie. Revoked rows stay for the record."""

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user_id_revoked_at", "user_id", "revoked_at"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(String(32))
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))


class PasswordReset(IdMixin, Base):
    """A one-time reset link an admin issued for a user: single use, expiring."""

    __tablename__ = "password_resets"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ErasureSalt(Base):
    """The random salt of an agency's erased identifiers (created at its first erasure)."""

    __tablename__ = "erasure_salts"

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    salt: Mapped[str] = mapped_column(String(64))


class ErasedIdentifier(IdMixin, Base):
    """A salted hash of an erased lead's phone or of one of its message ids: a provider that
    re-delivers an old webhook of that lead is acknowledged and nothing is stored again."""

    __tablename__ = "erased_identifiers"
    __table_args__ = (
        Index("ux_erased_identifiers_lookup", "tenant_id", "kind", "digest", unique=True),
        CheckConstraint(check_in("kind", ERASED_KINDS), name="kind"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    digest: Mapped[str] = mapped_column(String(64))
    erased_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
