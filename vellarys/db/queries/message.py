"""Message queries, always scoped by tenant."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from vellarys.db.models import Lead, Message

# Delivery statuses only move forward; "failed" may still replace pending or sent.
STATUS_RANK = {"pending": 0, "sent": 1, "delivered": 2, "read": 3}


async def insert_inbound(session: AsyncSession, **values: Any) -> uuid.UUID | None:
    """Insert an inbound message; None when (tenant, external_id) is already stored."""
    statement = (
        insert(Message)
        .values(id=uuid.uuid4(), role="user", direction="inbound", status="received", **values)
        .on_conflict_do_nothing(index_elements=[Message.tenant_id, Message.external_id])
        .returning(Message.id)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def get(session: AsyncSession, tenant_id: uuid.UUID, message_id: uuid.UUID) -> Message | None:
    found = await session.execute(
        select(Message).where(Message.tenant_id == tenant_id, Message.id == message_id)
    )
    return found.scalar_one_or_none()


async def get_for_update(session: AsyncSession, message_id: uuid.UUID) -> Message | None:
    """Lock a message by id (jobs carry only the id; the row then gives the tenant)."""
    found = await session.execute(select(Message).where(Message.id == message_id).with_for_update())
    return found.scalar_one_or_none()


async def burst_for_update(session: AsyncSession, message_id: uuid.UUID) -> list[Message]:
    """The unprocessed inbound messages of the lead ``message_id`` belongs to (oldest first),
    locked, in one trip: the job's message is among them unless it is gone or processed."""
    owner = aliased(Message)
    of_message = select(owner.tenant_id, owner.lead_id).where(owner.id == message_id)
    found = await session.execute(
        select(Message)
        .where(
            Message.tenant_id == of_message.with_only_columns(owner.tenant_id).scalar_subquery(),
            Message.lead_id == of_message.with_only_columns(owner.lead_id).scalar_subquery(),
            Message.direction == "inbound",
            Message.processed_at.is_(None),
        )
        .order_by(Message.created_at, Message.id)
        .with_for_update(of=Message)
    )
    return list(found.scalars())


async def unprocessed_inbound(
    session: AsyncSession, tenant_id: uuid.UUID, lead_id: uuid.UUID
) -> list[Message]:
    found = await session.execute(
        select(Message)
        .where(
            Message.tenant_id == tenant_id,
            Message.lead_id == lead_id,
            Message.direction == "inbound",
            Message.processed_at.is_(None),
        )
        .order_by(Message.created_at, Message.id)
    )
    return list(found.scalars())


async def apply_status(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    external_id: str,
    status: str,
    at: datetime,
    error: str | None = None,
) -> bool:
    """Move an outbound message's status forward; False when unknown or it would go back."""
    allowed = (
        Message.status.in_(["pending", "sent"])
        if status == "failed"
        else case(STATUS_RANK, value=Message.status, else_=99) < STATUS_RANK[status]
    )
    stamp = {"sent": "sent_at", "delivered": "delivered_at", "read": "read_at"}.get(status)
    values: dict[str, Any] = {"status": status, "updated_at": func.now()}
    if stamp:
        values[stamp] = func.coalesce(getattr(Message, stamp), at)
    if error:
        values["error"] = error
    result = await session.execute(
        update(Message)
        .where(
            Message.tenant_id == tenant_id,
            Message.external_id == external_id,
            Message.direction == "outbound",
            allowed,
        )
        .values(**values)
        .returning(Message.id)
    )
    return result.first() is not None


async def last_sent_at(
    session: AsyncSession, tenant_id: uuid.UUID, lead_id: uuid.UUID
) -> datetime | None:
    found = await session.execute(
        select(func.max(Message.sent_at)).where(
            Message.tenant_id == tenant_id,
            Message.lead_id == lead_id,
            Message.direction == "outbound",
        )
    )
    return found.scalar_one()


# Written as SQL text: SQLAlchemy cannot negate a text() clause with ``~``.
_NO_SEND_JOB = text(
    "NOT EXISTS (SELECT 1 FROM procrastinate_jobs j WHERE j.status IN ('todo', 'doing') "
    "AND j.task_name = 'vellarys:send_outbound' AND j.args->>'message_id' = messages.id::text)"
)


async def stuck_outbound(
    session: AsyncSession, *, older_than: datetime, limit: int = 500
) -> list[Message]:
    """Pending outbound messages with no send job waiting or running (deployment-wide sweep)."""
    found = await session.execute(
        select(Message)
        .where(
            Message.direction == "outbound",
            Message.status == "pending",
            Message.created_at < older_than,
            _NO_SEND_JOB,
        )
        .order_by(Message.created_at)
        .limit(limit)
    )
    return list(found.scalars())


