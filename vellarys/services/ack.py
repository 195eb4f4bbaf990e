"""The lean acknowledgement of a webhook: a plain inbound message in one round trip.

Most webhooks carry one text (or file) a lead wrote. For those, the channel comes from the
process's cache and each message is stored, counted and queued by one statement
(``db.queries.ack.STORE``), with no ORM object and no unit of work. Everything else (statuses,
echoes, edits, reactions, calls, referrals, stale or unstorable messages, an agency with
outgoing webhooks, a channel changed since it was cached, data the database refuses) returns
``None``: the caller then runs the full path (``services.ingest.receive_webhook`` in a unit
of work), which handles every case. A message already stored by this path is found there as
a duplicate, so falling back halfway through a batch stores nothing twice.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from vellarys.db import queue
from vellarys.db.direct import DirectPool, Refused
from vellarys.db.queries import ack as ack_queries
from vellarys.domain.media import needs_fetch
from vellarys.domain.message import (
    REVISIONS,
    InboundMessage,
    UnstorableMessage,
    WebhookBatch,
    bound_message,
    scrub,
)
from vellarys.domain.phone import normalize_phone
from vellarys.errors import BadRequest, NotFound, Unauthorized
from vellarys.services.channel_cache import CachedChannel, ChannelCache, lookup
from vellarys.services.deps import PipelineDeps
from vellarys.services.ingest import IngestResult

# Kinds the full path treats apart: revisions, WhatsApp's notices, reactions and calls.
_APART = REVISIONS | {"system", "reaction", "call"}


@dataclass(slots=True)
class Ack:
    """What the lean path stored, and the leads past their limit (each owed a notice)."""

    result: IngestResult = field(default_factory=IngestResult)
    over: list[tuple[uuid.UUID, uuid.UUID, str]] = field(default_factory=list)


async def acknowledge(
    db: DirectPool,
    deps: PipelineDeps,
    cache: ChannelCache,
    *,
    provider: str,
    key: str,
    body: bytes,
    headers: Mapping[str, str],
) -> Ack | None:
    """Check, store and queue a webhook of plain messages; None: run the full path.

    Raises what the full path raises for a request it refuses: ``NotFound`` (no such
    channel), ``Unauthorized`` (bad signature), ``BadRequest`` (malformed, other channel)."""
    channel = await _verified(
        db, deps, cache, provider=provider, key=key, body=body, headers=headers
    )
    batch = channel.adapter.parse_webhook(body)
    if batch.identity is not None and batch.identity != channel.ref.identity:
        raise BadRequest("The payload names another channel than this webhook URL.")
    now = deps.clock.now()
    plain = _plain_batch(batch, deps, now=now, body=body)
    if plain is None:
        return None
    tenant_id = channel.ref.tenant_id
    if cache.has_hooks(tenant_id):
        return None
    ack = Ack()
    for message in plain:
        outcome = await _store(db, deps, channel, message, now=now, ack=ack)
        if outcome == "stale":  # edited since it was read: read it again next time
            cache.forget(provider, key)
        elif outcome == "hooks":
            cache.note_hooks(tenant_id)
        if outcome != "done":
            return None
    return ack


async def _verified(
    db: DirectPool,
    deps: PipelineDeps,
    cache: ChannelCache,
    *,
    provider: str,
    key: str,
    body: bytes,
    headers: Mapping[str, str],
) -> CachedChannel:
    """The channel whose secret signed this request; a cached one that refuses it is read
    again first (the secret may have been rotated)."""
    found = await lookup(db, cache, deps.provider_for, provider=provider, key=key)
    if found is None:
        raise NotFound("Unknown webhook.")
    try:
        found.adapter.verify_request(body, headers)
        return found
    except Unauthorized:
        if found.fresh:
            raise
    again = await lookup(db, cache, deps.provider_for, provider=provider, key=key, reload=True)
    if again is None:
        raise NotFound("Unknown webhook.")
    again.adapter.verify_request(body, headers)
    return again


async def _store(
    db: DirectPool,
    deps: PipelineDeps,
    channel: CachedChannel,
    message: ack_queries.Plain,
    *,
    now: datetime,
    ack: Ack,
) -> str:
    """Store one message: "done", or why the full path must take the webhook over
    ("stale" channel, outgoing "hooks", data the database "refused")."""
    settings = deps.settings
    limits = ack_queries.Limits(
        lead=settings.lead_messages_per_minute,
        agency=settings.agency_messages_per_minute,
        debounce=timedelta(seconds=settings.debounce_seconds),
    )
    try:
        stored = await ack_queries.store(
            db, channel.ref, message, now=now, queue=queue.PIPELINE_QUEUE, limits=limits
        )
    except Refused:
        return "refused"  # the full path records it as rejected, in its savepoint
    if not stored.fresh:
        return "stale"
    if stored.hooks:
        return "hooks"
    result = ack.result
    if stored.erased:
        result.ignored += 1  # an old webhook of a lead erased under the LGPD
    elif stored.message_id is None:
        result.duplicates += 1
    else:
        result.stored.append(str(stored.message_id))
        if stored.over is not None and stored.lead_id is not None:
            result.rate_limited += 1
            ack.over.append((channel.ref.tenant_id, stored.lead_id, stored.over))
    return "done"


def _plain_batch(
    batch: WebhookBatch, deps: PipelineDeps, *, now: datetime, body: bytes
) -> list[ack_queries.Plain] | None:
    """Every message of the batch as the lean path stores it; None when any needs more."""
    if batch.rejected or batch.statuses or not batch.messages:
        return None
    raw = _raw_json(body)
    plain = [_plain(m, deps, now=now, raw=raw) for m in batch.messages]
    return None if any(p is None for p in plain) else [p for p in plain if p is not None]


def _plain(
    message: InboundMessage, deps: PipelineDeps, *, now: datetime, raw: str | None
) -> ack_queries.Plain | None:
    settings = deps.settings
    try:
        bounded = bound_message(message, max_text=settings.inbound_text_max_chars)
        phone = normalize_phone(bounded.phone)
    except (UnstorableMessage, ValueError):
        return None
    if bounded.from_me or bounded.type in _APART or "referral" in bounded.media:
        return None
    if now - bounded.timestamp > timedelta(seconds=settings.stale_after_seconds):
        return None
    fetch = needs_fetch(bounded.type, bounded.media)
    return ack_queries.Plain(
        phone=phone,
        name=bounded.name,
        type=bounded.type,
        content=bounded.text,
        media=dict(bounded.media),
        external_id=bounded.external_id,
        raw=raw,
        provider_timestamp=bounded.timestamp,
        task=queue.task_name(queue.FETCH_MEDIA if fetch else queue.HANDLE_INBOUND),
    )


def _raw_json(body: bytes) -> str | None:
    """The body as JSON text to keep with each message, scrubbed of what jsonb cannot hold
    (the same value ``api.webhooks`` keeps on the full path)."""
    try:
        decoded = scrub(json.loads(body))
    except (ValueError, RecursionError):
        return None
    return json.dumps(decoded if isinstance(decoded, dict) else {"payload": decoded})
