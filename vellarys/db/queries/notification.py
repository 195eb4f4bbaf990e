"""Manager alert (notification) queries, always scoped by tenant."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Notification


async def record(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    user_id: uuid.UUID,
    lead_id: uuid.UUID,
    kind: str,
    ref: str,
    text: str,
) -> uuid.UUID | None:
    """Insert the alert once per (user, kind, lead, ref); the new id, or None if it existed."""
    statement = (
        insert(Notification)
        .values(
            id=uuid.uuid4(),
            tenant_id=tenant_id,
            user_id=user_id,
            lead_id=lead_id,
            kind=kind,
            ref=ref,
            text=text,
        )
        .on_conflict_do_nothing(constraint="uq_notifications_key")
        .returning(Notification.id)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def unread_count(session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> int:
    found = await session.execute(
        select(func.count()).where(
            Notification.tenant_id == tenant_id,
            Notification.user_id == user_id,
            Notification.read_at.is_(None),
        )
    )
    return int(found.scalar_one())


async def latest(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID, limit: int
) -> list[Notification]:
    """The user's alerts, newest first."""
    found = await session.execute(
        select(Notification)
        .where(Notification.tenant_id == tenant_id, Notification.user_id == user_id)
        .order_by(Notification.created_at.desc())
        .limit(limit)
    )
    return list(found.scalars())


async def mark_all_read(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID, now: datetime
) -> None:
    await session.execute(
        update(Notification)
        .where(
            Notification.tenant_id == tenant_id,
            Notification.user_id == user_id,
            Notification.read_at.is_(None),
        )
        .values(read_at=now)
    )
