"""The audit log, always scoped by tenant."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import AuditEntry


async def for_target(
    session: AsyncSession, tenant_id: uuid.UUID, target_type: str, target_id: str
) -> list[AuditEntry]:
    """Entries about one object, oldest first."""
    found = await session.execute(
        select(AuditEntry)
        .where(
            AuditEntry.tenant_id == tenant_id,
            AuditEntry.target_type == target_type,
            AuditEntry.target_id == target_id,
        )
        .order_by(AuditEntry.created_at, AuditEntry.id)
    )
    return list(found.scalars())


async def recent(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    limit: int,
    offset: int = 0,
    action: str | None = None,
) -> list[AuditEntry]:
    """The tenant's latest entries, newest first."""
    statement = select(AuditEntry).where(AuditEntry.tenant_id == tenant_id)
    if action:
        statement = statement.where(AuditEntry.action == action)
    found = await session.execute(
        statement.order_by(AuditEntry.created_at.desc(), AuditEntry.id).limit(limit).offset(offset)
    )
    return list(found.scalars())
