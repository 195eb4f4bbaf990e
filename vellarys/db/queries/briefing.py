"""Yesterday's figures of one agency for the morning briefing; every query scoped by tenant."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import BriefingMessage, Handoff, Lead, Message, User, Visit


@dataclass(frozen=True, slots=True)
class LeadRow:
    name: str | None
    phone: str
    profile: dict[str, Any]
    broker: str | None


@dataclass(frozen=True, slots=True)
class HandoffTiming:
    broker: str
    minutes: float | None  # None: not answered yet


async def new_leads(
    session: AsyncSession, tenant_id: uuid.UUID, start: datetime, end: datetime
) -> tuple[int, float | None]:
    """Leads created in [start, end) and the median of the assistant's first reply (s)."""
    found = await session.execute(
        select(
            func.count(), func.percentile_cont(0.5).within_group(Lead.first_response_seconds)
        ).where(
            Lead.tenant_id == tenant_id,
            Lead.created_at >= start,
            Lead.created_at < end,
            Lead.erased_at.is_(None),
        )
    )
    count, first = found.one()
    return int(count), float(first) if first is not None else None


async def hot_leads(
    session: AsyncSession, tenant_id: uuid.UUID, start: datetime, end: datetime
) -> list[LeadRow]:
    """Leads that are hot and wrote in [start, end), most recent first."""
    found = await session.execute(
        select(Lead.name, Lead.phone, Lead.custom_data, User.name)
        .outerjoin(User, (User.id == Lead.assigned_user_id) & (User.tenant_id == tenant_id))
        .where(
            Lead.tenant_id == tenant_id,
            Lead.temperature == "hot",
            Lead.last_inbound_at >= start,
            Lead.last_inbound_at < end,
            Lead.erased_at.is_(None),
        )
        .order_by(Lead.last_inbound_at.desc())
    )
    return [LeadRow(r[0], r[1], dict(r[2] or {}), r[3]) for r in found.all()]


def _first_broker_reply() -> Any:
    """The first broker message to the handoff's lead after the handoff (correlated)."""
    return (
        select(func.min(Message.created_at))
        .where(
            Message.tenant_id == Handoff.tenant_id,
            Message.lead_id == Handoff.lead_id,
            Message.role == "broker",
            Message.created_at >= Handoff.created_at,
        )
        .scalar_subquery()
    )


async def waiting(session: AsyncSession, tenant_id: uuid.UUID, until: datetime) -> list[LeadRow]:
    """Open handoffs created before ``until`` that no broker has answered, oldest first."""
    reply = _first_broker_reply()
    found = await session.execute(
        select(Lead.name, Lead.phone, Handoff.profile, User.name)
        .join(Lead, (Lead.id == Handoff.lead_id) & (Lead.tenant_id == tenant_id))
        .outerjoin(User, (User.id == Handoff.user_id) & (User.tenant_id == tenant_id))
        .where(
            Handoff.tenant_id == tenant_id,
            Handoff.status == "open",
            Handoff.created_at < until,
            reply.is_(None),
            Lead.erased_at.is_(None),
        )
        .order_by(Handoff.created_at)
    )
    return [LeadRow(r[0], r[1], dict(r[2] or {}), r[3]) for r in found.all()]


async def handoff_timings(
    session: AsyncSession, tenant_id: uuid.UUID, start: datetime, end: datetime
) -> list[HandoffTiming]:
    """Each handoff to a broker created in [start, end), with minutes to the broker's reply."""
    reply = _first_broker_reply()
    found = await session.execute(
        select(User.name, User.email, Handoff.created_at, reply)
        .join(User, (User.id == Handoff.user_id) & (User.tenant_id == tenant_id))
        .where(
            Handoff.tenant_id == tenant_id, Handoff.created_at >= start, Handoff.created_at < end
        )
        .order_by(Handoff.created_at)
    )
    return [
        HandoffTiming(
            broker=name or email,
            minutes=(answered - created).total_seconds() / 60 if answered else None,
        )
        for name, email, created, answered in found.all()
    ]


@dataclass(frozen=True, slots=True)
class VisitRow:
    starts_at: datetime
    lead: str | None
    phone: str
    broker: str | None
    code: str


async def visits_between(
    session: AsyncSession, tenant_id: uuid.UUID, start: datetime, end: datetime
) -> list[VisitRow]:
    """Scheduled and confirmed visits starting in [start, end), earliest first."""
    found = await session.execute(
        select(Visit.starts_at, Lead.name, Lead.phone, User.name, Visit.property_code)
        .join(Lead, (Lead.id == Visit.lead_id) & (Lead.tenant_id == tenant_id))
        .outerjoin(User, (User.id == Visit.user_id) & (User.tenant_id == tenant_id))
        .where(
            Visit.tenant_id == tenant_id,
            Visit.status.in_(("scheduled", "confirmed")),
            Visit.starts_at >= start,
            Visit.starts_at < end,
            Lead.erased_at.is_(None),
        )
        .order_by(Visit.starts_at)
    )
    return [VisitRow(*row) for row in found.all()]


async def managers_with_phone(session: AsyncSession, tenant_id: uuid.UUID) -> list[User]:
    """The agency's active admins and managers who have a WhatsApp number."""
    found = await session.execute(
        select(User)
        .where(
            User.tenant_id == tenant_id,
            User.active.is_(True),
            User.role.in_(("admin", "manager")),
            User.phone.is_not(None),
            User.phone != "",
        )
        .order_by(User.name)
    )
    return list(found.scalars())


async def claim_whatsapp(
    session: AsyncSession, tenant_id: uuid.UUID, *, user: User, day: date, text: str
) -> uuid.UUID | None:
    """Take this manager's briefing of ``day``; None when it was already taken."""
    statement = (
        insert(BriefingMessage)
        .values(
            id=uuid.uuid4(),
            tenant_id=tenant_id,
            user_id=user.id,
            day=day,
            phone=user.phone or "",
            text=text,
        )
        .on_conflict_do_nothing(constraint="uq_briefing_messages_once")
        .returning(BriefingMessage.id)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def whatsapp_message(session: AsyncSession, message_id: uuid.UUID) -> BriefingMessage | None:
    """One claimed WhatsApp briefing, locked (a job names it by id, across agencies)."""
    found = await session.execute(
        select(BriefingMessage).where(BriefingMessage.id == message_id).with_for_update()
    )
    return found.scalar_one_or_none()


async def whatsapp_messages(
    session: AsyncSession, tenant_id: uuid.UUID, *, limit: int
) -> list[BriefingMessage]:
    found = await session.execute(
        select(BriefingMessage)
        .where(BriefingMessage.tenant_id == tenant_id)
        .order_by(BriefingMessage.created_at.desc())
        .limit(limit)
    )
    return list(found.scalars())