async def reconcile_uncertain(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    message_id: uuid.UUID,
    external_id: str,
    status: str,
    at: datetime,
) -> bool:
    """Settle a send whose outcome was lost, from the provider's own status callback."""
    stamp = {"sent": "sent_at", "delivered": "delivered_at", "read": "read_at"}.get(status)
    values: dict[str, Any] = {
        "status": status,
        "external_id": external_id,
        "sending_since": None,
        "error": None,
        "sent_at": func.coalesce(Message.sent_at, at),
        "updated_at": func.now(),
    }
    if stamp:
        values[stamp] = func.coalesce(getattr(Message, stamp), at)
    result = await session.execute(
        update(Message)
        .where(
            Message.tenant_id == tenant_id,
            Message.id == message_id,
            Message.direction == "outbound",
            Message.status.in_(["pending", "uncertain"]),
            Message.external_id.is_(None),
        )
        .values(**values)
        .returning(Message.id)
    )
    return result.first() is not None


async def settle_by_echo(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    phone: str,
    content: str,
    external_id: str,
    at: datetime,
) -> bool:
    """A provider echoed one of our sends (Z-API, Evolution: ``fromMe``) whose id we have not
    recorded: the oldest in-flight or uncertain message to that lead with that text is it."""
    target = (
        select(Message.id)
        .join(Lead, Lead.id == Message.lead_id)
        .where(
            Message.tenant_id == tenant_id,
            Lead.tenant_id == tenant_id,
            Lead.phone == phone,
            Message.direction == "outbound",
            Message.external_id.is_(None),
            Message.content == content,
            (Message.status == "uncertain")
            | ((Message.status == "pending") & Message.sending_since.is_not(None)),
        )
        .order_by(Message.created_at)
        .limit(1)
        .with_for_update()
        .scalar_subquery()
    )
    result = await session.execute(
        update(Message)
        .where(Message.tenant_id == tenant_id, Message.id == target)
        .values(
            status="sent",
            external_id=external_id,
            sending_since=None,
            error=None,
            sent_at=func.coalesce(Message.sent_at, at),
            updated_at=func.now(),
        )
        .returning(Message.id)
    )
    return result.first() is not None


async def database_now(session: AsyncSession) -> datetime:
    """The database's clock: the one the queue compares ``scheduled_at`` with."""
    return (await session.execute(select(func.now()))).scalar_one()


async def outbound_exists(session: AsyncSession, tenant_id: uuid.UUID, external_id: str) -> bool:
    found = await session.execute(
        select(Message.id).where(
            Message.tenant_id == tenant_id,
            Message.external_id == external_id,
            Message.direction == "outbound",
        )
    )
    return found.first() is not None


async def insert_human_reply(session: AsyncSession, **values: Any) -> bool:
    """Record a reply a person sent from the agency's phone; False when already recorded."""
    statement = (
        insert(Message)
        .values(id=uuid.uuid4(), role="broker", direction="outbound", status="sent", **values)
        .on_conflict_do_nothing(index_elements=[Message.tenant_id, Message.external_id])
        .returning(Message.id)
    )
    return (await session.execute(statement)).scalar_one_or_none() is not None


def add_outbound(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    lead_id: uuid.UUID,
    channel_id: uuid.UUID | None,
    content: str,
    role: str = "assistant",
    user_id: uuid.UUID | None = None,
    media: dict[str, Any] | None = None,
) -> Message:
    message = Message(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        lead_id=lead_id,
        channel_id=channel_id,
        role=role,
        direction="outbound",
        status="pending",
        type="text",
        content=content,
        media=media or {},
        user_id=user_id,
    )
    session.add(message)
    added: Counter[uuid.UUID] = session.info.setdefault(OUTBOUND_ADDED, Counter())
    added[lead_id] += 1
    return message


# In a session's ``info``: how many outbound messages ``add_outbound`` added, by lead.
OUTBOUND_ADDED = "message.outbound_added"


def outbound_added(session: AsyncSession, lead_id: uuid.UUID) -> int:
    """Outbound messages of the lead added in this session so far."""
    added: Counter[uuid.UUID] = session.info.get(OUTBOUND_ADDED, Counter())
    return added[lead_id]


async def external_ids_of_lead(
    session: AsyncSession, tenant_id: uuid.UUID, lead_id: uuid.UUID
) -> list[str]:
    """The provider ids of the lead's messages that have one."""
    found = await session.execute(
        select(Message.external_id).where(
            Message.tenant_id == tenant_id,
            Message.lead_id == lead_id,
            Message.external_id.is_not(None),
        )
    )
    return [str(x) for x in found.scalars()]


async def by_external_id_for_update(
    session: AsyncSession, tenant_id: uuid.UUID, external_id: str
) -> Message | None:
    """The message the provider knows as ``external_id`` (an edit or a reaction names it)."""
    found = await session.execute(
        select(Message)
        .where(Message.tenant_id == tenant_id, Message.external_id == external_id)
        .with_for_update()
    )
    return found.scalar_one_or_none()
