"""Typed job helpers: one function per job kind, deferred inside the caller's transaction.

procrastinate's own ``defer_async`` uses a connection of its own, so a job could
outlive a rolled-back message. Calling its SQL function on our session makes the
job and the data it is about commit (or vanish) together. Every task and queue name
is written here once; ``worker/tasks.py`` registers the functions under these names.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

NAMESPACE = "vellarys"

# Task names (without the namespace procrastinate prefixes them with).
HANDLE_INBOUND = "handle_inbound"
FETCH_MEDIA = "fetch_media"
ANSWER_BACKLOG = "answer_backlog"
SEND_OUTBOUND = "send_outbound"
NOTIFY_BROKER = "notify_broker"
NOTIFY_MANAGER = "notify_manager"
NOTIFY_VISIT = "notify_visit"
SEND_PUSH = "send_push"
SEND_BRIEFING = "send_briefing_whatsapp"
SUMMARIZE_LEAD = "summarize_lead"
INDEX_DOCUMENT = "index_document"
INDEX_PROPERTIES = "index_properties"
DELIVER_WEBHOOK = "deliver_webhook"
ERASE_AFTER_NOTICE = "erase_lead_after_notice"

# Queues. Sends have their own, served by their own slots: a slow brain never delays a send.
PIPELINE_QUEUE = "pipeline"
OUTBOUND_QUEUE = "outbound"
INDEXING_QUEUE = "indexing"
MAINTENANCE_QUEUE = "maintenance"
# Agencies' webhook receivers: a slow one never delays a lead's answer or a send.
WEBHOOKS_QUEUE = "webhooks"
WORK_QUEUES = (PIPELINE_QUEUE, INDEXING_QUEUE, MAINTENANCE_QUEUE, WEBHOOKS_QUEUE)
# Each `vellarys worker` process runs one queue worker on WORK_QUEUES and one on OUTBOUND_QUEUE,
# each with its own heartbeat row.
QUEUE_WORKERS_PER_PROCESS = 2

_DEFER = text(
    """
    SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW(
        CAST(:queue AS varchar), CAST(:task AS varchar), CAST(:priority AS integer),
        CAST(:lock AS text), CAST(:queueing_lock AS text), CAST(:args AS jsonb),
        CAST(:scheduled_at AS timestamptz)
    )]::procrastinate_job_to_defer_v1[]))
    """
)


def task_name(task: str) -> str:
    """The name procrastinate stores for one of our tasks."""
    return f"{NAMESPACE}:{task}"


async def _defer(
    session: AsyncSession,
    *,
    task: str,
    queue: str,
    args: Mapping[str, Any],
    lock: str | None = None,
    scheduled_at: datetime | None = None,
    priority: int = 0,
) -> int:
    job_id = await session.execute(
        _DEFER,
        {
            "queue": queue,
            "task": task_name(task),
            "priority": priority,
            "lock": lock,
            "queueing_lock": None,
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


async def defer_handle_inbound(
    session: AsyncSession,
    *,
    message_id: uuid.UUID,
    lead_id: uuid.UUID,
    run_at: datetime,
    priority: int = 0,
) -> int:
    """Answer an inbound message (or its burst) at ``run_at``; ``priority`` keeps agencies fair."""
    return await _defer(
        session,
        task=HANDLE_INBOUND,
        queue=PIPELINE_QUEUE,
        args={"message_id": str(message_id)},
        lock=lead_lock(lead_id),
        scheduled_at=run_at,
        priority=priority,
    )


async def defer_fetch_media(
    session: AsyncSession,
    *,
    message_id: uuid.UUID,
    lead_id: uuid.UUID,
    run_at: datetime,
    priority: int = 0,
) -> int:
    """Download and read the file of an inbound message; that job then queues the answer."""
    return await _defer(
        session,
        task=FETCH_MEDIA,
        queue=PIPELINE_QUEUE,
        args={"message_id": str(message_id)},
        lock=lead_lock(lead_id),
        scheduled_at=run_at,
        priority=priority,
    )


async def defer_answer_backlog(
    session: AsyncSession, *, lead_id: uuid.UUID, run_at: datetime, priority: int = 0
) -> int:
    """Answer whatever a rate-limited lead wrote, once its window is over."""
    return await _defer(
        session,
        task=ANSWER_BACKLOG,
        queue=PIPELINE_QUEUE,
        args={"lead_id": str(lead_id)},
        lock=lead_lock(lead_id),
        scheduled_at=run_at,
        priority=priority,
    )


# A reply's first part goes ahead of other replies' later parts: they are paced anyway, while
# the first part is what the lead is waiting for (measured: with multi-part replies at 5 new
# leads/s, first parts queued behind later ones for tens of seconds).
FIRST_PART_PRIORITY = 1


async def defer_send(
    session: AsyncSession,
    *,
    message_id: uuid.UUID,
    lead_id: uuid.UUID,
    run_at: datetime | None,
    priority: int = 0,
) -> int:
    """Send one outbound message at ``run_at`` (the lead's pace), after the lead's earlier ones."""
    return await _defer(
        session,
        task=SEND_OUTBOUND,
        queue=OUTBOUND_QUEUE,
        args={"message_id": str(message_id)},
        lock=send_lock(lead_id),
        scheduled_at=run_at,
        priority=priority,
    )


@dataclass(frozen=True, slots=True)
class Send:
    """One send job of a reply: its message, ``delay_seconds`` after now (the database's
    clock), ahead of later parts when ``first``."""

    message_id: uuid.UUID
    lead_id: uuid.UUID
    delay_seconds: float = 0.0
    first: bool = False


@dataclass(frozen=True, slots=True)
class Job:
    """A job to defer in a statement that also does something else (``defer_rows``)."""

    queue: str
    task: str
    args: Mapping[str, Any]
    lock: str | None = None
    priority: int = 0
    delay_seconds: float = 0.0  # after now (the database's clock)


def send_jobs(sends: Sequence[Send]) -> list[Job]:
    """The send jobs of one reply's parts, as ``defer_sends`` defers them."""
    return [
        Job(
            queue=OUTBOUND_QUEUE,
            task=SEND_OUTBOUND,
            args={"message_id": str(send.message_id)},
            lock=send_lock(send.lead_id),
            priority=FIRST_PART_PRIORITY if send.first else 0,
            delay_seconds=send.delay_seconds,
        )
        for send in sends
    ]


def summarize_job(*, lead_id: uuid.UUID, tenant_id: uuid.UUID) -> Job:
    """``defer_summarize_lead``'s job."""
    args = {"lead_id": str(lead_id), "tenant_id": str(tenant_id)}
    return Job(queue=PIPELINE_QUEUE, task=SUMMARIZE_LEAD, args=args, lock=lead_lock(lead_id))


def defer_rows(jobs: Sequence[Job], prefix: str = "job") -> tuple[str, dict[str, Any]]:
    """SQL calling ``procrastinate_defer_jobs_v1`` for ``jobs`` (their ids, an array, in
    order), and its parameters (named ``prefix``...)."""
    rows: list[str] = []
    params: dict[str, Any] = {}
    for n, job in enumerate(jobs):
        name = f"{prefix}{n}_"
        rows.append(
            f"ROW(CAST(:{name}queue AS varchar), CAST(:{name}task AS varchar),"
            f" CAST(:{name}priority AS integer), CAST(:{name}lock AS text), NULL::text,"
            f" CAST(:{name}args AS jsonb), CASE WHEN CAST(:{name}delay AS float8) > 0"
            f" THEN now() + make_interval(secs => CAST(:{name}delay AS float8)) END)"
        )
        params |= {
            f"{name}queue": job.queue,
            f"{name}task": task_name(job.task),
            f"{name}priority": job.priority,
            f"{name}lock": job.lock,
            f"{name}args": json.dumps(dict(job.args)),
            f"{name}delay": float(job.delay_seconds),
        }
    sql = f"procrastinate_defer_jobs_v1(ARRAY[{', '.join(rows)}]::procrastinate_job_to_defer_v1[])"
    return sql, params


async def defer_sends(session: AsyncSession, sends: Sequence[Send]) -> list[int]:
    """The send jobs of one reply's parts, in one trip (``defer_send`` for each, in order)."""
    if not sends:
        return []
    deferred, params = defer_rows(send_jobs(sends))
    statement = text(f"SELECT unnest({deferred})")
    return [int(job) for job in (await session.execute(statement, params)).scalars()]


async def defer_erase_after_notice(
    session: AsyncSession, *, request_id: uuid.UUID, lead_id: uuid.UUID
) -> int:
    """Erase a lead once the messages queued to it before this job are sent: the job holds
    the lead's send lock, so it runs after the goodbye that tells the lead."""
    return await _defer(
        session,
        task=ERASE_AFTER_NOTICE,
        queue=OUTBOUND_QUEUE,
        args={"request_id": str(request_id)},
        lock=send_lock(lead_id),
    )


async def defer_notify_broker(
    session: AsyncSession, *, handoff_id: uuid.UUID, run_at: datetime | None = None
) -> int:
    """Tell the broker about a handoff at ``run_at`` (business hours) or at once."""
    return await _defer(
        session,
        task=NOTIFY_BROKER,
        queue=OUTBOUND_QUEUE,
        args={"handoff_id": str(handoff_id)},
        scheduled_at=run_at,
    )


async def defer_notify_manager(session: AsyncSession, *, notification_id: uuid.UUID) -> int:
    """Send an alert to an agency manager on WhatsApp."""
    return await _defer(
        session,
        task=NOTIFY_MANAGER,
        queue=OUTBOUND_QUEUE,
        args={"notification_id": str(notification_id)},
    )


async def defer_send_briefing(session: AsyncSession, *, message_id: uuid.UUID) -> int:
    """Send one manager the morning briefing on WhatsApp."""
    return await _defer(
        session,
        task=SEND_BRIEFING,
        queue=OUTBOUND_QUEUE,
        args={"message_id": str(message_id)},
    )


async def defer_notify_visit(
    session: AsyncSession, *, reminder_id: uuid.UUID, run_at: datetime | None = None
) -> int:
    """Tell a broker on WhatsApp about a visit (booked, moved, cancelled, or a reminder)."""
    return await _defer(
        session,
        task=NOTIFY_VISIT,
        queue=OUTBOUND_QUEUE,
        args={"reminder_id": str(reminder_id)},
        scheduled_at=run_at,
    )


async def defer_send_push(
    session: AsyncSession, *, notification_id: uuid.UUID, run_at: datetime | None = None
) -> int:
    """Push an alert to its user's devices (web push)."""
    return await _defer(
        session,
        task=SEND_PUSH,
        queue=OUTBOUND_QUEUE,
        args={"notification_id": str(notification_id)},
        scheduled_at=run_at,
    )


async def defer_deliver_webhook(
    session: AsyncSession, *, delivery_id: uuid.UUID, run_at: datetime | None = None
) -> int:
    """POST one event to one agency endpoint (retried by the job with backoff)."""
    return await _defer(
        session,
        task=DELIVER_WEBHOOK,
        queue=WEBHOOKS_QUEUE,
        args={"delivery_id": str(delivery_id)},
        scheduled_at=run_at,
    )


async def defer_summarize_lead(
    session: AsyncSession, *, lead_id: uuid.UUID, tenant_id: uuid.UUID
) -> int:
    return await _defer(
        session,
        task=SUMMARIZE_LEAD,
        queue=PIPELINE_QUEUE,
        args={"lead_id": str(lead_id), "tenant_id": str(tenant_id)},
        lock=lead_lock(lead_id),
    )


def index_lock(tenant_id: object) -> str:
    """An agency's indexing jobs run one at a time: two of them upserting the same embedding
    rows wait on each other's row locks until the statement timeout cancels one."""
    return f"index:{tenant_id}"


async def defer_index_document(
    session: AsyncSession, *, tenant_id: uuid.UUID, document_id: uuid.UUID
) -> int:
    return await _defer(
        session,
        task=INDEX_DOCUMENT,
        queue=INDEXING_QUEUE,
        args={"tenant_id": str(tenant_id), "document_id": str(document_id)},
        lock=index_lock(tenant_id),
    )


async def defer_index_properties(session: AsyncSession, *, tenant_id: uuid.UUID) -> int:
    return await _defer(
        session,
        task=INDEX_PROPERTIES,
        queue=INDEXING_QUEUE,
        args={"tenant_id": str(tenant_id)},
        lock=index_lock(tenant_id),
    )


_INDEXING = text(
    "SELECT DISTINCT lock FROM procrastinate_jobs "
    "WHERE status IN ('todo', 'doing') AND lock LIKE 'index:%'"
)


async def tenants_being_indexed(session: AsyncSession) -> set[str]:
    """The agencies (ids as text) with an indexing job waiting or running."""
    locks = (await session.execute(_INDEXING)).scalars()
    return {lock.removeprefix("index:") for lock in locks}
