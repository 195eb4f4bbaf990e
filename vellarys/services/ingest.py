"""receive_webhook: store what a provider sent and enqueue its processing, in one transaction."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db import queue
from vellarys.db.models import Channel, Lead, RejectedInbound
from vellarys.db.queries import erasure as erasure_queries
from vellarys.db.queries import lead as lead_queries
from vellarys.db.queries import message as message_queries
from vellarys.db.queries import rate as rate_queries
from vellarys.domain.media import needs_fetch
from vellarys.domain.message import (
    MAX_EXTERNAL_ID,
    REVISIONS,
    InboundMessage,
    RejectedMessage,
    StatusUpdate,
    UnstorableMessage,
    WebhookBatch,
    bound_message,
    clean_text,
)
from vellarys.domain.phone import normalize_phone
from vellarys.domain.rate_limit import (
    NOTICES,
    Limits,
    Over,
    agency_limits,
    fair_priority,
    over_limit,
)
from vellarys.domain.webhook import LEAD_CREATED, MESSAGE_RECEIVED
from vellarys.errors import BadRequest
from vellarys.services import intake, webhooks
from vellarys.services.deps import PipelineDeps
from vellarys.services.outbound import queue_outbound
from vellarys.services.revisions import apply_revision, apply_system_notice, attach_reaction

log = logging.getLogger(__name__)


@dataclass(slots=True)
class IngestResult:
    stored: list[str] = field(default_factory=list)
    duplicates: int = 0
    stale: int = 0
    echoes: int = 0
    ignored: int = 0
    rejected: int = 0
    statuses: int = 0
    rate_limited: int = 0
    revised: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "stored": len(self.stored),
            "duplicates": self.duplicates,
            "stale": self.stale,
            "echoes": self.echoes,
            "ignored": self.ignored,
            "rejected": self.rejected,
            "statuses": self.statuses,
            "rate_limited": self.rate_limited,
            "revised": self.revised,
        }


async def receive_webhook(
    session: AsyncSession,
    deps: PipelineDeps,
    *,
    channel: Channel,
    batch: WebhookBatch,
    raw: dict[str, Any] | None,
) -> IngestResult:
    """Store every message and status of one webhook call for ``channel``'s tenant.

    A message already stored (provider retry, duplicate delivery) is skipped by the
    unique (tenant_id, external_id) key, so it gets no second job and no second reply.
    Each message is first held to its bounds (``bound_message``) and stored in its own
    savepoint: one that still cannot be stored is recorded as rejected, with ``raw``, and
    the rest of the batch is stored. Only a database that is away fails the whole call.
    """
    if batch.identity is not None and batch.identity != channel.identity:
        raise BadRequest("The payload names another channel than this webhook URL.")
    result = IngestResult()
    for refused in batch.rejected:
        await _reject(session, channel=channel, rejected=refused, result=result)
    max_text = deps.settings.inbound_text_max_chars
    for message in batch.messages:
        try:
            bounded = bound_message(message, max_text=max_text)
        except UnstorableMessage as exc:
            refused = RejectedMessage(
                str(exc), clean_text(message.external_id)[:MAX_EXTERNAL_ID], raw
            )
            await _reject(session, channel=channel, rejected=refused, result=result)
            continue
        await _store_or_reject(
            session, deps, channel=channel, message=bounded, raw=raw, result=result
        )
    for status in batch.statuses:
        result.statuses += await _apply_status(session, channel=channel, status=status)
    return result


async def _store_or_reject(
    session: AsyncSession,
    deps: PipelineDeps,
    *,
    channel: Channel,
    message: InboundMessage,
    raw: dict[str, Any] | None,
    result: IngestResult,
) -> None:
    # DataError and IntegrityError are this input's fault and would fail on every retry;
    # anything else (connection lost, timeout) propagates so the provider retries later.
    try:
        async with session.begin_nested():
            await _ingest_message(
                session, deps, channel=channel, message=message, raw=raw, result=result
            )
    except (DataError, IntegrityError) as exc:
        sqlstate = getattr(exc.orig, "sqlstate", None) or type(exc.orig).__name__
        reason = f"the database refused the message ({sqlstate})"
        refused = RejectedMessage(reason, message.external_id, raw)
        await _reject(session, channel=channel, rejected=refused, result=result)


async def _reject(
    session: AsyncSession, *, channel: Channel, rejected: RejectedMessage, result: IngestResult
) -> None:
    log.warning(
        "rejected an inbound message",
        extra={"external_id": rejected.external_id, "reason": rejected.reason},
    )
    raw = rejected.raw if isinstance(rejected.raw, dict) else {"payload": rejected.raw}
    session.add(
        RejectedInbound(
            tenant_id=channel.tenant_id,
            channel_id=channel.id,
            provider=channel.provider,
            external_id=rejected.external_id,
            reason=rejected.reason[:1000],
            raw_payload=raw,
        )
    )
    await session.flush()
    result.rejected += 1


async def _ingest_message(
    session: AsyncSession,
    deps: PipelineDeps,
    *,
    channel: Channel,
    message: InboundMessage,
    raw: dict[str, Any] | None,
    result: IngestResult,
) -> None:
    try:
        phone = normalize_phone(message.phone)
    except ValueError:
        log.warning(
            "ignoring message with unusable phone", extra={"external_id": message.external_id}
        )
        result.ignored += 1
        return
    if await _erased(session, channel=channel, phone=phone, message=message):
        # An old webhook of a lead erased under the LGPD: acknowledged, never stored again.
        result.ignored += 1
        return
    now = deps.clock.now()
    if await _revised(session, channel=channel, message=message, now=now, result=result):
        return
    if message.type == "edit":  # of a message never stored here: it is what the lead says
        message = replace(message, type=message.media.get("as") or "text", media={})
    if message.from_me:
        result.echoes += await _record_echo(
            session, deps, channel=channel, phone=phone, message=message
        )
        return
    lead, created = await lead_queries.upsert_contact(
        session,
        tenant_id=channel.tenant_id,
        phone=phone,
        name=message.name,
        channel_id=channel.id,
        seen_at=now,
    )
    referral = message.media.get("referral")
    if isinstance(referral, dict):
        intake.note_referral(lead, referral)
    stale = now - message.timestamp > timedelta(seconds=deps.settings.stale_after_seconds)
    # A reaction is stored on the message reacted to; a call that rang (not missed) is only
    # recorded. Neither is answered.
    quiet = message.type == "reaction" or (
        message.type == "call" and message.media.get("call") != "missed"
    )
    if quiet:
        await attach_reaction(session, channel=channel, message=message)
    message_id = await message_queries.insert_inbound(
        session,
        tenant_id=channel.tenant_id,
        lead_id=lead.id,
        channel_id=channel.id,
        type=message.type,
        content=message.text,
        media=dict(message.media),
        external_id=message.external_id,
        raw_payload=raw,
        provider_timestamp=message.timestamp,
        processed_at=now if stale or quiet else None,
    )
    await _announce(
        session, deps, lead=lead, created=created, message_id=message_id, text=message.text
    )
    if message_id is None:
        result.duplicates += 1
    elif quiet:
        result.stored.append(str(message_id))
    elif stale:
        # Stored for the record, not answered: a reply hours late does more harm than good.
        result.stale += 1
    else:
        fetch = needs_fetch(message.type, message.media)
        over = await _enqueue_processing(
            session, deps, lead=lead, message_id=str(message_id), fetch=fetch
        )
        result.rate_limited += over is not None
        result.stored.append(str(message_id))


async def _announce(
    session: AsyncSession,
    deps: PipelineDeps,
    *,
    lead: Lead,
    created: bool,
    message_id: uuid.UUID | None,
    text: str,
) -> None:
    """The agency's webhooks hear of a new lead and of every message stored."""
    now = deps.clock.now()
    if created:
        data = webhooks.lead_data(lead)
        await webhooks.emit(
            session, tenant_id=lead.tenant_id, event=LEAD_CREATED, data=data, now=now
        )
    if message_id is not None:
        data = {"lead": webhooks.lead_data(lead), "message": {"id": str(message_id), "text": text}}
        await webhooks.emit(
            session, tenant_id=lead.tenant_id, event=MESSAGE_RECEIVED, data=data, now=now
        )


