"""Handoff queries, always scoped by tenant."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Handoff, Lead


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
