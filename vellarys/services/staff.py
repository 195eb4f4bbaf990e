"""The agency's team: create or invite a user, edit their routing profile, list, deactivate.

``create_user`` is the one act behind the dashboard's invitation form and the operator's
``vellarys user create``: same checks, same messages, same audit entry.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import User
from vellarys.db.models.tenant import USER_ROLES
from vellarys.db.queries import user as user_queries
from vellarys.domain.glossary import AuditAction
from vellarys.domain.password import hash_password
from vellarys.domain.phone import normalize_phone
from vellarys.domain.staff_profile import profile_changes
from vellarys.errors import BadRequest, Conflict, NotFound
from vellarys.services import understanding
from vellarys.services.accounts import EMAIL, MIN_PASSWORD
from vellarys.services.audit import USER, Actor, record_act
from vellarys.services.plans import ensure_broker_room

MAX_NAME_CHARS = 200
MAX_EMAIL_CHARS = 320


@dataclass(frozen=True, slots=True)
class Invitation:
    """The new user and, when none was given, the temporary password to show once."""

    user: User
    temporary_password: str | None


async def list_users(session: AsyncSession, tenant_id: uuid.UUID) -> list[User]:
    return await user_queries.all_of(session, tenant_id)


def _checked(email: str, name: str | None, role: str, password: str | None) -> tuple[str, str]:
    email = email.strip().lower()
    if not EMAIL.match(email) or len(email) > MAX_EMAIL_CHARS:
        raise BadRequest("Informe um e-mail válido.")
    name = (name or "").strip() or email.split("@")[0]
    if len(name) > MAX_NAME_CHARS:
        raise BadRequest(f"O nome tem no máximo {MAX_NAME_CHARS} caracteres.")
    if role not in USER_ROLES:
        raise BadRequest(
            "Escolha o papel: administrador (admin), gerente (manager) ou corretor (broker)."
        )
    if password is not None and len(password) < MIN_PASSWORD:
        raise BadRequest(f"A senha precisa de pelo menos {MIN_PASSWORD} caracteres.")
    return email, name


async def create_user(
    session: AsyncSession,
    actor: Actor,
    *,
    email: str,
    role: str,
    name: str | None = None,
    phone: str | None = None,
    password: str | None = None,
) -> Invitation:
    """Add a user to the actor's agency. Without ``password`` one is generated and returned
    once (an invitation). ``Conflict`` when any agency already uses the e-mail."""
    email, name = _checked(email, name, role, password)
    if role != "admin":
        await ensure_broker_room(session, actor.tenant_id)
    try:
        normalized = normalize_phone(phone) if phone and phone.strip() else None
    except ValueError as exc:
        raise BadRequest("Informe um WhatsApp válido, com DDD.") from exc
    temporary = None if password is not None else secrets.token_urlsafe(9)
    values = {
        "id": uuid.uuid4(),
        "tenant_id": actor.tenant_id,
        "email": email,
        "role": role,
        "name": name,
        "phone": normalized,
        "password_hash": hash_password(password or temporary or ""),
    }
    user = await user_queries.insert_unless_email_taken(session, values)
    if user is None:
        raise Conflict("Já existe um usuário com esse e-mail.")
    understanding.forget_staff(session, actor.tenant_id)
    action, details = AuditAction.USER_CREATED, {"role": role}
    await record_act(session, actor, action, target_type=USER, target_id=user.id, details=details)
    return Invitation(user=user, temporary_password=temporary)


async def set_active(
    session: AsyncSession, *, tenant_id: uuid.UUID, user_id: uuid.UUID, by: uuid.UUID, active: bool
) -> User:
    """Deactivate (or reactivate) a user; admins cannot lock themselves out."""
    user = await user_queries.get(session, tenant_id, user_id)
    if user is None:
        raise NotFound("Usuário não encontrado.")
    if user.id == by and not active:
        raise BadRequest("Você não pode desativar a sua própria conta.")
    if active and not user.active and user.role != "admin":
        await ensure_broker_room(session, tenant_id)
    user.active = active
    await session.flush()
    understanding.forget_staff(session, tenant_id)
    return user


async def update_user(
    session: AsyncSession,
    actor: Actor,
    *,
    user_id: uuid.UUID,
    fields: Mapping[str, str | None],
) -> User:
    """Change a user's phone, areas, specialities, daily cap, availability, vacation or role
    (the keys of ``domain.staff_profile.profile_changes``; only the given ones). Checked
    whole before anything is written; an admin cannot take their own admin role away."""
    changes = profile_changes(fields)
    user = await user_queries.get(session, actor.tenant_id, user_id)
    if user is None:
        raise NotFound("Usuário não encontrado.")
    if user.id == actor.user_id and changes.get("role", user.role) != user.role:
        raise BadRequest("Você não pode mudar o seu próprio papel.")
    areas = changes.pop("areas", None)
    if areas is not None:
        user.areas = {**(user.areas or {}), **areas}
    for key, value in changes.items():
        setattr(user, key, value)
    await session.flush()
    details = {"fields": sorted([*changes, *(["areas"] if areas is not None else [])])}
    action = AuditAction.USER_UPDATED
    await record_act(session, actor, action, target_type=USER, target_id=user.id, details=details)
    return user


async def update_user_by_email(
    session: AsyncSession, actor: Actor, *, email: str, fields: Mapping[str, str | None]
) -> User:
    """``update_user`` for the user of the actor's agency with this e-mail."""
    users = await user_queries.all_of(session, actor.tenant_id)
    found = next((u for u in users if u.email.lower() == email.strip().lower()), None)
    if found is None:
        raise NotFound("Usuário não encontrado.")
    return await update_user(session, actor, user_id=found.id, fields=fields)
