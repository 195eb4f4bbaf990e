"""Staff queries, always scoped by tenant."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Tenant, User


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


async def insert_unless_email_taken(session: AsyncSession, values: dict[str, Any]) -> User | None:
    """Insert the user, or nothing (None) when any agency already has the e-mail.

    The unique index on ``lower(email)`` decides, so an e-mail that row-level security
    hides (another agency's) is refused the same way instead of failing the transaction.
    """
    statement = insert(User).values(**values).on_conflict_do_nothing().returning(User)
    found = await session.execute(select(User).from_statement(statement))
    return found.scalar_one_or_none()


async def all_of(session: AsyncSession, tenant_id: uuid.UUID) -> list[User]:
    """The agency's users, active first, by name."""
    found = await session.execute(
        select(User).where(User.tenant_id == tenant_id).order_by(User.active.desc(), User.name)
    )
    return list(found.scalars())


async def active_admins(session: AsyncSession, tenant_id: uuid.UUID) -> list[User]:
    found = await session.execute(
        select(User).where(User.tenant_id == tenant_id, User.role == "admin", User.active)
    )
    return list(found.scalars())


async def set_whatsapp_alerts(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID, kinds: list[str]
) -> None:
    await session.execute(
        update(User)
        .where(User.tenant_id == tenant_id, User.id == user_id)
        .values(whatsapp_alerts=kinds)
    )


async def whatsapp_alerts(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> list[str]:
    found = await session.execute(
        select(User.whatsapp_alerts).where(User.tenant_id == tenant_id, User.id == user_id)
    )
    return list(found.scalar_one_or_none() or [])


async def active_with_tenant(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> tuple[User, Tenant] | None:
    """The active user of an active agency, with that agency (behind a session cookie)."""
    found = await session.execute(
        select(User, Tenant)
        .join(Tenant, Tenant.id == User.tenant_id)
        .where(User.id == user_id, User.tenant_id == tenant_id, User.active, Tenant.active)
    )
    row = found.first()
    return None if row is None else (row[0], row[1])


async def active_by_email(session: AsyncSession, email: str) -> tuple[User, Tenant] | None:
    """The active user with this (lower-cased) e-mail, and their active agency. Looked up
    across agencies: at sign-in the e-mail is what names the tenant."""
    found = await session.execute(
        select(User, Tenant)
        .join(Tenant, Tenant.id == User.tenant_id)
        .where(func.lower(User.email) == email, User.active, Tenant.active)
    )
    row = found.first()
    return None if row is None else (row[0], row[1])


async def routable_staff(session: AsyncSession, tenant_id: uuid.UUID) -> list[User]:
    """Every active user, the longest without a lead first (the round robin), locked so
    two handoffs at once do not both pick the same broker as "least busy"."""
    found = await session.execute(
        select(User)
        .where(User.tenant_id == tenant_id, User.active)
        .order_by(User.last_assigned_at.asc().nulls_first(), User.created_at)
        .with_for_update()
    )
    return list(found.scalars())
