"""API key queries; every one but the lookup by hash is scoped by tenant."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import ApiKey, Tenant


async def active_by_hash(session: AsyncSession, key_hash: str) -> ApiKey | None:
    """The unrevoked key of an active tenant with this hash (the hash is the credential,
    so this is the one query that finds the tenant instead of taking it)."""
    found = await session.execute(
        select(ApiKey)
        .join(Tenant, Tenant.id == ApiKey.tenant_id)
        .where(ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None), Tenant.active.is_(True))
    )
    return found.scalar_one_or_none()


async def get(session: AsyncSession, tenant_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey | None:
    found = await session.execute(
        select(ApiKey).where(ApiKey.tenant_id == tenant_id, ApiKey.id == key_id)
    )
    return found.scalar_one_or_none()


async def by_prefix(session: AsyncSession, tenant_id: uuid.UUID, prefix: str) -> list[ApiKey]:
    found = await session.execute(
        select(ApiKey).where(ApiKey.tenant_id == tenant_id, ApiKey.prefix == prefix)
    )
    return list(found.scalars())


async def for_tenant(session: AsyncSession, tenant_id: uuid.UUID) -> list[ApiKey]:
    found = await session.execute(
        select(ApiKey)
        .where(ApiKey.tenant_id == tenant_id)
        .order_by(ApiKey.created_at.desc(), ApiKey.id)
    )
    return list(found.scalars())
