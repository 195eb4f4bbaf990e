"""The operator's reads across agencies: the audit log and the login history, filtered.

Operator queries: they read across agencies on purpose; the console lets only operators in."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import AuditEntry, LoginEvent, Notification, Operator, Plan, Tenant, User

PAGE = 100


@dataclass(frozen=True, slots=True)
class Filters:
    tenant_id: uuid.UUID | None = None
    action: str | None = None
    email: str | None = None
    since: datetime | None = None
    until: datetime | None = None


async def audit_entries(
    session: AsyncSession, filters: Filters
) -> list[tuple[AuditEntry, str | None, str | None, str | None]]:
    """Entries newest first, with the agency's slug and the staff or operator e-mail."""
    statement = (
        select(AuditEntry, Tenant.slug, User.email, Operator.email)
        .outerjoin(Tenant, Tenant.id == AuditEntry.tenant_id)
        .outerjoin(User, User.id == AuditEntry.user_id)
        .outerjoin(Operator, Operator.id == AuditEntry.operator_id)
    )
    if filters.tenant_id is not None:
        statement = statement.where(AuditEntry.tenant_id == filters.tenant_id)
    if filters.action:
        statement = statement.where(AuditEntry.action == filters.action)
    if filters.email:
        wanted = filters.email.strip().lower()
        statement = statement.where((User.email == wanted) | (Operator.email == wanted))
    if filters.since is not None:
        statement = statement.where(AuditEntry.created_at >= filters.since)
    if filters.until is not None:
        statement = statement.where(AuditEntry.created_at < filters.until)
    found = await session.execute(
        statement.order_by(AuditEntry.created_at.desc(), AuditEntry.id).limit(PAGE)
    )
    return [(row[0], row[1], row[2], row[3]) for row in found.all()]


async def login_events(
    session: AsyncSession, filters: Filters
) -> list[tuple[LoginEvent, str | None]]:
    """Sign-in attempts newest first, with the agency's slug when the e-mail was staff's."""
    statement = select(LoginEvent, Tenant.slug).outerjoin(Tenant, Tenant.id == LoginEvent.tenant_id)
    if filters.tenant_id is not None:
        statement = statement.where(LoginEvent.tenant_id == filters.tenant_id)
    if filters.email:
        statement = statement.where(LoginEvent.email == filters.email.strip().lower())
    if filters.since is not None:
        statement = statement.where(LoginEvent.at >= filters.since)
    if filters.until is not None:
        statement = statement.where(LoginEvent.at < filters.until)
    found = await session.execute(statement.order_by(LoginEvent.at.desc()).limit(PAGE))
    return [(row[0], row[1]) for row in found.all()]


async def all_plans(session: AsyncSession) -> list[Plan]:
    return list((await session.execute(select(Plan).order_by(Plan.name))).scalars())


async def plan_named(session: AsyncSession, name: str) -> Plan | None:
    return (await session.execute(select(Plan).where(Plan.name == name))).scalar_one_or_none()


async def notice_given(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID, kind: str, ref: str
) -> bool:
    """Whether this user already has the alert ``kind``/``ref`` (alerts about no lead)."""
    found = await session.execute(
        select(Notification.id).where(
            Notification.tenant_id == tenant_id,
            Notification.user_id == user_id,
            Notification.kind == kind,
            Notification.ref == ref,
        )
    )
    return found.first() is not None


async def active_staff_count(session: AsyncSession, tenant_id: uuid.UUID) -> int:
    """Active users who are not admins (what a plan's broker limit counts)."""
    found = await session.execute(
        select(func.count()).where(
            User.tenant_id == tenant_id, User.active.is_(True), User.role != "admin"
        )
    )
    return int(found.scalar_one())
