"""Dashboard sign-in: password check, login rate limiting, and who is signed in."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import LoginAttempt, Tenant, User
from vellarys.db.queries import security as security_queries
from vellarys.db.queries import user as user_queries
from vellarys.domain.password import dummy_hash, verify_password
from vellarys.errors import VellarysError
from vellarys.services.audit import Actor

# 5 failures per e-mail and IP address in 15 minutes lock that pair out for the rest of the window.
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)


class TooManyAttempts(VellarysError):
    """Muitas tentativas de login. Aguarde alguns minutos e tente de novo."""

    status_code = 429


@dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in staff member, as every dashboard query needs them."""

    user_id: uuid.UUID
    tenant_id: uuid.UUID
    role: str
    name: str
    email: str
    tenant_name: str

    @property
    def is_admin(self) -> bool:
        """Configures the agency: channels, keys, users, the assistant."""
        return self.role == "admin"

    @property
    def is_manager(self) -> bool:
        """Sees every lead and the figures (admins and managers)."""
        return self.role in ("admin", "manager")

    @property
    def actor(self) -> Actor:
        return Actor(tenant_id=self.tenant_id, user_id=self.user_id, admin=self.is_manager)


async def authenticate(
    session: AsyncSession, *, email: str, password: str, ip: str, now: datetime
) -> Viewer | None:
    """The active user with these credentials, or None (the failure is recorded, so the
    caller must commit it); ``TooManyAttempts`` once the e-mail and IP pair is locked out."""
    email = email.strip().lower()
    if await _recent_failures(session, email=email, ip=ip, now=now) >= MAX_FAILURES:
        raise TooManyAttempts()
    row = await user_queries.active_by_email(session, email)
    # An unknown e-mail costs one hash check too, so timing does not tell which exist.
    known_hash = row[0].password_hash if row is not None else dummy_hash()
    if not verify_password(known_hash, password) or row is None:
        session.add(LoginAttempt(email=email[:320], ip=ip[:64], attempted_at=now))
        await session.flush()
        return None
    user, tenant = row
    user.last_login_at = now
    await security_queries.clear_login_failures(session, email, ip)
    return _viewer(user, tenant)


async def _recent_failures(session: AsyncSession, *, email: str, ip: str, now: datetime) -> int:
    # Old rows of every key are pruned here, so the table stays small without a job.
    await security_queries.prune_login_attempts(session, now - FAILURE_WINDOW)
    return await security_queries.login_failures(session, email, ip)


async def signed_in(
    session: AsyncSession, *, user_id: uuid.UUID, tenant_id: uuid.UUID
) -> Viewer | None:
    """The viewer behind a session cookie, or None when the user was deactivated or removed."""
    row = await user_queries.active_with_tenant(session, tenant_id, user_id)
    return None if row is None else _viewer(*row)


def _viewer(user: User, tenant: Tenant) -> Viewer:
    return Viewer(
        user_id=user.id,
        tenant_id=tenant.id,
        role=user.role,
        name=user.name,
        email=user.email,
        tenant_name=tenant.name,
    )
