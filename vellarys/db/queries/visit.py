"""Visit, broker availability and reminder queries, always scoped by tenant."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import BrokerBlock, BrokerSchedule, Lead, User, Visit, VisitReminder

ACTIVE = ("scheduled", "confirmed")


async def get(session: AsyncSession, tenant_id: uuid.UUID, visit_id: uuid.UUID) -> Visit | None:
    found = await session.execute(
        select(Visit).where(Visit.tenant_id == tenant_id, Visit.id == visit_id)
    )
    return found.scalar_one_or_none()


# In a session's ``info``: the leads ``queries.turn.read`` found without visits.
NO_VISITS = "turn.no_visits"


def _known_visits(session: AsyncSession, lead_id: uuid.UUID) -> bool:
    """A visit of the lead added to or loaded by the session since."""
    objects = [*session.new, *session.identity_map.values()]
    return any(isinstance(o, Visit) and o.lead_id == lead_id for o in objects)


async def of_lead(session: AsyncSession, tenant_id: uuid.UUID, lead_id: uuid.UUID) -> list[Visit]:
    """A lead's visits, the newest first (none, without a query, for a lead the turn's read
    found without visits while the session knows of none)."""
    if lead_id in session.info.get(NO_VISITS, ()) and not _known_visits(session, lead_id):
        return []
    found = await session.execute(
        select(Visit)
        .where(Visit.tenant_id == tenant_id, Visit.lead_id == lead_id)
        .order_by(Visit.created_at.desc())
    )
    return list(found.scalars())


async def listing(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    lead_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
    status: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[tuple[Visit, Lead, User | None]]:
    """Visits with their lead and broker, by start time."""
    query = (
        select(Visit, Lead, User)
        .join(Lead, Lead.id == Visit.lead_id)
        .outerjoin(User, User.id == Visit.user_id)
        .where(Visit.tenant_id == tenant_id)
        .order_by(Visit.starts_at)
    )
    if lead_id is not None:
        query = query.where(Visit.lead_id == lead_id)
    if user_id is not None:
        query = query.where(Visit.user_id == user_id)
    if status:
        query = query.where(Visit.status == status)
    if since is not None:
        query = query.where(Visit.starts_at >= since)
    if until is not None:
        query = query.where(Visit.starts_at < until)
    found = await session.execute(query)
    return [(v, lead, user) for v, lead, user in found.all()]


async def held_by_broker(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID, *, since: datetime
) -> list[Visit]:
    """The broker's scheduled and confirmed visits ending after ``since``."""
    found = await session.execute(
        select(Visit).where(
            Visit.tenant_id == tenant_id,
            Visit.user_id == user_id,
            Visit.status.in_(ACTIVE),
            Visit.ends_at > since,
        )
    )
    return list(found.scalars())


async def upcoming(
    session: AsyncSession, tenant_id: uuid.UUID, *, since: datetime, until: datetime
) -> list[Visit]:
    """Scheduled and confirmed visits starting between ``since`` and ``until``."""
    found = await session.execute(
        select(Visit)
        .where(
            Visit.tenant_id == tenant_id,
            Visit.status.in_(ACTIVE),
            Visit.starts_at > since,
            Visit.starts_at <= until,
        )
        .order_by(Visit.starts_at)
    )
    return list(found.scalars())


async def schedule_of(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> BrokerSchedule | None:
    found = await session.execute(
        select(BrokerSchedule).where(
            BrokerSchedule.tenant_id == tenant_id, BrokerSchedule.user_id == user_id
        )
    )
    return found.scalar_one_or_none()


async def blocks_of(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID, *, since: datetime
) -> list[BrokerBlock]:
    found = await session.execute(
        select(BrokerBlock)
        .where(
            BrokerBlock.tenant_id == tenant_id,
            BrokerBlock.user_id == user_id,
            BrokerBlock.ends_at > since,
        )
        .order_by(BrokerBlock.starts_at)
    )
    return list(found.scalars())


async def delete_block(
    session: AsyncSession, tenant_id: uuid.UUID, block_id: uuid.UUID, user_id: uuid.UUID
) -> bool:
    found = await session.execute(
        delete(BrokerBlock)
        .where(
            BrokerBlock.tenant_id == tenant_id,
            BrokerBlock.id == block_id,
            BrokerBlock.user_id == user_id,
        )
        .returning(BrokerBlock.id)
    )
    return found.scalar_one_or_none() is not None


async def claim_reminder(
    session: AsyncSession, tenant_id: uuid.UUID, *, visit: Visit, kind: str
) -> VisitReminder | None:
    """Take the (visit, kind, visit time) key; None when another worker already has it."""
    statement = (
        insert(VisitReminder)
        .values(
            id=uuid.uuid4(),
            tenant_id=tenant_id,
            visit_id=visit.id,
            kind=kind,
            starts_at=visit.starts_at,
        )
        .on_conflict_do_nothing(constraint="uq_visit_reminders_key")
        .returning(VisitReminder)
    )
    found = await session.execute(select(VisitReminder).from_statement(statement))
    return found.scalar_one_or_none()


async def reminder(
    session: AsyncSession, reminder_id: uuid.UUID
) -> tuple[VisitReminder, Visit] | None:
    """A reminder and its visit (jobs run across agencies, as webhooks do)."""
    found = await session.execute(
        select(VisitReminder, Visit)
        .join(Visit, Visit.id == VisitReminder.visit_id)
        .where(VisitReminder.id == reminder_id, Visit.tenant_id == VisitReminder.tenant_id)
    )
    row = found.one_or_none()
    return (row[0], row[1]) if row else None


async def reminders_of(
    session: AsyncSession, tenant_id: uuid.UUID, visit_id: uuid.UUID
) -> list[VisitReminder]:
    found = await session.execute(
        select(VisitReminder)
        .where(VisitReminder.tenant_id == tenant_id, VisitReminder.visit_id == visit_id)
        .order_by(VisitReminder.created_at)
    )
    return list(found.scalars())
