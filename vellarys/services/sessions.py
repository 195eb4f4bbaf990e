"""Dashboard sessions kept on the server: opened at sign-in, checked on every request,
ended by logout, a password change, an admin, or the idle and absolute timeouts.

The browser's cookie carries a random token; the database keeps only its SHA-256, so the
rows cannot be replayed as cookies. A revoked or expired row stays for the record.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import UserSession
from vellarys.db.queries import security as security_queries
from vellarys.services.auth import Viewer, signed_in

# last_seen_at is written at most this often: not one UPDATE per htmx poll.
TOUCH_EVERY = timedelta(seconds=60)
LOGOUT, PASSWORD_CHANGED, BY_ADMIN, DEACTIVATED = "logout", "password", "admin", "deactivated"


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    idle: timedelta
    absolute: timedelta


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def open_session(
    session: AsyncSession,
    *,
    viewer: Viewer,
    now: datetime,
    policy: SessionPolicy,
    ip: str | None = None,
    user_agent: str | None = None,
) -> str:
    """Record a new session for ``viewer``; returns the token to put in the cookie."""
    token = secrets.token_urlsafe(32)
    session.add(
        UserSession(
            tenant_id=viewer.tenant_id,
            user_id=viewer.user_id,
            token_hash=token_hash(token),
            created_at=now,
            last_seen_at=now,
            expires_at=now + policy.absolute,
            ip=(ip or "")[:64] or None,
            user_agent=(user_agent or "")[:300] or None,
        )
    )
    await session.flush()
    return token


async def session_viewer(
    session: AsyncSession,
    *,
    token: str,
    tenant_id: uuid.UUID,
    now: datetime,
    policy: SessionPolicy,
) -> Viewer | None:
    """The viewer behind a live session, or None (revoked, idle too long, past its absolute
    limit, or its user deactivated)."""
    row = await security_queries.live_session(session, tenant_id, token_hash(token))
    if row is None or now >= row.expires_at or now - row.last_seen_at >= policy.idle:
        return None
    viewer = await signed_in(session, user_id=row.user_id, tenant_id=tenant_id)
    if viewer is not None and now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return viewer


async def revoke_session(
    session: AsyncSession, *, token: str, tenant_id: uuid.UUID, now: datetime, reason: str
) -> None:
    await security_queries.revoke_sessions(
        session, tenant_id, now=now, reason=reason, token_hash=token_hash(token)
    )


async def revoke_user_sessions(
    session: AsyncSession, *, tenant_id: uuid.UUID, user_id: uuid.UUID, now: datetime, reason: str
) -> int:
    """End every live session of a user; returns how many were live."""
    return await security_queries.revoke_sessions(
        session, tenant_id, now=now, reason=reason, user_id=user_id
    )
