"""Media queries, scoped by tenant (the retention job works across tenants on purpose)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import MediaFile


async def for_message(
    session: AsyncSession, tenant_id: uuid.UUID, message_id: uuid.UUID
) -> MediaFile | None:
    found = await session.execute(
        select(MediaFile).where(
            MediaFile.tenant_id == tenant_id, MediaFile.message_id == message_id
        )
    )
    return found.scalar_one_or_none()


async def prune_expired(session: AsyncSession, *, now: datetime, limit: int = 500) -> int:
    """Drop the bytes of up to ``limit`` expired files (every tenant); their text stays."""
    expired = (
        select(MediaFile.id)
        .where(MediaFile.data.is_not(None), MediaFile.expires_at <= now)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    result = await session.execute(
        update(MediaFile)
        .where(MediaFile.id.in_(expired.scalar_subquery()))
        .values(data=None, pruned_at=now)
        .returning(MediaFile.id)
    )
    return len(result.all())