async def _revised(
    session: AsyncSession,
    *,
    channel: Channel,
    message: InboundMessage,
    now: datetime,
    result: IngestResult,
) -> bool:
    """Edits, deletions and WhatsApp's own notices change what is stored; none is a new
    message. False for an edit of a message not stored here (it is then taken as new)."""
    if message.type == "system":
        await apply_system_notice(session, channel=channel, message=message)
        result.ignored += 1
        return True
    if message.type not in REVISIONS:
        return False
    applied = await apply_revision(session, channel=channel, message=message, now=now)
    if applied or message.type == "revoke":
        result.revised += applied
        result.ignored += not applied
        return True
    return False


async def _erased(
    session: AsyncSession, *, channel: Channel, phone: str, message: InboundMessage
) -> bool:
    """True for a message of an erased lead: one of its message ids, or its phone with a
    message sent before the erasure. A newer message from that phone is a new contact."""
    found = await erasure_queries.matches(
        session, channel.tenant_id, phone=phone, external_id=message.external_id
    )
    if "message" in found:
        return True
    return "phone" in found and message.timestamp <= found["phone"]


async def _enqueue_processing(
    session: AsyncSession, deps: PipelineDeps, *, lead: Lead, message_id: str, fetch: bool = False
) -> Over | None:
    """Schedule the answer (or, for a file, its download) after the debounce (a burst gets
    one answer), at the agency's fair priority; past a per-minute limit, after the minute is
    over, with one polite notice."""
    counted = await rate_queries.count_message(session, tenant_id=lead.tenant_id, lead_id=lead.id)
    counts = counted.counts
    debounce = timedelta(seconds=deps.settings.debounce_seconds)
    run_at = deps.clock.now() + debounce
    deployment = Limits(
        lead=deps.settings.lead_messages_per_minute,
        agency=deps.settings.agency_messages_per_minute,
    )
    limits = agency_limits(counted.own_limits, default=deployment)
    over = over_limit(counts, lead_limit=limits.lead, agency_limit=limits.agency)
    if over is not None:
        window_end = counted.window_start + timedelta(seconds=rate_queries.WINDOW_SECONDS)
        run_at = max(run_at, window_end + debounce)
        await _notify_rate_limited(session, lead=lead, over=over)
    # A file is fetched and read first; that job queues the answer.
    defer = queue.defer_fetch_media if fetch else queue.defer_handle_inbound
    await defer(
        session,
        message_id=uuid.UUID(message_id),
        lead_id=lead.id,
        run_at=run_at,
        priority=fair_priority(counts),
    )
    return over


