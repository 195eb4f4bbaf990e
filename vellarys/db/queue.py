"""Enqueue jobs inside the caller's transaction.

procrastinate's own ``defer_async`` uses a connection of its own, so a job could
outlive a rolled-back message. Calling its SQL function on our session makes the
job and the data it is about commit (or vanish) together.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

HANDLE_INBOUND = "vellarys:handle_inbound"
FETCH_MEDIA = "vellarys:fetch_media"
SEND_OUTBOUND = "vellarys:send_outbound"
NOTIFY_BROKER = "vellarys:notify_broker"
SUMMARIZE_LEAD = "vellarys:summarize_lead"
INDEX_DOCUMENT = "vellarys:index_document"
INDEX_PROPERTIES = "vellarys:index_properties"

PIPELINE_QUEUE = "pipeline"
OUTBOUND_QUEUE = "outbound"

_DEFER = text(
    """
    SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW(
        CAST(:queue AS varchar), CAST(:task AS varchar), CAST(:priority AS integer),
        CAST(:lock AS text), CAST(:queueing_lock AS text), CAST(:args AS jsonb),
        CAST(:scheduled_at AS timestamptz)
    )]::procrastinate_job_to_defer_v1[]))
    """
)


async def defer(
    session: AsyncSession,
    *,
    task: str,
    queue: str,
    args: Mapping[str, Any],
    lock: str | None = None,
    queueing_lock: str | None = None,
    scheduled_at: datetime | None = None,
    priority: int = 0,
) -> int:
    """Insert one job in the current transaction and return its id."""
    job_id = await session.execute(
        _DEFER,
        {
            "queue": queue,
            "task": task,
            "priority": priority,
            "lock": lock,
            "queueing_lock": queueing_lock,
            "args": json.dumps(dict(args)),
            "scheduled_at": scheduled_at,
        },
    )
    return int(job_id.scalar_one())


def lead_lock(lead_id: object) -> str:
    """Jobs about one lead's inbound messages run one at a time, in order."""
    return f"lead:{lead_id}"


def send_lock(lead_id: object) -> str:
    """Sends to one lead go one at a time, in order, without blocking the lead's inbound jobs."""
    return f"send:{lead_id}"
