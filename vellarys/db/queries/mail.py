"""The e-mail outbox: queued once per person and day, sent by the worker."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import OutgoingEmail, Tenant, User

MAX_ATTEMPTS = 5


async def all_tenants(session: AsyncSession) -> list[Tenant]:
    """Every agency (a periodic job's round; agencies are few)."""
    return list((await session.execute(select(Tenant).order_by(Tenant.slug))).scalars())


async def managers(session: AsyncSession, tenant_id: uuid.UUID) -> list[str]:
    """E-mails of the agency's active admins and managers."""
    found = await session.execute(
        select(User.email).where(
            User.tenant_id == tenant_id, User.active.is_(True), User.role.in_(("admin", "manager"))
        )
    )
    return sorted(found.scalars())


async def queue_once(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    kind: str,
    day: date,
    recipient: str,
    subject: str,
    body: str,
) -> bool:
    """Queue the e-mail unless this person already has this day's one; True when queued."""
    statement = (
        insert(OutgoingEmail)
        .values(
            id=uuid.uuid4(),
            tenant_id=tenant_id,
            kind=kind,
            day=day,
            recipient=recipient,
            subject=subject,
            body=body,
        )
        .on_conflict_do_nothing(constraint="uq_outgoing_emails_once")
        .returning(OutgoingEmail.id)
    )
    return (await session.execute(statement)).scalar_one_or_none() is not None


async def unsent(session: AsyncSession, *, limit: int) -> list[OutgoingEmail]:
    """Unsent e-mails of every agency still worth trying, oldest first, locked for this run."""
    found = await session.execute(
        select(OutgoingEmail)
        .where(OutgoingEmail.sent_at.is_(None), OutgoingEmail.attempts < MAX_ATTEMPTS)
        .order_by(OutgoingEmail.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(found.scalars())


async def outbox(session: AsyncSession, tenant_id: uuid.UUID, *, limit: int) -> list[OutgoingEmail]:
    found = await session.execute(
        select(OutgoingEmail)
        .where(OutgoingEmail.tenant_id == tenant_id)
        .order_by(OutgoingEmail.created_at.desc())
        .limit(limit)
    )
    return list(found.scalars())


def mark(email: OutgoingEmail, *, now: datetime, error: str | None) -> None:
    email.attempts += 1
    email.error = error
    if error is None:
        email.sent_at = now


async def tenants_with(session: AsyncSession, *, kind: str, day: date) -> set[uuid.UUID]:
    """The agencies that have an e-mail of this kind queued for this day (sent or not)."""
    found = await session.execute(
        select(OutgoingEmail.tenant_id).where(OutgoingEmail.kind == kind, OutgoingEmail.day == day)
    )
    return set(found.scalars())
