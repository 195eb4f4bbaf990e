"""The built-in simulator channel: a lead's message without WhatsApp, through the real pipeline."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Lead, Message, Tenant
from vellarys.db.queries import channel as channel_queries
from vellarys.db.queries import lead as lead_queries
from vellarys.domain.media import FETCHED_KINDS, FetchedMedia, MediaRefused, check_media
from vellarys.domain.message import InboundMessage, WebhookBatch
from vellarys.errors import BadRequest
from vellarys.services.channel import add_channel
from vellarys.services.deps import PipelineDeps
from vellarys.services.ingest import receive_webhook
from vellarys.services.media import store_file


@dataclass(frozen=True, slots=True)
class SimulatedMessage:
    tenant_id: uuid.UUID
    lead_id: uuid.UUID
    message_id: uuid.UUID
    sent_at: datetime


async def send_as_lead(
    session: AsyncSession,
    deps: PipelineDeps,
    *,
    tenant: Tenant,
    phone: str,
    text: str,
    name: str | None = None,
) -> SimulatedMessage:
    """Store ``text`` as if ``phone`` had written it on WhatsApp, and enqueue its processing."""
    if not text.strip():
        raise BadRequest("Write a message.")
    inbound = InboundMessage(
        external_id=f"sim-in-{uuid.uuid4().hex}",
        phone=phone,
        type="text",
        text=text.strip(),
        timestamp=deps.clock.now(),
        name=name,
    )
    return await _receive(session, deps, tenant=tenant, inbound=inbound)


async def send_media_as_lead(
    session: AsyncSession,
    deps: PipelineDeps,
    *,
    tenant: Tenant,
    phone: str,
    kind: str,
    data: bytes,
    content_type: str,
    caption: str = "",
    name: str | None = None,
) -> SimulatedMessage:
    """A voice note, picture or document uploaded as if ``phone`` had sent it: the file is
    stored with the message, and the same job as for a webhook reads and answers it."""
    if kind not in FETCHED_KINDS:
        raise BadRequest(f"A lead cannot send a file of kind {kind!r}.")
    try:
        check_media(
            kind, content_type=content_type, size=len(data), max_bytes=deps.settings.media_max_bytes
        )
    except MediaRefused as exc:
        raise BadRequest(f"The file was refused: {exc}.") from None
    inbound = InboundMessage(
        external_id=f"sim-in-{uuid.uuid4().hex}",
        phone=phone,
        type=kind,  # type: ignore[arg-type]
        text=caption.strip(),
        timestamp=deps.clock.now(),
        name=name,
        media={"upload": True, "mime_type": content_type, "caption": caption.strip() or None},
    )
    simulated = await _receive(session, deps, tenant=tenant, inbound=inbound)
    await store_file(
        session,
        deps,
        tenant_id=tenant.id,
        message_id=simulated.message_id,
        kind=kind,
        fetched=FetchedMedia(data, content_type),
        declared_type=content_type,
    )
    return simulated


async def _receive(
    session: AsyncSession, deps: PipelineDeps, *, tenant: Tenant, inbound: InboundMessage
) -> SimulatedMessage:
    channel = await channel_queries.simulator_of(session, tenant.id)
    if channel is None:
        channel = await add_channel(
            session,
            tenant_id=tenant.id,
            provider="simulator",
            identity=f"simulator-{tenant.slug}",
            credentials={},
        )
    now = inbound.timestamp
    result = await receive_webhook(
        session,
        deps,
        channel=channel,
        batch=WebhookBatch(identity=None, messages=[inbound]),
        raw=None,
    )
    if not result.stored:
        raise BadRequest("The phone number is not valid.")
    message = await session.get(Message, uuid.UUID(result.stored[0]))
    assert message is not None
    return SimulatedMessage(tenant.id, message.lead_id, message.id, now)


@dataclass(frozen=True, slots=True)
class Conversation:
    lead: Lead
    replies: list[Message]
    done: bool


async def replies_after(session: AsyncSession, simulated: SimulatedMessage) -> Conversation:
    """The lead and the replies to the simulated message; ``done`` once it was processed and
    nothing is left to send."""
    lead = await session.get(Lead, simulated.lead_id, populate_existing=True)
    inbound = await session.get(Message, simulated.message_id, populate_existing=True)
    assert lead is not None and inbound is not None
    replies = await lead_queries.replies_since(
        session, simulated.tenant_id, simulated.lead_id, inbound.created_at
    )
    done = inbound.processed_at is not None and all(m.status != "pending" for m in replies)
    return Conversation(lead=lead, replies=replies, done=done)


def lead_summary(lead: Lead) -> dict[str, Any]:
    return {
        "stage": lead.stage,
        "temperature": lead.temperature,
        "score": lead.score,
        "profile": dict(lead.custom_data or {}),
    }
