"""Per-minute message counters (``message_rates``), shared by every API process."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.domain.rate_limit import AGENCY_LIMIT_KEY, LEAD_LIMIT_KEY, MinuteCounts

WINDOW_SECONDS = 60
# An agency's minute is counted on this many rows, a lead always on the same one, so that the
# webhooks of different leads do not queue behind one row lock until each commits (measured:
# at 5 webhooks/s on a loaded machine, one row made webhook transactions wait seconds).
AGENCY_SHARDS = 8
_SHARDS = [f"agency:{n}" for n in range(AGENCY_SHARDS)]

# The agency's shard first, always: concurrent webhooks lock the rows in the same order. The
# other shards are read without a lock (a count a few messages behind is fine for a limit),
# and the agency's own limits (its settings) come back in the same round trip.
_COUNT = text(
    """
    WITH counted AS (
        INSERT INTO message_rates AS r (tenant_id, scope, window_start, count)
        VALUES (:tenant_id, :agency_scope, date_trunc('minute', now()), 1),
               (:tenant_id, :lead_scope, date_trunc('minute', now()), 1)
        ON CONFLICT (tenant_id, scope, window_start) DO UPDATE SET count = r.count + 1
        RETURNING scope, count, window_start
    ), others AS (
        SELECT coalesce(sum(count), 0) AS n FROM message_rates
        WHERE tenant_id = :tenant_id AND window_start = date_trunc('minute', now())
          AND scope = ANY(CAST(:shards AS text[])) AND scope <> :agency_scope
    )
    SELECT c.scope, c.count + CASE WHEN c.scope = :agency_scope THEN o.n ELSE 0 END,
           c.window_start,
           jsonb_build_object(
               CAST(:lead_key AS text), t.settings -> CAST(:lead_key AS text),
               CAST(:agency_key AS text), t.settings -> CAST(:agency_key AS text))
    FROM counted c CROSS JOIN others o JOIN tenants t ON t.id = :tenant_id
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


def agency_scope(lead_id: uuid.UUID) -> str:
    """The row of the agency's minute this lead's messages are counted on."""
    return _SHARDS[lead_id.int % AGENCY_SHARDS]


@dataclass(frozen=True, slots=True)
class Counted:
    """One message counted: the minute's counts, the window's start and the agency's own
    limit settings (``agency_limits`` reads them)."""

    counts: MinuteCounts
    window_start: datetime
    own_limits: dict[str, Any]


async def count_message(
    session: AsyncSession, *, tenant_id: uuid.UUID, lead_id: uuid.UUID
) -> Counted:
    """Count one inbound message for its agency and its lead."""
    params = {
        "tenant_id": tenant_id,
        "lead_scope": lead_scope(lead_id),
        "agency_scope": agency_scope(lead_id),
        "shards": _SHARDS,
        "lead_key": LEAD_LIMIT_KEY,
        "agency_key": AGENCY_LIMIT_KEY,
    }
    rows = (await session.execute(_COUNT, params)).all()
    counts = {scope: int(count) for scope, count, _, _ in rows}
    return Counted(
        MinuteCounts(counts[agency_scope(lead_id)], counts[lead_scope(lead_id)]),
        rows[0][2],
        dict(rows[0][3] or {}),
    )


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
