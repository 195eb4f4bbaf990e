"""Queries of the integrations: portal intakes, lead intake keys, webhook endpoints and
deliveries. Every one scoped by tenant but ``portal_by_key`` (the key names the tenant)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Lead, LeadIntake, PortalIntake, WebhookDelivery, WebhookEndpoint
from vellarys.db.queries.lead_search import visible


async def database_now(session: AsyncSession) -> datetime:
    now: datetime = (await session.execute(select(func.now()))).scalar_one()
    return now


async def portal_by_key(session: AsyncSession, url_key: str) -> PortalIntake | None:
    found = await session.execute(select(PortalIntake).where(PortalIntake.url_key == url_key))
    return found.scalar_one_or_none()


async def portal_of(session: AsyncSession, tenant_id: uuid.UUID) -> PortalIntake | None:
    found = await session.execute(select(PortalIntake).where(PortalIntake.tenant_id == tenant_id))
    return found.scalar_one_or_none()


async def lead_by_phones(
    session: AsyncSession, tenant_id: uuid.UUID, phones: Sequence[str]
) -> Lead | None:
    """The tenant's lead with any of these phones (the forms of one number), for update."""
    found = await session.execute(
        select(Lead)
        .where(Lead.tenant_id == tenant_id, Lead.phone.in_(list(phones)))
        .order_by(Lead.created_at)
        .limit(1)
        .with_for_update()
    )
    return found.scalar_one_or_none()


async def claim_intake(
    session: AsyncSession, *, tenant_id: uuid.UUID, key: str, fingerprint: str
) -> tuple[LeadIntake, bool]:
    """The intake row of ``key``, and whether this call created it. A concurrent call with
    the same key waits on the unique index and then finds the first call's row."""
    inserted = await session.execute(
        insert(LeadIntake)
        .values(
            id=uuid.uuid4(), tenant_id=tenant_id, key=key, fingerprint=fingerprint, created=False
        )
        .on_conflict_do_nothing(index_elements=[LeadIntake.tenant_id, LeadIntake.key])
        .returning(LeadIntake.id)
    )
    new_id = inserted.scalar_one_or_none()
    found = await session.execute(
        select(LeadIntake)
        .where(LeadIntake.tenant_id == tenant_id, LeadIntake.key == key)
        .execution_options(populate_existing=True)
    )
    return found.scalar_one(), new_id is not None


async def endpoints(session: AsyncSession, tenant_id: uuid.UUID) -> list[WebhookEndpoint]:
    found = await session.execute(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.tenant_id == tenant_id)
        .order_by(WebhookEndpoint.created_at)
    )
    return list(found.scalars())


async def every_endpoint(session: AsyncSession) -> list[WebhookEndpoint]:
    """All agencies' endpoints (for deployment-wide maintenance such as key rotation)."""
    found = await session.execute(select(WebhookEndpoint).order_by(WebhookEndpoint.id))
    return list(found.scalars())


async def endpoint(
    session: AsyncSession, tenant_id: uuid.UUID, endpoint_id: uuid.UUID
) -> WebhookEndpoint | None:
    found = await session.execute(
        select(WebhookEndpoint).where(
            WebhookEndpoint.tenant_id == tenant_id, WebhookEndpoint.id == endpoint_id
        )
    )
    return found.scalar_one_or_none()


async def subscribed(
    session: AsyncSession, tenant_id: uuid.UUID, event: str
) -> list[WebhookEndpoint]:
    """The tenant's active endpoints that asked for ``event``."""
    found = await session.execute(
        select(WebhookEndpoint).where(
            WebhookEndpoint.tenant_id == tenant_id,
            WebhookEndpoint.active,
            WebhookEndpoint.events.contains([event]),
        )
    )
    return list(found.scalars())


def add_delivery(
    session: AsyncSession, endpoint: WebhookEndpoint, *, event: str, payload: dict[str, Any]
) -> WebhookDelivery:
    delivery = WebhookDelivery(
        id=uuid.uuid4(),
        tenant_id=endpoint.tenant_id,
        endpoint_id=endpoint.id,
        event=event,
        payload=payload,
    )
    session.add(delivery)
    return delivery


async def delivery_for_update(
    session: AsyncSession, delivery_id: uuid.UUID
) -> tuple[WebhookDelivery, WebhookEndpoint] | None:
    """A delivery and its endpoint (jobs run outside any tenant; the id is the job's)."""
    found = await session.execute(
        select(WebhookDelivery, WebhookEndpoint)
        .join(
            WebhookEndpoint,
            (WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            & (WebhookEndpoint.tenant_id == WebhookDelivery.tenant_id),
        )
        .where(WebhookDelivery.id == delivery_id)
        .with_for_update(of=WebhookDelivery)
    )
    row = found.one_or_none()
    return None if row is None else (row[0], row[1])


async def recent_deliveries(
    session: AsyncSession, tenant_id: uuid.UUID, *, limit: int = 50
) -> list[WebhookDelivery]:
    found = await session.execute(
        select(WebhookDelivery)
        .where(WebhookDelivery.tenant_id == tenant_id)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id)
        .limit(limit)
    )
    return list(found.scalars())


async def insert_lead(session: AsyncSession, values: dict[str, Any]) -> Lead | None:
    """A new lead, or None when the tenant already has one with this phone."""
    inserted = await session.execute(
        insert(Lead)
        .values(id=uuid.uuid4(), **values)
        .on_conflict_do_nothing(index_elements=[Lead.phone, Lead.tenant_id])
        .returning(Lead.id)
    )
    new_id = inserted.scalar_one_or_none()
    if new_id is None:
        return None
    found = await session.execute(
        select(Lead).where(Lead.tenant_id == values["tenant_id"], Lead.id == new_id)
    )
    return found.scalar_one()


async def delete_deliveries_about(
    session: AsyncSession, tenant_id: uuid.UUID, lead_id: uuid.UUID
) -> int:
    """Delete the deliveries whose body is about the lead (its data, or a message's lead)."""
    about = str(lead_id)
    done = await session.execute(
        delete(WebhookDelivery)
        .where(
            WebhookDelivery.tenant_id == tenant_id,
            (WebhookDelivery.payload["data"]["id"].astext == about)
            | (WebhookDelivery.payload["data"]["lead"]["id"].astext == about),
        )
        .returning(WebhookDelivery.id)
    )
    return len(done.all())


async def leads_by_source(
    session: AsyncSession, tenant_id: uuid.UUID, visible_to: uuid.UUID | None, *, limit: int = 20
) -> list[tuple[str, str | None, int, int, int]]:
    """(source, campaign, leads, hot leads, won leads) of the leads this viewer sees, the
    biggest first; erased leads left out."""
    leads = func.count()
    found = await session.execute(
        select(
            Lead.source,
            Lead.campaign,
            leads,
            func.count().filter(Lead.temperature == "hot"),
            func.count().filter(Lead.stage == "won"),
        )
        .where(*visible(tenant_id, visible_to), Lead.erased_at.is_(None))
        .group_by(Lead.source, Lead.campaign)
        .order_by(leads.desc(), Lead.source, Lead.campaign)
        .limit(limit)
    )
    return [(s, c, int(n), int(h), int(w)) for s, c, n, h, w in found.all()]


async def prune_deliveries(session: AsyncSession, *, older_than: datetime) -> int:
    """Delete finished deliveries (delivered or failed) created before ``older_than``."""
    done = await session.execute(
        delete(WebhookDelivery)
        .where(WebhookDelivery.status != "pending", WebhookDelivery.created_at < older_than)
        .returning(WebhookDelivery.id)
    )
    return len(done.all())
