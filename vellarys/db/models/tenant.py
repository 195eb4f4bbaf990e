"""Agencies, their staff and their API keys."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from vellarys.db.base import Base, IdMixin, TimestampMixin, check_in
from vellarys.domain.glossary import AuditAction, Role, values

USER_ROLES = values(Role)
AUDIT_ACTIONS = values(AuditAction)
ALERT_KINDS = ("new_lead", "hot_lead", "after_hours_lead", "handoff_untaken")
_ALL_ALERTS = "'" + '["new_lead", "hot_lead", "after_hours_lead", "handoff_untaken"]' + "'"
PUSH_KINDS = ("handoff", "hot_lead", "visit", "waiting")
_ALL_PUSHES = "'" + '["handoff", "hot_lead", "visit", "waiting"]' + "'"


class Tenant(IdMixin, TimestampMixin, Base):
    __tablename__ = "tenants"
    __table_args__ = (CheckConstraint("slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'", name="slug_format"),)

    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'"))
    active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    plan_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("plans.id", ondelete="SET NULL"))
    # Feature switches the operator turned off (``domain.features``); absent means on.
    features: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'"))


class User(IdMixin, TimestampMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(check_in("role", USER_ROLES), name="role"),
        CheckConstraint("daily_lead_cap IS NULL OR daily_lead_cap >= 0", name="lead_cap"),
        Index("ux_users_email", func.lower(text("email")), unique=True),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))
    phone: Mapped[str | None] = mapped_column(String(32))
    areas: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'"))
    active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    # Routing: what they sell (``Speciality``), how many new leads a day, whether they take
    # leads now, and the days they are away (both included).
    specialities: Mapped[list[Any]] = mapped_column(default=list, server_default=text("'[]'"))
    daily_lead_cap: Mapped[int | None] = mapped_column()
    available: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    vacation_from: Mapped[date | None] = mapped_column(Date)
    vacation_until: Mapped[date | None] = mapped_column(Date)
    last_assigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Which manager alerts also go to this user's WhatsApp (the dashboard shows them all).
    whatsapp_alerts: Mapped[list[Any]] = mapped_column(
        default=lambda: list(ALERT_KINDS), server_default=text(_ALL_ALERTS)
    )
    # Which events push to this user's devices (``domain.push.PUSH_LABELS``).
    push_kinds: Mapped[list[Any]] = mapped_column(
        default=lambda: list(PUSH_KINDS), server_default=text(_ALL_PUSHES)
    )


class ApiKey(IdMixin, TimestampMixin, Base):
    __tablename__ = "api_keys"

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(128), unique=True)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditEntry(IdMixin, Base):
    """Who viewed, exported, erased or took over what (LGPD)."""

    __tablename__ = "audit_log"
    __table_args__ = (CheckConstraint(check_in("action", AUDIT_ACTIONS), name="action"),)

    # None only for the operator's acts about no agency (a plan saved).
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True, nullable=True
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    operator_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("operators.id", ondelete="SET NULL")
    )
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(64))
    target_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'"))
    # clock_timestamp(): several acts of one transaction keep their order in a timeline.
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.clock_timestamp()
    )
