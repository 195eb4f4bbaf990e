"""The managers' report: leads, visits, answer times and wins of one agency in [start, end).

Every query names the tenant; leads erased under LGPD are left out.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import AgencyGoal, BrokerGoal, Lead, Opportunity, User, Visit

NO_BROKER = "Sem corretor"


def _new_leads(tenant_id: uuid.UUID, start: datetime, end: datetime) -> list[ColumnElement[bool]]:
    return [
        Lead.tenant_id == tenant_id,
        Lead.created_at >= start,
        Lead.created_at < end,
        Lead.erased_at.is_(None),
    ]


async def leads_by(
    session: AsyncSession, tenant_id: uuid.UUID, start: datetime, end: datetime, column: Any
) -> list[tuple[str, int]]:
    """New leads of the period counted by ``column`` (source or stage), largest first."""
    found = await session.execute(
        select(column, func.count())
        .where(*_new_leads(tenant_id, start, end))
        .group_by(column)
        .order_by(func.count().desc(), column)
    )
    return [(str(key), int(count)) for key, count in found.all()]


async def leads_by_broker(
    session: AsyncSession, tenant_id: uuid.UUID, start: datetime, end: datetime
) -> list[tuple[str, int]]:
    """New leads of the period by the broker they are assigned to."""
    name = func.coalesce(User.name, NO_BROKER)
    found = await session.execute(
        select(name, func.count())
        .select_from(Lead)
        .outerjoin(User, (User.id == Lead.assigned_user_id) & (User.tenant_id == tenant_id))
        .where(*_new_leads(tenant_id, start, end))
        .group_by(name)
        .order_by(func.count().desc(), name)
    )
    return [(str(key), int(count)) for key, count in found.all()]


async def lead_figures(
    session: AsyncSession, tenant_id: uuid.UUID, start: datetime, end: datetime
) -> tuple[int, int, float | None, float | None]:
    """New leads, how many of them are won, and the median and 90th percentile of the
    assistant's first reply (seconds)."""
    seconds = Lead.first_response_seconds
    found = await session.execute(
        select(
            func.count(),
            func.count().filter(Lead.stage == "won"),
            func.percentile_cont(0.5).within_group(seconds),
            func.percentile_cont(0.9).within_group(seconds),
        ).where(*_new_leads(tenant_id, start, end))
    )
    count, won, median, p90 = found.one()
    return (
        int(count),
        int(won),
        None if median is None else float(median),
        None if p90 is None else float(p90),
    )


async def visit_counts(
    session: AsyncSession, tenant_id: uuid.UUID, start: datetime, end: datetime
) -> dict[str, int]:
    """Visits starting in the period: booked (any status but a bare proposal) and by status."""
    found = await session.execute(
        select(Visit.status, func.count())
        .join(Lead, (Lead.id == Visit.lead_id) & (Lead.tenant_id == tenant_id))
        .where(
            Visit.tenant_id == tenant_id,
            Visit.starts_at >= start,
            Visit.starts_at < end,
            Visit.status != "proposed",
            Lead.erased_at.is_(None),
        )
        .group_by(Visit.status)
    )
    by_status = {str(status): int(count) for status, count in found.all()}
    return {
        "booked": sum(by_status.values()),
        "upcoming": by_status.get("scheduled", 0) + by_status.get("confirmed", 0),
        "done": by_status.get("done", 0),
        "no_show": by_status.get("no_show", 0),
        "cancelled": by_status.get("cancelled", 0),
    }


async def won_deals(
    session: AsyncSession, tenant_id: uuid.UUID, start: datetime, end: datetime
) -> tuple[int, Decimal]:
    """Opportunities closed as won in the period: how many and their value."""
    found = await session.execute(
        select(func.count(), func.coalesce(func.sum(Opportunity.value), 0))
        .join(Lead, (Lead.id == Opportunity.lead_id) & (Lead.tenant_id == tenant_id))
        .where(
            Opportunity.tenant_id == tenant_id,
            Opportunity.stage == "won",
            Opportunity.closed_at >= start,
            Opportunity.closed_at < end,
        )
    )
    count, value = found.one()
    return int(count), Decimal(value or 0)


async def visits_done_by_broker(
    session: AsyncSession, tenant_id: uuid.UUID, start: datetime, end: datetime
) -> dict[uuid.UUID, int]:
    found = await session.execute(
        select(Visit.user_id, func.count())
        .where(
            Visit.tenant_id == tenant_id,
            Visit.status == "done",
            Visit.user_id.is_not(None),
            Visit.starts_at >= start,
            Visit.starts_at < end,
        )
        .group_by(Visit.user_id)
    )
    return {user_id: int(count) for user_id, count in found.all() if user_id is not None}


async def goals(
    session: AsyncSession, tenant_id: uuid.UUID, month: date
) -> dict[uuid.UUID, BrokerGoal]:
    found = await session.execute(
        select(BrokerGoal).where(BrokerGoal.tenant_id == tenant_id, BrokerGoal.month == month)
    )
    return {goal.user_id: goal for goal in found.scalars()}


async def set_goal(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    user_id: uuid.UUID,
    month: date,
    visits: int,
    won: int,
) -> None:
    """Insert or replace the broker's goals for the month."""
    statement = insert(BrokerGoal).values(
        id=uuid.uuid4(), tenant_id=tenant_id, user_id=user_id, month=month, visits=visits, won=won
    )
    await session.execute(
        statement.on_conflict_do_update(
            constraint="uq_broker_goals_month",
            set_={"visits": visits, "won": won, "updated_at": func.now()},
        )
    )


async def agency_goal(
    session: AsyncSession, tenant_id: uuid.UUID, month: date
) -> AgencyGoal | None:
    found = await session.execute(
        select(AgencyGoal).where(AgencyGoal.tenant_id == tenant_id, AgencyGoal.month == month)
    )
    return found.scalar_one_or_none()


async def set_agency_goal(
    session: AsyncSession, tenant_id: uuid.UUID, *, month: date, leads: int, visits: int, won: int
) -> None:
    """Insert or replace the agency's goals for the month."""
    values = {"leads": leads, "visits": visits, "won": won}
    statement = insert(AgencyGoal).values(
        id=uuid.uuid4(), tenant_id=tenant_id, month=month, **values
    )
    await session.execute(
        statement.on_conflict_do_update(
            constraint="uq_agency_goals_month", set_={**values, "updated_at": func.now()}
        )
    )
