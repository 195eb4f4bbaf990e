"""Leads typed or imported by staff, always scoped by tenant."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Lead


async def insert_unless_phone_taken(session: AsyncSession, values: dict[str, Any]) -> Lead | None:
    """Insert the lead, or nothing (None) when the agency has one with that phone."""
    statement = (
        insert(Lead)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[Lead.phone, Lead.tenant_id])
        .returning(Lead)
    )
    found = await session.execute(select(Lead).from_statement(statement))
    return found.scalar_one_or_none()


async def by_phones(
    session: AsyncSession, tenant_id: uuid.UUID, phones: Collection[str]
) -> dict[str, Lead]:
    """The agency's leads with these phones, by phone (one query for any number)."""
    if not phones:
        return {}
    found = await session.execute(
        select(Lead).where(Lead.tenant_id == tenant_id, Lead.phone.in_(set(phones)))
    )
    return {lead.phone: lead for lead in found.scalars()}
