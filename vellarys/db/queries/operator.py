"""Operator accounts and sessions (outside every agency), and whose a login e-mail is."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Operator, OperatorSession, User


async def by_email(session: AsyncSession, email: str, *, active: bool = False) -> Operator | None:
    statement = select(Operator).where(func.lower(Operator.email) == email.strip().lower())
    if active:
        statement = statement.where(Operator.active.is_(True))
    return (await session.execute(statement)).scalar_one_or_none()


async def by_session(session: AsyncSession, token_hash: str, now: datetime) -> Operator | None:
    """The active operator of a live (not revoked, not expired) session."""
    found = await session.execute(
        select(Operator)
        .join(OperatorSession, OperatorSession.operator_id == Operator.id)
        .where(
            OperatorSession.token_hash == token_hash,
            OperatorSession.revoked_at.is_(None),
            OperatorSession.expires_at > now,
            Operator.active.is_(True),
        )
    )
    return found.scalar_one_or_none()


async def revoke(session: AsyncSession, token_hash: str, now: datetime) -> None:
    await session.execute(
        update(OperatorSession)
        .where(OperatorSession.token_hash == token_hash)
        .values(revoked_at=now)
    )


async def staff_of_email(session: AsyncSession, email: str) -> tuple[uuid.UUID, uuid.UUID] | None:
    """(tenant id, user id) of the staff member with this e-mail, if any."""
    found = await session.execute(
        select(User.tenant_id, User.id).where(func.lower(User.email) == email.strip().lower())
    )
    row = found.first()
    return None if row is None else (row[0], row[1])
