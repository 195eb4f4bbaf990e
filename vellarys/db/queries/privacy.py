"""LGPD requests made in the chat, always scoped by tenant."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Lead, LgpdRequest


async def pending_of_lead(
    session: AsyncSession, tenant_id: uuid.UUID, lead_id: uuid.UUID, kind: str
) -> LgpdRequest | None:
    """The lead's request of this kind not yet done, if any."""
    found = await session.execute(
        select(LgpdRequest).where(
            LgpdRequest.tenant_id == tenant_id,
            LgpdRequest.lead_id == lead_id,
            LgpdRequest.kind == kind,
            LgpdRequest.status != "done",
        )
    )
    return found.scalars().first()


async def of_tenant(
    session: AsyncSession, tenant_id: uuid.UUID, *, limit: int
) -> list[tuple[LgpdRequest, str | None, str]]:
    """The agency's requests with the lead's name and phone, open first, newest first."""
    found = await session.execute(
        select(LgpdRequest, Lead.name, Lead.phone)
        .join(Lead, Lead.id == LgpdRequest.lead_id)
        .where(LgpdRequest.tenant_id == tenant_id)
        .order_by((LgpdRequest.status == "done").asc(), LgpdRequest.created_at.desc())
        .limit(limit)
    )
    return [(row[0], row[1], row[2]) for row in found.all()]
