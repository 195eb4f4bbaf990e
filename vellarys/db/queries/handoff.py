"""Handoff queries, always scoped by tenant."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Handoff, Lead, Message


async def open_of(session: AsyncSession, lead: Lead) -> list[Handoff]:
    """The lead's handoffs still open."""
    found = await session.execute(
        select(Handoff).where(
            Handoff.tenant_id == lead.tenant_id,
            Handoff.lead_id == lead.id,
            Handoff.status == "open",
        )
    )
    return list(found.scalars())


async def by_id(session: AsyncSession, handoff_id: uuid.UUID) -> Handoff | None:
    """A handoff by id alone: for the notification job, whose id names its tenant."""
    return await session.get(Handoff, handoff_id)


async def untaken_since(
    session: AsyncSession, tenant_id: uuid.UUID, since: datetime
) -> Sequence[tuple[Handoff, Lead]]:
    """Open handoffs created at or after ``since`` that no broker has answered yet."""
    answered = (
        select(Message.id)
        .where(
            Message.tenant_id == tenant_id,
            Message.lead_id == Handoff.lead_id,
            Message.role == "broker",
            Message.created_at >= Handoff.created_at,
        )
        .exists()
    )
    found = await session.execute(
        select(Handoff, Lead)
        .join(Lead, Lead.id == Handoff.lead_id)
        .where(
            Handoff.tenant_id == tenant_id,
            Lead.tenant_id == tenant_id,
            Handoff.status == "open",
            Handoff.created_at >= since,
            ~answered,
        )
    )
    return [(handoff, lead) for handoff, lead in found.all()]


async def assigned_since(
    session: AsyncSession, tenant_id: uuid.UUID, since: datetime
) -> dict[uuid.UUID, int]:
    """How many handoffs each user got at or after ``since`` (a broker's daily load)."""
    found = await session.execute(
        select(Handoff.user_id, func.count())
        .where(
            Handoff.tenant_id == tenant_id,
            Handoff.user_id.is_not(None),
            Handoff.created_at >= since,
        )
        .group_by(Handoff.user_id)
    )
    return {row[0]: int(row[1]) for row in found.all() if row[0] is not None}
