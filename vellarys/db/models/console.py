"""The operator's side: operator accounts and sessions, plans, login history, and the LGPD
requests leads make in the chat."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from vellarys.db.base import Base, IdMixin, check_in

LGPD_KINDS = ("access", "erase", "opt_out")
LGPD_STATUSES = ("open", "erasing", "done")


class Operator(IdMixin, Base):
    """A superadmin: runs the deployment for every agency and belongs to none."""

    __tablename__ = "operators"
    __table_args__ = (Index("ux_operators_email", func.lower(text("email")), unique=True),)

    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OperatorSession(IdMixin, Base):
    """A signed-in operator's browser; like ``UserSession``, only the token's hash is kept."""

    __tablename__ = "operator_sessions"

    operator_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("operators.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))


class LoginEvent(IdMixin, Base):
    """Every sign-in attempt, successful or not, with where it came from."""

    __tablename__ = "login_events"
    __table_args__ = (Index("ix_login_events_at", "at"),)

    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    email: Mapped[str] = mapped_column(String(320))
    succeeded: Mapped[bool] = mapped_column(Boolean)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE")
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    operator_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("operators.id", ondelete="SET NULL")
    )


class Plan(IdMixin, Base):
    """Monthly limits an agency is sold; a None limit is unlimited."""

    __tablename__ = "plans"

    name: Mapped[str] = mapped_column(String(80), unique=True)
    max_brokers: Mapped[int | None] = mapped_column(Integer)
    max_leads_month: Mapped[int | None] = mapped_column(Integer)
    max_messages_month: Mapped[int | None] = mapped_column(Integer)
    max_llm_tokens_month: Mapped[int | None] = mapped_column(Integer)
    max_storage_mb: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


class LgpdRequest(IdMixin, Base):
    """A lead asked in the chat for their data (``access``), its erasure or no more messages."""

    __tablename__ = "lgpd_requests"
    __table_args__ = (
        CheckConstraint(check_in("kind", LGPD_KINDS), name="kind"),
        CheckConstraint(check_in("status", LGPD_STATUSES), name="status"),
        Index("ix_lgpd_requests_tenant_id_status", "tenant_id", "status"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="open", server_default="open")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    done_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
