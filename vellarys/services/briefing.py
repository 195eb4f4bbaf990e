"""The manager's morning briefing of one agency, built from yesterday's figures."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Tenant
from vellarys.db.queries import briefing as queries
from vellarys.domain import business_hours
from vellarys.domain.briefing import Briefing, BrokerDay, LeadLine, profile_line


async def build(session: AsyncSession, tenant: Tenant, *, now: datetime) -> Briefing:
    """Yesterday (midnight to midnight in the agency's zone) as seen at ``now``."""
    zone = business_hours.from_settings(tenant.settings or {}).zone
    today = now.astimezone(zone).date()
    end = datetime.combine(today, time(0), tzinfo=zone)
    start = end - timedelta(days=1)
    count, first_response = await queries.new_leads(session, tenant.id, start, end)
    hot = await queries.hot_leads(session, tenant.id, start, end)
    waiting = await queries.waiting(session, tenant.id, now)
    timings = await queries.handoff_timings(session, tenant.id, start, end)
    return Briefing(
        agency=tenant.name,
        day=start.date(),
        new_leads=count,
        hot_leads=tuple(_line(row, profile_line(row.profile)) for row in hot),
        waiting=tuple(
            _line(row, f"com {row.broker}" if row.broker else "sem corretor") for row in waiting
        ),
        first_response_seconds=first_response,
        brokers=_brokers(timings),
    )


def _line(row: queries.LeadRow, detail: str) -> LeadLine:
    return LeadLine(name=row.name or "Sem nome", phone=row.phone, detail=detail)


def _brokers(timings: list[queries.HandoffTiming]) -> tuple[BrokerDay, ...]:
    handoffs: dict[str, int] = defaultdict(int)
    answered: dict[str, list[float]] = defaultdict(list)
    for timing in timings:
        handoffs[timing.broker] += 1
        if timing.minutes is not None:
            answered[timing.broker].append(timing.minutes)
    return tuple(
        BrokerDay(name=name, handoffs=count, response_minutes=tuple(answered[name]))
        for name, count in sorted(handoffs.items())
    )
