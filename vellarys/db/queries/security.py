"""Server-side sessions and password reset links, looked up by the hash of their token."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import PasswordReset, UserSession


async def live_session(
    session: AsyncSession, tenant_id: uuid.UUID, token_hash: str
) -> UserSession | None:
    """The agency's unrevoked session with this token hash (timeouts are the caller's)."""
    found = await session.execute(
        select(UserSession).where(
            UserSession.token_hash == token_hash,
            UserSession.tenant_id == tenant_id,
            UserSession.revoked_at.is_(None),
        )
    )
    return found.scalar_one_or_none()


async def revoke_sessions(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    now: datetime,
    reason: str,
    token_hash: str | None = None,
    user_id: uuid.UUID | None = None,
) -> int:
    """Revoke the live session with ``token_hash``, or every live one of ``user_id``."""
    assert (token_hash is None) != (user_id is None)
    statement = update(UserSession).where(
        UserSession.tenant_id == tenant_id, UserSession.revoked_at.is_(None)
    )
    if token_hash is not None:
        statement = statement.where(UserSession.token_hash == token_hash)
    else:
        statement = statement.where(UserSession.user_id == user_id)
    result = await session.execute(
        statement.values(revoked_at=now, revoked_reason=reason).returning(UserSession.id)
    )
    return len(result.all())


async def expire_resets(session: AsyncSession, user_id: uuid.UUID, now: datetime) -> None:
    """End every unused reset link of a user (a newer one replaces them)."""
    await session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user_id, PasswordReset.used_at.is_(None))
        .values(expires_at=now)
    )


async def live_reset(session: AsyncSession, token_hash: str, now: datetime) -> PasswordReset | None:
    """The unused, unexpired reset link with this token hash, locked for its single use.
    Looked up across agencies: the link is the credential."""
    found = await session.execute(
        select(PasswordReset)
        .where(
            PasswordReset.token_hash == token_hash,
            PasswordReset.used_at.is_(None),
            PasswordReset.expires_at > now,
        )
        .with_for_update()
    )
    return found.scalar_one_or_none()
