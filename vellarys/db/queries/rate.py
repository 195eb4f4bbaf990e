"""Per-minute message counters (``message_rates``), shared by every API process."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.domain.rate_limit import MinuteCounts

AGENCY = "agency"
WINDOW_SECONDS = 60

# The agency's row first, always: concurrent webhooks lock the rows in the same order.
_COUNT = text(
    """
    INSERT INTO message_rates AS r (tenant_id, scope, window_start, count)
    VALUES (:tenant_id, 'agency', date_trunc('minute', now()), 1),
           (:tenant_id, :lead_scope, date_trunc('minute', now()), 1)
    ON CONFLICT (tenant_id, scope, window_start) DO UPDATE SET count = r.count + 1
    RETURNING scope, count, window_start
    """
)

_ONCE = text(
    """
    INSERT INTO message_rates AS r (tenant_id, scope, window_start, count)
    VALUES (:tenant_id, :scope, date_trunc('minute', now()), 1)
    ON CONFLICT (tenant_id, scope, window_start) DO UPDATE SET count = r.count + 1
    RETURNING count
    """
)


def lead_scope(lead_id: uuid.UUID) -> str:
    return f"lead:{lead_id}"


async def count_message(
    session: AsyncSession, *, tenant_id: uuid.UUID, lead_id: uuid.UUID
) -> tuple[MinuteCounts, datetime]:
    """Count one inbound message for its agency and its lead; the counts and the window's start."""
    rows = (
        await session.execute(_COUNT, {"tenant_id": tenant_id, "lead_scope": lead_scope(lead_id)})
    ).all()
    counts = {scope: int(count) for scope, count, _ in rows}
    window_start: datetime = rows[0][2]
    return MinuteCounts(counts[AGENCY], counts[lead_scope(lead_id)]), window_start


async def first_in_window(session: AsyncSession, *, tenant_id: uuid.UUID, scope: str) -> bool:
    """True the first time ``scope`` is counted in the current minute (e.g. one notice)."""
    found = await session.execute(_ONCE, {"tenant_id": tenant_id, "scope": scope})
    return int(found.scalar_one()) == 1


async def prune(session: AsyncSession, *, keep_minutes: int = 10) -> int:
    """Delete the counters of windows long over (deployment-wide maintenance)."""
    found = await session.execute(
        text(
            "DELETE FROM message_rates WHERE window_start < now() - make_interval(mins => :m) "
            "RETURNING 1"
        ),
        {"m": keep_minutes},
    )
    return len(found.all())
