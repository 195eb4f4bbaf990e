"""Push subscriptions and push choices, always scoped by tenant."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import PushSubscription, User


async def save_subscription(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    user_id: uuid.UUID,
    endpoint: str,
    p256dh: str,
    auth: str,
    user_agent: str | None,
) -> None:
    """One row per endpoint: a browser subscribing again (or another user on the same browser)
    takes the row over with its new keys."""
    values = {"p256dh": p256dh, "auth": auth, "user_agent": user_agent, "last_error": None}
    statement = (
        insert(PushSubscription)
        .values(id=uuid.uuid4(), tenant_id=tenant_id, user_id=user_id, endpoint=endpoint, **values)
        .on_conflict_do_update(
            constraint="uq_push_subscriptions_endpoint",
            set_={**values, "tenant_id": tenant_id, "user_id": user_id},
        )
    )
    await session.execute(statement)


async def of_user(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> list[PushSubscription]:
    found = await session.execute(
        select(PushSubscription)
        .where(PushSubscription.tenant_id == tenant_id, PushSubscription.user_id == user_id)
        .order_by(PushSubscription.created_at)
    )
    return list(found.scalars())


async def has_device(session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    found = await session.execute(
        select(PushSubscription.id)
        .where(PushSubscription.tenant_id == tenant_id, PushSubscription.user_id == user_id)
        .limit(1)
    )
    return found.first() is not None


async def remove(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID, subscription_id: uuid.UUID
) -> int:
    """Forget one of the user's devices; how many rows went (0 when it was not theirs)."""
    result = await session.execute(
        delete(PushSubscription).where(
            PushSubscription.tenant_id == tenant_id,
            PushSubscription.user_id == user_id,
            PushSubscription.id == subscription_id,
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def set_kinds(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID, kinds: list[str]
) -> None:
    await session.execute(
        update(User).where(User.tenant_id == tenant_id, User.id == user_id).values(push_kinds=kinds)
    )


async def kinds_of(session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> list[str]:
    found = await session.execute(
        select(User.push_kinds).where(User.tenant_id == tenant_id, User.id == user_id)
    )
    return list(found.scalar_one_or_none() or [])
