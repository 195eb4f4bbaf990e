"""Agencies (the operator creates them); their staff is ``staff``."""

from __future__ import annotations

import re
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Tenant
from vellarys.db.queries import tenant as tenant_queries
from vellarys.errors import BadRequest, Conflict, NotFound

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
# Dot-separated labels that hold no dot: one way to match, so linear on any input.
EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[^@\s.\x00-\x1f\x7f]+(?:\.[^@\s.\x00-\x1f\x7f]+)+$")
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


async def tenant_by_slug(session: AsyncSession, slug: str) -> Tenant:
    """The agency a command names by its slug; NotFound when there is none."""
    tenant = await tenant_queries.by_slug(session, slug)
    if tenant is None:
        raise NotFound(f"No agency with slug {slug!r}.")
    return tenant
