"""Lead queries, always scoped by tenant."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, func, literal_column, select, true
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from vellarys.db.models import Lead, Message


async def upsert_by_phone(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    phone: str,
    name: str | None,
    channel_id: uuid.UUID | None,
    seen_at: datetime,
) -> Lead:
    """The lead of (tenant, phone), created on first contact; concurrent calls get the same row."""
    lead, _ = await upsert_contact(
        session,
        tenant_id=tenant_id,
        phone=phone,
        name=name,
        channel_id=channel_id,
        seen_at=seen_at,
    )
    return lead


async def upsert_contact(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    phone: str,
    name: str | None,
    channel_id: uuid.UUID | None,
    seen_at: datetime,
) -> tuple[Lead, bool]:
    """``upsert_by_phone``, and whether this call created the lead (one round trip)."""
    statement = (
        insert(Lead)
        .values(
            id=uuid.uuid4(),
            tenant_id=tenant_id,
            phone=phone,
            name=name,
            channel_id=channel_id,
            last_message_at=seen_at,
            last_inbound_at=seen_at,
        )
        .on_conflict_do_update(
            index_elements=[Lead.phone, Lead.tenant_id],
            set_={
                "name": func.coalesce(Lead.name, name),
                "channel_id": func.coalesce(channel_id, Lead.channel_id),
                "last_message_at": func.greatest(Lead.last_message_at, seen_at),
                "last_inbound_at": func.greatest(Lead.last_inbound_at, seen_at),
                "archived_at": None,
                "updated_at": func.now(),
            },
        )
        # A row this statement inserted has no deleting transaction yet: xmax is 0.
        .returning(*Lead.__table__.c, literal_column("xmax = 0").label("inserted"))
    )
    inserted = literal_column("inserted", Boolean)
    result = await session.execute(
        select(Lead, inserted).from_statement(statement).execution_options(populate_existing=True)
    )
    lead, created = result.one()
    return lead, bool(created)


async def get(session: AsyncSession, tenant_id: uuid.UUID, lead_id: uuid.UUID) -> Lead | None:
    found = await session.execute(
        select(Lead).where(Lead.tenant_id == tenant_id, Lead.id == lead_id)
    )
    return found.scalar_one_or_none()


def recent_messages(tenant_id: uuid.UUID, limit: int) -> type[Message]:
    """The lead's last ``limit`` messages as an entity over a LATERAL subquery correlated with
    ``Lead``: outer-join it to a select of ``Lead`` to read a lead and its history in one trip."""
    recent = (
        select(Message)
        .where(Message.lead_id == Lead.id, Message.tenant_id == tenant_id)
        .order_by(Message.created_at.desc())
        .limit(limit)
        .lateral("recent")
    )
    return aliased(Message, recent)


async def with_history(
    session: AsyncSession, tenant_id: uuid.UUID, lead_id: uuid.UUID, *, limit: int = 30
) -> tuple[Lead, list[Message]] | None:
    """The lead and its last ``limit`` messages (oldest first) in one round trip."""
    message = recent_messages(tenant_id, limit)
    rows = (
        await session.execute(
            select(Lead, message)
            .select_from(Lead)
            .outerjoin(message, true())
            .where(Lead.tenant_id == tenant_id, Lead.id == lead_id)
        )
    ).all()
    if not rows:
        return None
    lead = rows[0][0]
    history = sorted((m for _, m in rows if m is not None), key=lambda m: m.created_at)
    return lead, history


async def messages_since(session: AsyncSession, lead: Lead, since: datetime | None) -> int:
    """How many messages the lead's conversation has after ``since`` (all when None)."""
    where = [Message.tenant_id == lead.tenant_id, Message.lead_id == lead.id]
    if since is not None:
        where.append(Message.created_at > since)
    found = await session.execute(select(func.count()).select_from(Message).where(*where))
    return int(found.scalar_one())


async def replies_since(
    session: AsyncSession, tenant_id: uuid.UUID, lead_id: uuid.UUID, since: datetime
) -> list[Message]:
    """The assistant's and system's outbound messages to the lead from ``since`` on, fresh."""
    found = await session.execute(
        select(Message)
        .where(
            Message.tenant_id == tenant_id,
            Message.lead_id == lead_id,
            Message.direction == "outbound",
            Message.created_at >= since,
            Message.role.in_(["assistant", "system"]),
        )
        .order_by(Message.created_at, Message.id)
        .execution_options(populate_existing=True)
    )
    return list(found.scalars())


async def last_inbound_by_phone(
    session: AsyncSession, tenant_id: uuid.UUID, phone: str
) -> datetime | None:
    """When the agency's lead with this phone last wrote (None: never, or no such lead)."""
    found = await session.execute(
        select(Lead.last_inbound_at).where(Lead.tenant_id == tenant_id, Lead.phone == phone)
    )
    return found.scalar_one_or_none()


async def updated_since(session: AsyncSession, tenant_id: uuid.UUID, since: datetime) -> list[Lead]:
    """The agency's leads (not erased) changed at or after ``since``."""
    found = await session.execute(
        select(Lead).where(
            Lead.tenant_id == tenant_id,
            Lead.erased_at.is_(None),
            Lead.updated_at >= since,
        )
    )
    return list(found.scalars())


async def last_inbound_of_phone(
    session: AsyncSession, tenant_id: uuid.UUID, phone: str
) -> datetime | None:
    """When the agency last heard from this phone as a lead (e.g. an admin's own number)."""
    found = await session.execute(
        select(Lead.last_inbound_at).where(Lead.tenant_id == tenant_id, Lead.phone == phone)
    )
    return found.scalar_one_or_none()


async def by_phone(session: AsyncSession, tenant_id: uuid.UUID, phone: str) -> Lead | None:
    found = await session.execute(
        select(Lead).where(Lead.tenant_id == tenant_id, Lead.phone == phone)
    )
    return found.scalar_one_or_none()


async def tenant_of(session: AsyncSession, lead_id: uuid.UUID) -> uuid.UUID | None:
    """The agency a lead belongs to, whatever the agency: for the operator's support view,
    which then checks that agency granted support access."""
    return await session.scalar(select(Lead.tenant_id).where(Lead.id == lead_id))
