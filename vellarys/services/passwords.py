"""Passwords: a user changes their own; an admin issues a one-time reset link.

Either way the user's sessions end, so a stolen cookie dies with the old password. A reset
link is shown once to the admin who issued it (to hand over in person or by WhatsApp): the
database keeps only its hash; it works once and expires.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import PasswordReset, User
from vellarys.db.queries import security as security_queries
from vellarys.db.queries import user as user_queries
from vellarys.domain.glossary import AuditAction
from vellarys.domain.password import hash_password, verify_password
from vellarys.errors import BadRequest, NotFound, VellarysError
from vellarys.services.accounts import MIN_PASSWORD
from vellarys.services.audit import USER, record
from vellarys.services.sessions import PASSWORD_CHANGED, revoke_user_sessions, token_hash

MAX_PASSWORD = 200


class ResetLinkInvalid(VellarysError):
    """Este link de redefinição de senha é inválido, já foi usado ou expirou."""

    status_code = 410


def _check_new(password: str, confirmation: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise BadRequest(f"A nova senha precisa de pelo menos {MIN_PASSWORD} caracteres.")
    if len(password) > MAX_PASSWORD:
        raise BadRequest(f"Use no máximo {MAX_PASSWORD} caracteres na senha.")
    if password != confirmation:
        raise BadRequest("A confirmação não confere com a nova senha.")


async def _set_password(session: AsyncSession, user: User, password: str, now: datetime) -> None:
    user.password_hash = hash_password(password)
    await revoke_user_sessions(
        session, tenant_id=user.tenant_id, user_id=user.id, now=now, reason=PASSWORD_CHANGED
    )
    await session.flush()


async def change_password(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    current: str,
    new: str,
    confirmation: str,
    now: datetime,
) -> None:
    """Change a user's own password (the current one is required) and end all their sessions;
    the caller opens a fresh one for the browser that made the change."""
    user = await user_queries.get(session, tenant_id, user_id)
    if user is None:
        raise NotFound("Usuário não encontrado.")
    if not verify_password(user.password_hash, current):
        raise BadRequest("A senha atual está incorreta.")
    _check_new(new, confirmation)
    await _set_password(session, user, new, now)


async def issue_reset_link(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    issued_by: uuid.UUID,
    now: datetime,
    valid_for: timedelta,
) -> str:
    """A new one-time reset token for a user of the admin's agency; earlier unused links of
    that user stop working."""
    user = await user_queries.get(session, tenant_id, user_id)
    if user is None:
        raise NotFound("Usuário não encontrado.")
    await security_queries.expire_resets(session, user.id, now)
    token = secrets.token_urlsafe(32)
    session.add(
        PasswordReset(
            tenant_id=tenant_id,
            user_id=user.id,
            token_hash=token_hash(token),
            created_by_id=issued_by,
            created_at=now,
            expires_at=now + valid_for,
        )
    )
    await session.flush()
    await record(
        session,
        tenant_id=tenant_id,
        user_id=issued_by,
        action=AuditAction.USER_RESET_LINK_ISSUED,
        target_type=USER,
        target_id=user.id,
    )
    return token


async def _live_reset(session: AsyncSession, token: str, now: datetime) -> PasswordReset:
    reset = await security_queries.live_reset(session, token_hash(token), now)
    if reset is None:
        raise ResetLinkInvalid()
    return reset


async def _target(session: AsyncSession, reset: PasswordReset) -> User:
    user = await user_queries.get(session, reset.tenant_id, reset.user_id)
    if user is None or not user.active:
        raise ResetLinkInvalid()
    return user


async def reset_target(session: AsyncSession, *, token: str, now: datetime) -> User:
    """The active user a live reset link is for; ``ResetLinkInvalid`` otherwise."""
    return await _target(session, await _live_reset(session, token, now))


async def reset_password(
    session: AsyncSession, *, token: str, new: str, confirmation: str, now: datetime
) -> User:
    """Use a reset link once: set the new password and end every session of its user."""
    reset = await _live_reset(session, token, now)
    user = await _target(session, reset)
    _check_new(new, confirmation)
    reset.used_at = now
    await _set_password(session, user, new, now)
    return user