async def notify_rate_limited(
    session: AsyncSession, *, tenant_id: uuid.UUID, lead_id: uuid.UUID, over: Over
) -> None:
    """The notice of a lead the lean ack path (``services.ack``) found past a limit; its
    answer is already queued after the minute."""
    lead = await lead_queries.get(session, tenant_id, lead_id)
    if lead is not None:
        await _notify_rate_limited(session, lead=lead, over=over)


async def _notify_rate_limited(session: AsyncSession, *, lead: Lead, over: Over) -> None:
    scope = f"notice:{lead.id}"
    if await rate_queries.first_in_window(session, tenant_id=lead.tenant_id, scope=scope):
        await queue_outbound(session, lead=lead, texts=[NOTICES[over]], role="system")


async def _record_echo(
    session: AsyncSession,
    deps: PipelineDeps,
    *,
    channel: Channel,
    phone: str,
    message: InboundMessage,
) -> int:
    """A message the agency's own phone sent: ours coming back, or a human replying by hand."""
    if await message_queries.outbound_exists(session, channel.tenant_id, message.external_id):
        return 0
    now = deps.clock.now()
    if message.type == "text" and await message_queries.settle_by_echo(
        session,
        tenant_id=channel.tenant_id,
        phone=phone,
        content=message.text,
        external_id=message.external_id,
        at=now,
    ):
        # Ours, echoed before the worker recorded it (or after its answer was lost): settled.
        log.info("echo settled a send in flight", extra={"external_id": message.external_id})
        return 0
    lead = await lead_queries.upsert_by_phone(
        session,
        tenant_id=channel.tenant_id,
        phone=phone,
        name=None,
        channel_id=channel.id,
        seen_at=now,
    )
    stored = await message_queries.insert_human_reply(
        session,
        tenant_id=channel.tenant_id,
        lead_id=lead.id,
        channel_id=channel.id,
        type=message.type,
        content=message.text,
        media=dict(message.media),
        external_id=message.external_id,
        provider_timestamp=message.timestamp,
        sent_at=now,
    )
    if stored:
        # A person at the agency took the conversation: the assistant steps back.
        lead.ai_paused = True
    return 1 if stored else 0


async def _apply_status(session: AsyncSession, *, channel: Channel, status: StatusUpdate) -> int:
    external_id = clean_text(status.external_id)
    if not external_id or len(external_id) > MAX_EXTERNAL_ID:
        return 0  # no message of ours has such an id
    error = _status_error(status)
    moved = await message_queries.apply_status(
        session,
        tenant_id=channel.tenant_id,
        external_id=external_id,
        status=status.status,
        at=status.timestamp,
        error=None if error is None else clean_text(error)[:1000],
    )
    if not moved and status.reference:
        moved = await _reconcile(session, channel=channel, status=status)
    return 1 if moved else 0


async def _reconcile(session: AsyncSession, *, channel: Channel, status: StatusUpdate) -> bool:
    """A status for a message id we never recorded, naming our message: a send whose answer
    was lost (the worker died after the provider accepted it) is settled here, not resent."""
    try:
        message_id = uuid.UUID(status.reference or "")
    except ValueError:
        return False
    settled = await message_queries.reconcile_uncertain(
        session,
        tenant_id=channel.tenant_id,
        message_id=message_id,
        external_id=status.external_id,
        status=status.status,
        at=status.timestamp,
    )
    if settled:
        log.info("uncertain send settled by the provider", extra={"message_id": str(message_id)})
    return settled


def _status_error(status: StatusUpdate) -> str | None:
    if status.status != "failed":
        return None
    code = f" ({status.error_code})" if status.error_code else ""
    return f"{status.error or 'delivery failed'}{code}"
