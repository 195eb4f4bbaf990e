"""What the dashboard reads: overview figures and the parts of a lead's page.

(The leads list itself is ``services.leads.search_leads``, shared with the REST API.)
Every query starts from the tenant, and lead queries from ``visible_leads``: a broker sees
the leads assigned to them plus the unassigned queue; an admin sees all of the agency's.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Date, and_, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import (
    Channel,
    Handoff,
    KnowledgeDocument,
    Lead,
    LeadNote,
    Message,
    Property,
    User,
)
from vellarys.db.queries.lead_search import visible


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose view a query is for."""

    tenant_id: uuid.UUID
    user_id: uuid.UUID
    admin: bool


def visible_leads(scope: Scope) -> ColumnElement[bool]:
    return and_(*visible(scope.tenant_id, None if scope.admin else scope.user_id))


async def custom_keys(session: AsyncSession, scope: Scope) -> list[str]:
    """The ``custom_data`` keys the agency's leads have, for the filter form."""
    keys = func.jsonb_object_keys(Lead.custom_data).label("key")
    found = await session.execute(
        select(keys).where(visible_leads(scope)).distinct().order_by("key")
    )
    return [str(k) for k in found.scalars()]


async def staff(
    session: AsyncSession, tenant_id: uuid.UUID, *, active_only: bool = True
) -> list[User]:
    statement = select(User).where(User.tenant_id == tenant_id).order_by(User.name)
    if active_only:
        statement = statement.where(User.active)
    return list((await session.execute(statement)).scalars())


async def channels(session: AsyncSession, tenant_id: uuid.UUID) -> list[Channel]:
    found = await session.execute(
        select(Channel).where(Channel.tenant_id == tenant_id).order_by(Channel.created_at)
    )
    return list(found.scalars())


async def conversation(
    session: AsyncSession, tenant_id: uuid.UUID, lead_id: uuid.UUID, *, limit: int = 300
) -> list[Message]:
    """The lead's last ``limit`` messages, oldest first."""
    found = await session.execute(
        select(Message)
        .where(Message.tenant_id == tenant_id, Message.lead_id == lead_id)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(limit)
        .execution_options(populate_existing=True)
    )
    return list(reversed(found.scalars().all()))


async def handoffs(
    session: AsyncSession, tenant_id: uuid.UUID, lead_id: uuid.UUID
) -> list[tuple[Handoff, str | None]]:
    found = await session.execute(
        select(Handoff, User.name)
        .outerjoin(User, and_(User.id == Handoff.user_id, User.tenant_id == Handoff.tenant_id))
        .where(Handoff.tenant_id == tenant_id, Handoff.lead_id == lead_id)
        .order_by(Handoff.created_at.desc())
    )
    return [(row[0], row[1]) for row in found.all()]


async def notes(
    session: AsyncSession, tenant_id: uuid.UUID, lead_id: uuid.UUID
) -> list[tuple[LeadNote, str | None]]:
    found = await session.execute(
        select(LeadNote, User.name)
        .outerjoin(User, and_(User.id == LeadNote.user_id, User.tenant_id == LeadNote.tenant_id))
        .where(LeadNote.tenant_id == tenant_id, LeadNote.lead_id == lead_id)
        .order_by(LeadNote.created_at.desc())
    )
    return [(row[0], row[1]) for row in found.all()]


async def properties_by_code(
    session: AsyncSession, tenant_id: uuid.UUID, codes: Sequence[str]
) -> list[Property]:
    if not codes:
        return []
    found = await session.execute(
        select(Property).where(Property.tenant_id == tenant_id, Property.code.in_(list(codes)))
    )
    by_code = {p.code: p for p in found.scalars()}
    return [by_code[c] for c in codes if c in by_code]


@dataclass(frozen=True, slots=True)
class OverviewCounts:
    per_day: list[tuple[date, int]]
    temperatures: dict[str, int]
    stages: dict[str, int]
    median_first_response: float | None
    handoffs_open: int
    handoffs_period: int
    messages_today: int
    leads_total: int


async def overview(
    session: AsyncSession, scope: Scope, *, tz: str, today: date, days: int
) -> OverviewCounts:
    """The overview figures in four sequential round trips (one session, one query at a time)."""
    start = date.fromordinal(today.toordinal() - days + 1)
    visible = visible_leads(scope)
    per_day = await _leads_per_day(session, visible, tz=tz, start=start, today=today)
    temperatures = await _group_count(session, Lead.temperature, visible)
    stages = await _group_count(session, Lead.stage, visible)
    figures = await session.execute(
        select(
            select(func.percentile_cont(0.5).within_group(Lead.first_response_seconds))
            .where(visible)
            .scalar_subquery(),
            select(func.count())
            .select_from(Handoff)
            .join(Lead, Lead.id == Handoff.lead_id)
            .where(visible, Handoff.tenant_id == scope.tenant_id, Handoff.status == "open")
            .scalar_subquery(),
            select(func.count())
            .select_from(Handoff)
            .join(Lead, Lead.id == Handoff.lead_id)
            .where(
                visible,
                Handoff.tenant_id == scope.tenant_id,
                cast(func.timezone(tz, Handoff.created_at), Date) >= start,
            )
            .scalar_subquery(),
            select(func.count())
            .select_from(Message)
            .join(Lead, Lead.id == Message.lead_id)
            .where(
                visible,
                Message.tenant_id == scope.tenant_id,
                cast(func.timezone(tz, Message.created_at), Date) == today,
            )
            .scalar_subquery(),
        )
    )
    median, open_handoffs, period_handoffs, today_messages = figures.one()
    return OverviewCounts(
        per_day=per_day,
        temperatures=temperatures,
        stages=stages,
        median_first_response=float(median) if median is not None else None,
        handoffs_open=int(open_handoffs),
        handoffs_period=int(period_handoffs),
        messages_today=int(today_messages),
        leads_total=sum(stages.values()),
    )


async def _leads_per_day(
    session: AsyncSession, visible: ColumnElement[bool], *, tz: str, start: date, today: date
) -> list[tuple[date, int]]:
    day = cast(func.timezone(tz, Lead.created_at), Date).label("day")
    found = await session.execute(
        select(day, func.count()).where(visible, day >= start, day <= today).group_by(day)
    )
    counts = {row[0]: int(row[1]) for row in found.all()}
    return [
        (d, counts.get(d, 0))
        for d in (date.fromordinal(n) for n in range(start.toordinal(), today.toordinal() + 1))
    ]


async def _group_count(
    session: AsyncSession, column: Any, visible: ColumnElement[bool]
) -> dict[str, int]:
    found = await session.execute(select(column, func.count()).where(visible).group_by(column))
    return {str(row[0]): int(row[1]) for row in found.all()}


async def lead_by_phone(session: AsyncSession, tenant_id: uuid.UUID, phone: str) -> Lead | None:
    found = await session.execute(
        select(Lead)
        .where(Lead.tenant_id == tenant_id, Lead.phone == phone)
        .execution_options(populate_existing=True)
    )
    return found.scalar_one_or_none()


async def documents(session: AsyncSession, tenant_id: uuid.UUID) -> list[KnowledgeDocument]:
    found = await session.execute(
        select(KnowledgeDocument)
        .where(KnowledgeDocument.tenant_id == tenant_id)
        .order_by(KnowledgeDocument.created_at.desc())
    )
    return list(found.scalars())
