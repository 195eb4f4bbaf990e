"""Sweeps that put stuck work back on its way."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.queries import message as message_queries
from vellarys.services.outbound import enqueue_send


async def requeue_stuck_outbound(session: AsyncSession, *, older_than: datetime) -> int:
    """Enqueue a send for every pending outbound message older than ``older_than`` with no job.

    This sweep spans all tenants on purpose: it is maintenance, and each job it creates
    carries only a message id whose row names its tenant.
    """
    stuck = await message_queries.stuck_outbound(session, older_than=older_than)
    for message in stuck:
        await enqueue_send(session, message)
    return len(stuck)
