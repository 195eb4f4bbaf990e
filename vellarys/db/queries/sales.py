"""Sales figures for the overview: stage reach, won value, per-broker response and wins.

Every query starts from the tenant; lead figures from ``visible_leads`` (a broker's own and
the queue, or all of the agency's for admins and managers).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Lead, Opportunity


async def stage_counts(session: AsyncSession, visible: ColumnElement[bool]) -> dict[str, int]:
    found = await session.execute(
        select(Lead.stage, func.count())
        .where(visible, Lead.erased_at.is_(None))
        .group_by(Lead.stage)
    )
    return {str(row[0]): int(row[1]) for row in found.all()}


async def won_value(
    session: AsyncSession, visible: ColumnElement[bool], tenant_id: uuid.UUID, since: datetime
) -> tuple[Decimal, int]:
    """Sum and count of the opportunities won since ``since`` on visible leads."""
    found = await session.execute(
        select(func.coalesce(func.sum(Opportunity.value), 0), func.count())
        .join(Lead, Lead.id == Opportunity.lead_id)
        .where(
            visible,
            Opportunity.tenant_id == tenant_id,
            Opportunity.stage == "won",
            Opportunity.closed_at >= since,
        )
    )
    total, count = found.one()
    return Decimal(total or 0), int(count)


@dataclass(frozen=True, slots=True)
class BrokerFigures:
    user_id: uuid.UUID
    name: str
    role: str
    handoffs: int
    answered: int
    median_response_seconds: float | None
    won: int
    won_value: Decimal


# One round trip: per active staff member, the handoffs they got in [:since, :until), how many they
# answered (a broker message on the lead after the handoff) and the median time to it; the
# opportunities won in that span on leads assigned to them (no :until: up to now).
_PER_BROKER = text(
    """
    WITH answered AS (
        SELECT h.user_id, h.id,
               EXTRACT(EPOCH FROM (
                   SELECT min(m.created_at) FROM messages m
                   WHERE m.tenant_id = h.tenant_id AND m.lead_id = h.lead_id
                     AND m.role = 'broker' AND m.created_at >= h.created_at
               ) - h.created_at) AS seconds
        FROM handoffs h
        WHERE h.tenant_id = :tenant AND h.user_id IS NOT NULL AND h.created_at >= :since
          AND h.created_at < coalesce(CAST(:until AS timestamptz), 'infinity')
    ), wins AS (
        SELECT l.assigned_user_id AS user_id, count(*) AS won, sum(o.value) AS value
        FROM opportunities o JOIN leads l ON l.id = o.lead_id AND l.tenant_id = o.tenant_id
        WHERE o.tenant_id = :tenant AND o.stage = 'won' AND o.closed_at >= :since
          AND o.closed_at < coalesce(CAST(:until AS timestamptz), 'infinity')
        GROUP BY l.assigned_user_id
    )
    SELECT u.id, u.name, u.role,
           (SELECT count(*) FROM answered a WHERE a.user_id = u.id),
           (SELECT count(a.seconds) FROM answered a WHERE a.user_id = u.id),
           (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY a.seconds)
              FROM answered a WHERE a.user_id = u.id AND a.seconds IS NOT NULL),
           coalesce(w.won, 0), coalesce(w.value, 0)
    FROM users u LEFT JOIN wins w ON w.user_id = u.id
    WHERE u.tenant_id = :tenant AND u.active AND u.role IN ('broker', 'manager')
    ORDER BY u.name
    """
)


async def per_broker(
    session: AsyncSession, tenant_id: uuid.UUID, since: datetime, until: datetime | None = None
) -> list[BrokerFigures]:
    found = await session.execute(
        _PER_BROKER, {"tenant": tenant_id, "since": since, "until": until}
    )
    return [
        BrokerFigures(
            user_id=row[0],
            name=row[1],
            role=row[2],
            handoffs=int(row[3]),
            answered=int(row[4]),
            median_response_seconds=None if row[5] is None else float(row[5]),
            won=int(row[6]),
            won_value=Decimal(row[7]),
        )
        for row in found.all()
    ]
