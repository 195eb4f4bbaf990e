"""LLM trace queries, scoped by tenant (the retention job works across tenants on purpose)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import LlmTrace


async def of_lead(
    session: AsyncSession, tenant_id: uuid.UUID, lead_id: uuid.UUID, *, limit: int | None = 50
) -> list[LlmTrace]:
    """A lead's traces, newest first."""
    query = (
        select(LlmTrace)
        .where(LlmTrace.tenant_id == tenant_id, LlmTrace.lead_id == lead_id)
        .order_by(LlmTrace.created_at.desc())
    )
    found = await session.execute(query.limit(limit) if limit else query)
    return list(found.scalars())


async def tokens_since(
    session: AsyncSession, tenant_id: uuid.UUID, lead_id: uuid.UUID, *, since: datetime
) -> int:
    found = await session.execute(
        select(
            func.coalesce(func.sum(LlmTrace.prompt_tokens + LlmTrace.completion_tokens), 0)
        ).where(
            LlmTrace.tenant_id == tenant_id,
            LlmTrace.lead_id == lead_id,
            LlmTrace.created_at >= since,
        )
    )
    return int(found.scalar_one())


async def prune_before(session: AsyncSession, *, before: datetime, limit: int = 5000) -> int:
    """Delete up to ``limit`` traces older than ``before`` (every tenant)."""
    old = (
        select(LlmTrace.id)
        .where(LlmTrace.created_at < before)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    result = await session.execute(
        delete(LlmTrace).where(LlmTrace.id.in_(old.scalar_subquery())).returning(LlmTrace.id)
    )
    return len(result.all())
