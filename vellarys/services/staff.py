"""The agency's team as its admin manages it: invite, list, deactivate."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import User
from vellarys.db.models.tenant import USER_ROLES
from vellarys.db.queries import user as user_queries
from vellarys.errors import BadRequest, Conflict, NotFound
from vellarys.services.accounts import EMAIL, create_user


@dataclass(frozen=True, slots=True)
class Invitation:
    user: User
    temporary_password: str


async def list_users(session: AsyncSession, tenant_id: uuid.UUID) -> list[User]:
    found = await session.execute(
        select(User).where(User.tenant_id == tenant_id).order_by(User.active.desc(), User.name)
    )
    return list(found.scalars())


async def invite_user(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    email: str,
    name: str,
    role: str,
    phone: str | None = None,
) -> Invitation:
    """Create the user with a random temporary password, returned once to show to the admin."""
    if not name.strip():
        raise BadRequest("Informe o nome.")
    if not EMAIL.match(email.strip()):
        raise BadRequest("Informe um e-mail válido.")
    if role not in USER_ROLES:
        raise BadRequest("Escolha o papel: administrador ou corretor.")
    password = secrets.token_urlsafe(9)
    try:
        user = await create_user(
            session,
            tenant_id=tenant_id,
            email=email,
            password=password,
            role=role,
            name=name,
            phone=phone or None,
        )
    except Conflict as exc:
        raise Conflict("Já existe um usuário com esse e-mail.") from exc
    except BadRequest as exc:
        raise BadRequest("Informe um WhatsApp válido, com DDD.") from exc
    return Invitation(user=user, temporary_password=password)


async def set_active(
    session: AsyncSession, *, tenant_id: uuid.UUID, user_id: uuid.UUID, by: uuid.UUID, active: bool
) -> User:
    """Deactivate (or reactivate) a user; admins cannot lock themselves out."""
    user = await user_queries.get(session, tenant_id, user_id)
    if user is None:
        raise NotFound("Usuário não encontrado.")
    if user.id == by and not active:
        raise BadRequest("Você não pode desativar a sua própria conta.")
    user.active = active
    await session.flush()
    return user
