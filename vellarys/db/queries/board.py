"""The pipeline board's reads: leads per stage, always scoped by tenant and visibility."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Lead
from vellarys.db.queries.lead_search import visible


async def stage_counts(
    session: AsyncSession, tenant_id: uuid.UUID, visible_to: uuid.UUID | None
) -> dict[str, int]:
    found = await session.execute(
        select(Lead.stage, func.count())
        .where(*visible(tenant_id, visible_to), Lead.erased_at.is_(None))
        .group_by(Lead.stage)
    )
    return {str(row[0]): int(row[1]) for row in found.all()}


async def column(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    visible_to: uuid.UUID | None,
    stage: str,
    *,
    limit: int,
) -> list[Lead]:
    found = await session.execute(
        select(Lead)
        .where(*visible(tenant_id, visible_to), Lead.erased_at.is_(None), Lead.stage == stage)
        .order_by(Lead.last_message_at.desc().nulls_last(), Lead.created_at.desc())
        .limit(limit)
    )
    return list(found.scalars())
