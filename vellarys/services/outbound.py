"""send_outbound: hand a pending message to its provider, with retries, pacing and no double send.

A send is three short steps, each its own unit of work opened by the job: claim (lock the
row, count the attempt, mark it in flight), the provider call (outside any transaction),
and record (sent, or the error and a retry). Keeping the network call out of the
transaction keeps connections free; marking the row in flight makes the one unclosable
window (provider accepted, worker died) visible and counted.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db import queue
from vellarys.db.models import Channel, Lead, Message
from vellarys.db.queries import media as media_queries
from vellarys.db.queries import message as message_queries
from vellarys.db.queries import outbound as outbound_queries
from vellarys.domain import whatsapp_format
from vellarys.domain.nudge import window_open
from vellarys.domain.ports import OutgoingFile
from vellarys.errors import BadRequest, ProviderError
from vellarys.services.deps import PipelineDeps

OUTSIDE_WINDOW = "not sent: more than 24 h since the lead's last message and no approved template"


@dataclass(frozen=True, slots=True)
class SendPlan:
    message_id: uuid.UUID
    tenant_id: uuid.UUID
    lead_id: uuid.UUID
    channel: Channel
    to: str
    text: str
    attempt: int
    # Outside WhatsApp's 24-hour window: the approved template to send instead of the text.
    template: Mapping[str, Any] | None = None
    # A picture or document staff sent from the dashboard (its caption is ``text``).
    file: OutgoingFile | None = None


@dataclass(frozen=True, slots=True)
class SendLater:
    """Too soon after the lead's previous message: try again at ``at`` (the lead's pace)."""

    at: datetime


@dataclass(frozen=True, slots=True)
class NoSend:
    """Nothing to send: ``skipped`` (done or gone), ``refused`` or ``uncertain``."""

    outcome: str


OUTBOUND_FILE_KINDS = frozenset({"image", "document"})


@dataclass(frozen=True, slots=True)
class Uncertain:
    """An earlier attempt may have reached the provider: the message is marked uncertain and
    never sent again. ``plan`` (None when the lead or channel is gone) lets a provider that
    keeps what it sent be asked for it (``SentLookup``); ``since`` is when that attempt began."""

    plan: SendPlan | None
    since: datetime


PACE_SLACK = 0.8
UNCERTAIN_ERROR = (
    "envio interrompido depois de entregue ao provedor: aguardando a confirmação do provedor"
)


async def enqueue_send(
    session: AsyncSession, message: Message, *, delay_seconds: float = 0.0, first: bool = False
) -> None:
    """The job that sends ``message``; one at a time per lead, so replies arrive in order.
    A reply's ``first`` part goes ahead of the queue's later parts."""
    run_at = None
    if delay_seconds > 0:
        run_at = await message_queries.database_now(session) + timedelta(seconds=delay_seconds)
    await queue.defer_send(
        session,
        message_id=message.id,
        lead_id=message.lead_id,
        run_at=run_at,
        priority=queue.FIRST_PART_PRIORITY if first else 0,
    )


async def queue_outbound(
    session: AsyncSession,
    *,
    lead: Lead,
    texts: list[str],
    role: str = "assistant",
    user_id: uuid.UUID | None = None,
    media: Mapping[str, object] | None = None,
    pace_seconds: float = 0.0,
) -> list[Message]:
    """Store texts as pending outbound messages of ``lead`` and enqueue their sending, in order.

    Every text a lead receives passes here, so here it becomes WhatsApp text: Markdown marks
    rewritten, tables and headings flattened, a long text split into bubbles at paragraphs.
    The parts of one reply are scheduled ``pace_seconds`` apart, so no send job has to wait
    for its turn inside a worker slot.
    """
    messages, sends = store_outbound(
        session,
        lead=lead,
        texts=texts,
        role=role,
        user_id=user_id,
        media=media,
        pace_seconds=pace_seconds,
    )
    await session.flush()
    await queue.defer_sends(session, sends)  # the parts' jobs in one trip, in order
    return messages


def store_outbound(
    session: AsyncSession,
    *,
    lead: Lead,
    texts: list[str],
    role: str = "assistant",
    user_id: uuid.UUID | None = None,
    media: Mapping[str, object] | None = None,
    pace_seconds: float = 0.0,
) -> tuple[list[Message], list[queue.Send]]:
    """``queue_outbound`` without the writes: the messages added to the session (flushed with
    it) and the send jobs the caller defers."""
    rendered = [bubble for text in texts for bubble in whatsapp_format.bubbles(text)]
    if not rendered and role == "broker":
        raise BadRequest("A mensagem ficou vazia depois de formatada para o WhatsApp.")
    messages = [
        message_queries.add_outbound(
            session,
            tenant_id=lead.tenant_id,
            lead_id=lead.id,
            channel_id=lead.channel_id,
            content=text,
            role=role,
            user_id=user_id,
            media=dict(media or {}),
        )
        for text in rendered
    ]
    sends = [
        queue.Send(m.id, m.lead_id, delay_seconds=index * pace_seconds, first=index == 0)
        for index, m in enumerate(messages)
    ]
    return messages, sends


async def claim_send(
    session: AsyncSession, deps: PipelineDeps, *, message_id: uuid.UUID
) -> SendPlan | SendLater | NoSend | Uncertain:
    """Lock the message and decide whether to send it now.

    The attempt is recorded (``sending_since``) and committed before the provider is called:
    finding it still set means an earlier attempt may have reached the provider, so the
    message becomes ``uncertain`` and waits for the provider's status callback instead of
    being sent a second time."""
    row = await outbound_queries.claim_row(session, message_id)
    message = None if row is None else row.message
    if row is None or message is None or message.direction != "outbound":
        return NoSend("skipped")  # gone: never send twice
    if message.status != "pending":
        return NoSend("skipped")  # already sent or failed: never send twice
    lead, channel = row.lead, row.channel
    if message.sending_since is not None:
        message.status, message.error = "uncertain", UNCERTAIN_ERROR
        plan = None if lead is None or channel is None else _plan(message, channel, lead)
        return Uncertain(plan, since=message.sending_since)
    refusal = _refusal(message, lead)
    if refusal is None and (channel is None or not channel.active):
        refusal = "the lead's channel no longer exists or is disabled"
    if refusal is not None or channel is None or lead is None:
        _fail(message, refusal or "cannot be sent")
        return NoSend("refused")
    now = deps.clock.now()
    template = _template(message, channel, lead, now)
    if template is False:
        _fail(message, OUTSIDE_WINDOW)
        return NoSend("refused")
    wait = _pace_wait(deps, row.last_sent_at, now)
    if wait > 0:
        return SendLater(now + timedelta(seconds=wait))
    file = await _file_of(session, message)
    message.attempts += 1
    message.sending_since = now
    return _plan(
        message,
        channel,
        lead,
        template=template if isinstance(template, Mapping) else None,
        file=file,
    )


def _plan(
    message: Message,
    channel: Channel,
    lead: Lead,
    *,
    template: Mapping[str, Any] | None = None,
    file: OutgoingFile | None = None,
) -> SendPlan:
    return SendPlan(
        message_id=message.id,
        tenant_id=message.tenant_id,
        lead_id=message.lead_id,
        channel=channel,
        to=lead.phone,
        text=message.content,
        attempt=message.attempts,
        template=template,
        file=file,
    )


async def _file_of(session: AsyncSession, message: Message) -> OutgoingFile | None:
    if message.type not in OUTBOUND_FILE_KINDS:
        return None
    stored = await media_queries.for_message(session, message.tenant_id, message.id)
    if stored is None or stored.data is None:
        return None
    return OutgoingFile(
        kind=message.type,
        data=stored.data,
        content_type=stored.content_type,
        filename=str((message.media or {}).get("filename") or message.type),
        caption=message.content,
    )


async def settle_uncertain(
    session: AsyncSession, deps: PipelineDeps, *, plan: SendPlan, external_id: str
) -> bool:
    """The provider has the message (its own record says so): sent, with the provider's id."""
    return await message_queries.reconcile_uncertain(
        session,
        tenant_id=plan.tenant_id,
        message_id=plan.message_id,
        external_id=external_id,
        status="sent",
        at=deps.clock.now(),
    )


