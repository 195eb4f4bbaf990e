"""Staff queries, always scoped by tenant."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import User


async def active_brokers(session: AsyncSession, tenant_id: uuid.UUID) -> list[User]:
    """Active brokers, the longest-waiting first (round robin by last assignment)."""
    found = await session.execute(
        select(User)
        .where(User.tenant_id == tenant_id, User.role == "broker", User.active)
        .order_by(User.last_assigned_at.asc().nulls_first(), User.created_at)
        .with_for_update()
    )
    return list(found.scalars())


async def active_staff(session: AsyncSession, tenant_id: uuid.UUID) -> list[User]:
    """Every active user (admins and brokers) of the tenant, by name."""
    found = await session.execute(
        select(User).where(User.tenant_id == tenant_id, User.active).order_by(User.name)
    )
    return list(found.scalars())


async def get(session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> User | None:
    found = await session.execute(
        select(User).where(User.tenant_id == tenant_id, User.id == user_id)
    )
    return found.scalar_one_or_none()


async def staff_names(session: AsyncSession, tenant_id: uuid.UUID) -> list[str]:
    """Names of the agency's active staff, the ones a lead may ask for by name."""
    found = await session.execute(
        select(User.name).where(User.tenant_id == tenant_id, User.active).order_by(User.name)
    )
    return [name for name in found.scalars() if name]
