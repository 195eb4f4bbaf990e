"""Files leads send: downloaded by a job, held to a size and a type, stored in PostgreSQL,
read (voice notes transcribed, pictures OCR'd), then answered like text.

The job runs in steps with its own units of work, so no transaction stays open across a
download or a transcription: ``plan_fetch`` -> provider download -> ``store_file`` ->
``read_file`` (no session) -> ``finish``.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db import queue
from vellarys.db.models import Channel, MediaFile, Message, Tenant
from vellarys.db.queries import channel as channel_queries
from vellarys.db.queries import media as media_queries
from vellarys.db.queries import message as message_queries
from vellarys.db.queries import property as property_queries
from vellarys.domain import features
from vellarys.domain.media import (
    FetchedMedia,
    catalog_hint,
    check_media,
    content_type_for,
    transcription_prompt,
)
from vellarys.errors import MediaReadError
from vellarys.services.deps import PipelineDeps
from vellarys.services.property_search import known_places

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FetchPlan:
    """What the download step needs, read in the job's first unit of work."""

    message_id: uuid.UUID
    tenant_id: uuid.UUID
    kind: str
    external_id: str
    media: dict[str, Any]
    channel: Channel | None
    stored: bool  # the file is already in the database (simulator upload, a retried job)
    voice: bool = True  # the agency's voice switch: off -> the note is kept, not transcribed


@dataclass(frozen=True, slots=True)
class ReadText:
    """What reading a file gave: ``kind`` is ``transcript`` or ``ocr``."""

    kind: str
    text: str
    seconds: float
    error: str | None = None


async def plan_fetch(session: AsyncSession, *, message_id: uuid.UUID) -> FetchPlan | None:
    """None when the message is gone or already answered."""
    message = await message_queries.get_for_update(session, message_id)
    if message is None or message.processed_at is not None:
        return None
    channel = (
        None
        if message.channel_id is None
        else await channel_queries.get(session, message.tenant_id, message.channel_id)
    )
    stored = await media_queries.for_message(session, message.tenant_id, message.id)
    tenant = await session.get(Tenant, message.tenant_id)
    return FetchPlan(
        message_id=message.id,
        tenant_id=message.tenant_id,
        kind=message.type,
        external_id=message.external_id or "",
        media=dict(message.media or {}),
        channel=channel,
        stored=stored is not None and stored.data is not None,
        voice=tenant is None or features.enabled(tenant.features, features.VOICE),
    )


async def store_file(
    session: AsyncSession,
    deps: PipelineDeps,
    *,
    tenant_id: uuid.UUID,
    message_id: uuid.UUID,
    kind: str,
    fetched: FetchedMedia,
    declared_type: str | None,
) -> MediaFile:
    """Keep a downloaded or uploaded file; ``MediaRefused`` when it is too big or of a type
    its kind cannot be (the message then gets ``media_error`` and an honest answer)."""
    content_type = content_type_for(kind, fetched.content_type, declared_type)
    check_media(
        kind,
        content_type=content_type,
        size=len(fetched.data),
        max_bytes=deps.settings.media_max_bytes,
    )
    now = deps.clock.now()
    row = MediaFile(
        tenant_id=tenant_id,
        message_id=message_id,
        kind=kind,
        content_type=content_type[:120],
        size=len(fetched.data),
        sha256=hashlib.sha256(fetched.data).hexdigest(),
        data=fetched.data,
        expires_at=now + timedelta(days=deps.settings.media_retention_days),
    )
    session.add(row)
    await session.flush()
    return row


async def reading_prompt(session: AsyncSession, *, tenant_id: uuid.UUID) -> tuple[str, list[str]]:
    """The speech prompt (the agency's neighbourhoods and codes) and the codes themselves."""
    neighborhoods, _cities = await known_places(session, tenant_id)
    codes = await property_queries.available_codes(session, tenant_id)
    return transcription_prompt(neighborhoods, codes), codes


async def load_file(
    session: AsyncSession, *, tenant_id: uuid.UUID, message_id: uuid.UUID
) -> MediaFile | None:
    return await media_queries.for_message(session, tenant_id, message_id)


async def read_file(
    deps: PipelineDeps,
    *,
    kind: str,
    data: bytes,
    content_type: str,
    prompt: str,
    voice: bool = True,
) -> ReadText | None:
    """Transcribe a voice note (unless the agency's ``voice`` switch is off) or read the
    text of a picture; None for other kinds. A failure is a ``ReadText`` with ``error``: the
    lead is still answered."""
    started = time.perf_counter()
    try:
        if kind == "audio" and voice and deps.transcriber is not None:
            text = await deps.transcriber.transcribe(data, content_type=content_type, prompt=prompt)
            return ReadText("transcript", text, time.perf_counter() - started)
        if kind == "image" and deps.text_reader is not None:
            text = await deps.text_reader.read(data)
            return ReadText("ocr", text, time.perf_counter() - started)
    except MediaReadError as exc:
        log.warning("could not read a media file", extra={"kind": kind, "error": exc.message})
        return ReadText(kind, "", time.perf_counter() - started, exc.message)
    return None


async def finish(
    session: AsyncSession,
    deps: PipelineDeps,
    *,
    message_id: uuid.UUID,
    read: ReadText | None,
    codes: list[str],
    error: str | None = None,
) -> bool:
    """Record what was read (or why nothing was) on the message and its file, then queue
    the answer. False when the message was answered meanwhile."""
    message = await message_queries.get_for_update(session, message_id)
    if message is None or message.processed_at is not None:
        return False
    media = dict(message.media or {})
    if error is not None:
        media["media_error"] = error[:500]
    if read is not None:
        _apply_read(media, read, codes)
        stored = await media_queries.for_message(session, message.tenant_id, message.id)
        if stored is not None and not read.error:
            stored.text_kind, stored.text = read.kind, read.text
            stored.read_seconds = round(read.seconds, 3)
    message.media = media
    await _queue_answer(session, deps, message=message)
    return True


def _apply_read(media: dict[str, Any], read: ReadText, codes: list[str]) -> None:
    media["read_seconds"] = round(read.seconds, 3)
    if read.error:
        media["media_error"] = read.error[:500]
        return
    if read.kind == "transcript":
        media["transcript"] = read.text
        return
    media["ocr_text"] = read.text[:4000]
    hint = catalog_hint(read.text, codes)
    if hint.code:
        media["listing_code"] = hint.code
    for key, value in (("portal_url", hint.url), ("price_seen", hint.price)):
        if value:
            media[key] = value


async def _queue_answer(session: AsyncSession, deps: PipelineDeps, *, message: Message) -> None:
    await queue.defer_handle_inbound(
        session, message_id=message.id, lead_id=message.lead_id, run_at=deps.clock.now()
    )


async def prune_media(session: AsyncSession, *, now: datetime) -> int:
    """Delete the bytes of every expired file, in batches; transcripts and OCR text stay."""
    total = 0
    while pruned := await media_queries.prune_expired(session, now=now):
        total += pruned
    return total
