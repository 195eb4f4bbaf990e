"""Opportunity queries, always scoped by tenant."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Opportunity, Property


async def insert_unless_open(session: AsyncSession, values: dict[str, Any]) -> Opportunity | None:
    """Insert, or nothing (None) when the lead already has one for that listing."""
    statement = (
        insert(Opportunity)
        .values(**values)
        .on_conflict_do_nothing(constraint="uq_opportunities_tenant_id_lead_id")
        .returning(Opportunity)
    )
    found = await session.execute(select(Opportunity).from_statement(statement))
    return found.scalar_one_or_none()


async def of_listing(
    session: AsyncSession, tenant_id: uuid.UUID, lead_id: uuid.UUID, property_id: uuid.UUID
) -> Opportunity | None:
    found = await session.execute(
        select(Opportunity)
        .where(
            Opportunity.tenant_id == tenant_id,
            Opportunity.lead_id == lead_id,
            Opportunity.property_id == property_id,
        )
        .with_for_update()
    )
    return found.scalar_one_or_none()


async def get(
    session: AsyncSession, tenant_id: uuid.UUID, opportunity_id: uuid.UUID
) -> Opportunity | None:
    found = await session.execute(
        select(Opportunity).where(
            Opportunity.tenant_id == tenant_id, Opportunity.id == opportunity_id
        )
    )
    return found.scalar_one_or_none()


async def of_lead(
    session: AsyncSession, tenant_id: uuid.UUID, lead_id: uuid.UUID
) -> list[tuple[Opportunity, Property]]:
    """The lead's opportunities with their listings, oldest first."""
    found = await session.execute(
        select(Opportunity, Property)
        .join(Property, Property.id == Opportunity.property_id)
        .where(Opportunity.tenant_id == tenant_id, Opportunity.lead_id == lead_id)
        .order_by(Opportunity.created_at, Opportunity.id)
    )
    return [(row[0], row[1]) for row in found.all()]
