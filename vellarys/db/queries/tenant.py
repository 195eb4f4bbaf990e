"""Tenant lookups (the tenant is the root every other query is scoped by)."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Tenant


async def by_slug(session: AsyncSession, slug: str) -> Tenant | None:
    found = await session.execute(select(Tenant).where(Tenant.slug == slug))
    return found.scalar_one_or_none()


async def count(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(Tenant))).scalar_one())


async def get(session: AsyncSession, tenant_id: uuid.UUID) -> Tenant | None:
    return await session.get(Tenant, tenant_id)


async def all_ids(session: AsyncSession) -> list[uuid.UUID]:
    """Every active agency (for deployment-wide maintenance jobs)."""
    found = await session.execute(
        select(Tenant.id).where(Tenant.active).order_by(Tenant.created_at)
    )
    return list(found.scalars())


async def every_tenant(session: AsyncSession) -> list[Tenant]:
    """All agencies, active or not (for deployment-wide maintenance such as key rotation)."""
    return list((await session.execute(select(Tenant).order_by(Tenant.id))).scalars())
