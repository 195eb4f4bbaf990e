"""Channel queries."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Channel


async def by_webhook_key(session: AsyncSession, provider: str, webhook_key: str) -> Channel | None:
    """The active channel behind a webhook URL (the key is the unguessable part)."""
    found = await session.execute(
        select(Channel).where(
            Channel.webhook_key == webhook_key, Channel.provider == provider, Channel.active
        )
    )
    return found.scalar_one_or_none()


async def get(session: AsyncSession, tenant_id: uuid.UUID, channel_id: uuid.UUID) -> Channel | None:
    found = await session.execute(
        select(Channel).where(Channel.tenant_id == tenant_id, Channel.id == channel_id)
    )
    return found.scalar_one_or_none()


async def for_tenant(session: AsyncSession, tenant_id: uuid.UUID) -> list[Channel]:
    found = await session.execute(
        select(Channel).where(Channel.tenant_id == tenant_id).order_by(Channel.created_at)
    )
    return list(found.scalars())


async def simulator_of(session: AsyncSession, tenant_id: uuid.UUID) -> Channel | None:
    found = await session.execute(
        select(Channel)
        .where(Channel.tenant_id == tenant_id, Channel.provider == "simulator", Channel.active)
        .limit(1)
    )
    return found.scalar_one_or_none()


async def every_channel(session: AsyncSession) -> list[Channel]:
    """All channels of all agencies (for deployment-wide maintenance such as key rotation)."""
    return list((await session.execute(select(Channel).order_by(Channel.id))).scalars())
