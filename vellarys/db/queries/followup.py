"""Who gets a follow-up or a reactivation, which steps were claimed, and what is new to show.

Every query takes the tenant. A nudge is an assistant message whose ``media`` carries
``{"nudge": kind}``; it does not move the base time of the follow-up sequence.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, true
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Handoff, Lead, Message, PlannedMessage, Property
from vellarys.db.queries import property as property_queries
from vellarys.domain.property_search import PropertyFilters

CLOSED_STAGES = ("won", "lost", "handed_off")


@dataclass(frozen=True, slots=True)
class Candidate:
    lead: Lead
    base: datetime  # the assistant's last own message (follow-ups) or the lead's (reactivation)


def _reachable(tenant_id: uuid.UUID) -> list[object]:
    open_handoff = select(Handoff.id).where(
        Handoff.tenant_id == tenant_id, Handoff.lead_id == Lead.id, Handoff.status == "open"
    )
    return [
        Lead.tenant_id == tenant_id,
        Lead.opted_out.is_(False),
        Lead.ai_paused.is_(False),
        Lead.erased_at.is_(None),
        Lead.stage.not_in(CLOSED_STAGES),
        Lead.last_inbound_at.is_not(None),
        ~open_handoff.exists(),
    ]


def _last_message(tenant_id: uuid.UUID) -> Select[str, datetime]:
    return (
        select(Message.role.label("role"), Message.created_at.label("at"))
        .where(Message.tenant_id == tenant_id, Message.lead_id == Lead.id)
        .order_by(Message.created_at.desc())
        .limit(1)
    )


def _unfinished(kind: str, steps: int) -> ColumnElement[bool]:
    """The lead's current sequence (anchored at its last message) has steps left."""
    return ~(
        select(PlannedMessage.id)
        .where(
            PlannedMessage.lead_id == Lead.id,
            PlannedMessage.kind == kind,
            PlannedMessage.anchor == Lead.last_inbound_at,
            PlannedMessage.step >= steps,
        )
        .exists()
    )


async def silent_leads(
    session: AsyncSession, tenant_id: uuid.UUID, *, steps: int
) -> list[Candidate]:
    """Reachable leads whose last message came from the assistant, with its last own message.

    A broker's message last (from the dashboard or the phone) or any lead reply after the
    assistant's keeps a lead out.
    """
    last = _last_message(tenant_id).lateral("last")
    base = (
        select(func.max(Message.created_at))
        .where(
            Message.tenant_id == tenant_id,
            Message.lead_id == Lead.id,
            Message.role == "assistant",
            Message.media["nudge"].astext.is_(None),
        )
        .scalar_subquery()
    )
    rows = await session.execute(
        select(Lead, base)
        .join(last, true())
        .where(
            *_reachable(tenant_id),  # type: ignore[arg-type]
            last.c.role == "assistant",
            _unfinished("follow_up", steps),
        )
        .order_by(Lead.last_inbound_at)
    )
    return [Candidate(lead, at) for lead, at in rows.all() if at is not None]


async def idle_leads(
    session: AsyncSession, tenant_id: uuid.UUID, *, idle_since: datetime, steps: int
) -> list[Candidate]:
    """Reachable leads who last wrote before ``idle_since`` and whose last word was not a
    broker's."""
    last = _last_message(tenant_id).lateral("last")
    rows = await session.execute(
        select(Lead)
        .join(last, true())
        .where(
            *_reachable(tenant_id),  # type: ignore[arg-type]
            Lead.last_inbound_at < idle_since,
            last.c.role != "broker",
            _unfinished("reactivation", steps),
        )
        .order_by(Lead.last_inbound_at)
    )
    return [
        Candidate(lead, lead.last_inbound_at) for lead in rows.scalars() if lead.last_inbound_at
    ]


async def claimed_steps(
    session: AsyncSession, tenant_id: uuid.UUID, *, lead_id: uuid.UUID, kind: str, anchor: datetime
) -> list[PlannedMessage]:
    found = await session.execute(
        select(PlannedMessage)
        .where(
            PlannedMessage.tenant_id == tenant_id,
            PlannedMessage.lead_id == lead_id,
            PlannedMessage.kind == kind,
            PlannedMessage.anchor == anchor,
        )
        .order_by(PlannedMessage.step)
    )
    return list(found.scalars())


async def claim(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    lead_id: uuid.UUID,
    kind: str,
    anchor: datetime,
    step: int,
    values: dict[str, object],
) -> PlannedMessage | None:
    """Take the key (lead, kind, anchor, step); None when another worker or a person has it.

    A racing transaction waits on the unique index until the first one ends, then gets None.
    """
    statement = (
        insert(PlannedMessage)
        .values(
            id=uuid.uuid4(),
            tenant_id=tenant_id,
            lead_id=lead_id,
            kind=kind,
            anchor=anchor,
            step=step,
            **values,
        )
        .on_conflict_do_nothing(constraint="uq_planned_messages_key")
        .returning(PlannedMessage)
    )
    found = await session.execute(select(PlannedMessage).from_statement(statement))
    return found.scalar_one_or_none()


async def fresh_listings(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    filters: PropertyFilters,
    since: datetime,
    limit: int,
) -> list[Property]:
    """Matching listings added, or reduced in price, after ``since``; newest first."""
    newest = func.greatest(Property.created_at, func.coalesce(Property.price_reduced_at, since))
    found = await session.execute(
        select(Property)
        .where(
            *property_queries.conditions(tenant_id, filters),
            or_(Property.created_at > since, and_(Property.price_reduced_at > since)),
        )
        .order_by(newest.desc(), Property.code)
        .limit(limit)
    )
    return list(found.scalars())


async def planned_between(
    session: AsyncSession, tenant_id: uuid.UUID, *, start: datetime, end: datetime
) -> list[tuple[PlannedMessage, Lead]]:
    found = await session.execute(
        select(PlannedMessage, Lead)
        .join(Lead, Lead.id == PlannedMessage.lead_id)
        .where(
            PlannedMessage.tenant_id == tenant_id,
            Lead.tenant_id == tenant_id,
            PlannedMessage.created_at >= start,
            PlannedMessage.created_at < end,
        )
        .order_by(PlannedMessage.created_at.desc())
    )
    return [(planned, lead) for planned, lead in found.all()]


async def nudge_outcomes(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    since: datetime,
    answer_window: timedelta,
    opt_out_window: timedelta,
) -> tuple[int, int, int]:
    """Nudges sent since ``since``: how many, how many the lead answered within
    ``answer_window``, and after how many the lead opted out within ``opt_out_window``."""
    answered = (
        select(Message.id)
        .where(
            Message.tenant_id == tenant_id,
            Message.lead_id == PlannedMessage.lead_id,
            Message.role == "user",
            Message.created_at > PlannedMessage.created_at,
            Message.created_at <= PlannedMessage.created_at + answer_window,
        )
        .exists()
    )
    opted = and_(
        Lead.opted_out_at > PlannedMessage.created_at,
        Lead.opted_out_at <= PlannedMessage.created_at + opt_out_window,
    )
    row = (
        await session.execute(
            select(func.count(), func.count().filter(answered), func.count().filter(opted))
            .select_from(PlannedMessage)
            .join(Lead, Lead.id == PlannedMessage.lead_id)
            .where(
                PlannedMessage.tenant_id == tenant_id,
                PlannedMessage.status == "sent",
                PlannedMessage.created_at >= since,
            )
        )
    ).one()
    return int(row[0]), int(row[1]), int(row[2])
