"""Agencies and their staff."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Tenant, User
from vellarys.db.queries import tenant as tenant_queries
from vellarys.domain.password import hash_password
from vellarys.domain.phone import normalize_phone
from vellarys.errors import BadRequest, Conflict

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
# Dot-separated labels that hold no dot: one way to match, so linear on any input.
EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+$")
MIN_PASSWORD = 8


async def create_tenant(session: AsyncSession, *, slug: str, name: str) -> Tenant:
    if not SLUG.match(slug):
        raise BadRequest("The slug must be 2-63 lowercase letters, digits or dashes.")
    if not name.strip():
        raise BadRequest("The agency needs a name.")
    if await tenant_queries.by_slug(session, slug) is not None:
        raise Conflict(f"An agency with slug {slug!r} already exists.")
    tenant = Tenant(
        id=uuid.uuid4(), slug=slug, name=name.strip(), settings={"agency_name": name.strip()}
    )
    session.add(tenant)
    await session.flush()
    return tenant


async def create_user(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    email: str,
    password: str,
    role: str,
    name: str | None = None,
    phone: str | None = None,
) -> User:
    email = email.strip().lower()
    if not EMAIL.match(email):
        raise BadRequest("Enter a valid e-mail address.")
    if role not in ("admin", "broker"):
        raise BadRequest("The role must be admin or broker.")
    if len(password) < MIN_PASSWORD:
        raise BadRequest(f"The password needs at least {MIN_PASSWORD} characters.")
    taken = await session.execute(select(User.id).where(func.lower(User.email) == email))
    if taken.first() is not None:
        raise Conflict("That e-mail is already in use.")
    try:
        normalized = normalize_phone(phone) if phone else None
    except ValueError as exc:
        raise BadRequest("Enter a valid WhatsApp number.") from exc
    user = User(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        email=email,
        role=role,
        name=(name or email.split("@")[0]).strip(),
        phone=normalized,
        password_hash=hash_password(password),
    )
    session.add(user)
    await session.flush()
    return user