def _template(
    message: Message, channel: Channel, lead: Lead, now: datetime
) -> Mapping[str, Any] | bool | None:
    """None inside the window; the message's template outside it; False when it has none,
    so free text is never attempted where WhatsApp refuses it."""
    if window_open(channel.provider, lead.last_inbound_at, now):
        return None
    template = (message.media or {}).get("template")
    return template if isinstance(template, dict) and template.get("name") else False


def _refusal(message: Message, lead: Lead | None) -> str | None:
    if lead is None:
        return "the lead no longer exists"
    # After an opt-out only the confirmation (a system message) may still go out.
    if lead.opted_out and message.role != "system":
        return "cancelled: the lead opted out"
    return None


def _pace_wait(deps: PipelineDeps, last_sent: datetime | None, now: datetime) -> float:
    """Seconds until this lead may get its next message. The parts of a reply are scheduled a
    pace apart; the slack keeps a part that started a few milliseconds early from being put
    back in the queue for those milliseconds."""
    if last_sent is None:
        return 0.0
    elapsed = (now - last_sent).total_seconds()
    return max(0.0, deps.settings.send_pace_seconds * PACE_SLACK - elapsed)


def _fail(message: Message, reason: str) -> None:
    message.status = "failed"
    message.error = reason
    message.sending_since = None


async def record_sent(
    session: AsyncSession, deps: PipelineDeps, *, plan: SendPlan, external_id: str
) -> None:
    await outbound_queries.mark_sent(
        session, message_id=plan.message_id, external_id=external_id, at=deps.clock.now()
    )


async def record_failure(
    session: AsyncSession, deps: PipelineDeps, *, plan: SendPlan, error: ProviderError
) -> datetime | None:
    """Record a failed attempt; return when to try again, or None once the message failed."""
    message = await message_queries.get_for_update(session, plan.message_id)
    if message is None or message.status != "pending":
        return None
    message.sending_since = None
    message.error = _describe(error)
    if not error.retryable or plan.attempt >= deps.settings.send_max_attempts:
        message.status = "failed"
        return None
    return deps.clock.now() + timedelta(seconds=backoff_seconds(deps, plan.attempt))


def backoff_seconds(deps: PipelineDeps, attempt: int) -> float:
    """Exponential backoff with full jitter, so a provider outage is not hit in lockstep."""
    settings = deps.settings
    ceiling = min(
        settings.send_retry_max_seconds, settings.send_retry_base_seconds * 2 ** (attempt - 1)
    )
    return float(ceiling / 2 + random.uniform(0, ceiling / 2))


def _describe(error: ProviderError) -> str:
    parts = [error.message]
    if error.provider_status:
        parts.append(f"HTTP {error.provider_status}")
    if error.provider_code:
        parts.append(f"code {error.provider_code}")
    return " · ".join(parts)
