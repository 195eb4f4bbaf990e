"""LLM token usage per agency and day, and each agency's month for the operator."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import KnowledgeDocument, Lead, LlmUsage, MediaFile, Message, Tenant, User


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


@dataclass(frozen=True, slots=True)
class MonthUsage:
    slug: str
    name: str
    leads: int
    messages_in: int
    messages_out: int
    llm_tokens: int
    brokers: int
    storage_bytes: int


def _count(model: Any, *where: Any) -> Any:
    return select(func.count()).select_from(model).where(*where).scalar_subquery()


async def month_usage(
    session: AsyncSession, *, start: datetime, end: datetime, slug: str | None = None
) -> list[MonthUsage]:
    """Each agency's (or one agency's) figures for [start, end): one row per agency, by slug.

    An operator query: it reads across agencies on purpose, always grouped by agency."""
    t = Tenant
    in_period = (Message.created_at >= start, Message.created_at < end)
    columns = (
        t.slug,
        t.name,
        _count(Lead, Lead.tenant_id == t.id, Lead.created_at >= start, Lead.created_at < end),
        _count(Message, Message.tenant_id == t.id, Message.direction == "inbound", *in_period),
        _count(Message, Message.tenant_id == t.id, Message.direction == "outbound", *in_period),
        select(func.coalesce(func.sum(LlmUsage.prompt_tokens + LlmUsage.completion_tokens), 0))
        .where(LlmUsage.tenant_id == t.id, LlmUsage.day >= start.date(), LlmUsage.day < end.date())
        .scalar_subquery(),
        _count(User, User.tenant_id == t.id, User.active.is_(True), User.role != "admin"),
        select(func.coalesce(func.sum(func.octet_length(MediaFile.data)), 0))
        .where(MediaFile.tenant_id == t.id)
        .scalar_subquery()
        + select(func.coalesce(func.sum(func.octet_length(KnowledgeDocument.content)), 0))
        .where(KnowledgeDocument.tenant_id == t.id)
        .scalar_subquery(),
    )
    query = select(*columns).order_by(t.slug)
    if slug is not None:
        query = query.where(t.slug == slug)
    rows = (await session.execute(query)).all()
    return [MonthUsage(r[0], r[1], *(int(v) for v in r[2:])) for r in rows]


async def month_counts(
    session: AsyncSession, tenant_id: uuid.UUID, *, start: datetime, end: datetime
) -> tuple[int, int, int]:
    """(messages in and out, LLM tokens, new leads) of one agency in [start, end): what the
    pipeline checks against the plan on every message, without the storage sum."""
    row = (
        await session.execute(
            select(
                _count(
                    Message,
                    Message.tenant_id == tenant_id,
                    Message.created_at >= start,
                    Message.created_at < end,
                ),
                select(
                    func.coalesce(func.sum(LlmUsage.prompt_tokens + LlmUsage.completion_tokens), 0)
                )
                .where(
                    LlmUsage.tenant_id == tenant_id,
                    LlmUsage.day >= start.date(),
                    LlmUsage.day < end.date(),
                )
                .scalar_subquery(),
                _count(
                    Lead,
                    Lead.tenant_id == tenant_id,
                    Lead.created_at >= start,
                    Lead.created_at < end,
                ),
            )
        )
    ).one()
    return int(row[0]), int(row[1]), int(row[2])
