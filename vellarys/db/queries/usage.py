"""LLM token usage per agency and day, always scoped by tenant."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import LlmUsage


async def tokens_on(session: AsyncSession, tenant_id: uuid.UUID, day: date) -> int:
    found = await session.execute(
        select(LlmUsage.prompt_tokens + LlmUsage.completion_tokens).where(
            LlmUsage.tenant_id == tenant_id, LlmUsage.day == day
        )
    )
    return int(found.scalar_one_or_none() or 0)


async def add(
    session: AsyncSession, tenant_id: uuid.UUID, day: date, *, prompt: int, completion: int
) -> None:
    """Count one request's tokens in the day's row (created on the first request)."""
    statement = insert(LlmUsage).values(
        tenant_id=tenant_id, day=day, prompt_tokens=prompt, completion_tokens=completion, requests=1
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[LlmUsage.tenant_id, LlmUsage.day],
            set_={
                "prompt_tokens": LlmUsage.prompt_tokens + prompt,
                "completion_tokens": LlmUsage.completion_tokens + completion,
                "requests": LlmUsage.requests + 1,
            },
        )
    )
