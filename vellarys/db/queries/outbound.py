"""The send path's queries: what a send job reads and writes, in as few round trips as it can.

A send runs once per reply part, so its statements are the worker's most frequent ones:
the claim reads the message (locked), its lead, its channel and the lead's last send in one
statement, and the record is one ``UPDATE``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from vellarys.db.models import Channel, Lead, Message


@dataclass(frozen=True, slots=True)
class SendRow:
    """A pending send as its claim sees it: the locked message, its lead and channel (None
    when gone, or for the channel when the message names none), and when the lead was last
    sent anything."""

    message: Message
    lead: Lead | None
    channel: Channel | None
    last_sent_at: datetime | None


_EARLIER = aliased(Message)
# Built once: constructing a statement costs more CPU than running a cached one.
_LAST_SENT = (
    select(func.max(_EARLIER.sent_at))
    .where(
        _EARLIER.tenant_id == Message.tenant_id,
        _EARLIER.lead_id == Message.lead_id,
        _EARLIER.direction == "outbound",
    )
    .scalar_subquery()
)
_CLAIM = (
    select(Message, Lead, Channel, _LAST_SENT)
    .outerjoin(Lead, and_(Lead.tenant_id == Message.tenant_id, Lead.id == Message.lead_id))
    .outerjoin(
        Channel, and_(Channel.tenant_id == Message.tenant_id, Channel.id == Message.channel_id)
    )
    .where(Message.id == bindparam("message_id"))
    .with_for_update(of=Message)
)
_MARK_SENT = (
    update(Message)
    .where(Message.id == bindparam("message_id"))
    .values(
        external_id=bindparam("sent_external_id"),
        sent_at=bindparam("sent_at_value"),
        sending_since=None,
        error=None,
        status=case((Message.status.in_(("pending", "uncertain")), "sent"), else_=Message.status),
    )
    .execution_options(synchronize_session=False)
)


async def claim_row(session: AsyncSession, message_id: uuid.UUID) -> SendRow | None:
    """Lock the message by id (jobs carry only the id; its row gives the tenant, and the lead
    and channel are read within that tenant)."""
    row = (await session.execute(_CLAIM, {"message_id": message_id})).first()
    if row is None:
        return None
    message, lead, channel, last = row
    return SendRow(message=message, lead=lead, channel=channel, last_sent_at=last)


async def mark_sent(
    session: AsyncSession, *, message_id: uuid.UUID, external_id: str, at: datetime
) -> None:
    """The provider accepted the message. A fast status callback may already have moved it
    on (delivered, read); a rescued duplicate of the job may have marked it uncertain while
    this attempt was still under way: only pending and uncertain become sent."""
    await session.execute(
        _MARK_SENT,
        {"message_id": message_id, "sent_external_id": external_id, "sent_at_value": at},
    )
