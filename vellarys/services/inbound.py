"""handle_inbound: answer a lead's new message(s) — the processing step of the pipeline."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db import queue
from vellarys.db.models import Lead, Message
from vellarys.db.queries import lead as lead_queries
from vellarys.db.queries import message as message_queries
from vellarys.db.queries import turn as turn_queries
from vellarys.domain import phrases
from vellarys.domain.conversation import Turn
from vellarys.domain.glossary import HandoffReason
from vellarys.domain.intent import detect_intents
from vellarys.domain.media import understood_line
from vellarys.domain.privacy_request import OPT_OUT
from vellarys.services import (
    llm_traces,
    privacy_requests,
    property_search,
    understanding,
    webhooks,
)
from vellarys.services.calls import answer_missed_call, is_missed_call
from vellarys.services.deps import PipelineDeps
from vellarys.services.handoff import hand_off
from vellarys.services.llm_brain import Spent
from vellarys.services.nearby import listings_near
from vellarys.services.outbound import queue_outbound, store_outbound
from vellarys.services.reply import answer, learn_while_paused, llm_configured
from vellarys.services.summary import summary_due
from vellarys.services.visits import reply_in_chat

log = logging.getLogger(__name__)


FALLBACK_ANSWER = (
    "Recebi sua mensagem, obrigado! 🙂 Estou levando um pouco mais de tempo que o normal "
    "para responder. Já te retorno por aqui."
)


@dataclass(frozen=True, slots=True)
class InboundOutcome:
    """What processing did: ``answered``, ``holding`` (past its time budget: the lead was
    told the answer is coming and the job runs again), ``handed_off`` (past the budget on the
    last try: a broker answers), ``folded`` (a newer message answers the burst),
    ``superseded`` (one arrived while this burst was being answered: nothing was sent, its
    job answers them all), ``opted_out``, ``lgpd_request`` (confirmed, a task for the
    admins), ``paused``, ``silent`` (lead opted out earlier)
    or ``already``."""

    outcome: str
    lead_id: uuid.UUID | None = None
    replies: int = 0


async def handle_inbound(
    session: AsyncSession, deps: PipelineDeps, *, message_id: uuid.UUID
) -> InboundOutcome:
    """Answer the burst of unprocessed messages that ``message_id`` belongs to.

    Safe to run again after a crash: a message already processed is skipped, so a
    rescued job never produces a second reply.
    """
    burst = await message_queries.burst_for_update(session, message_id)
    if not any(m.id == message_id for m in burst):
        return InboundOutcome("already")  # gone, or processed with an earlier burst
    now = deps.clock.now()
    if burst[-1].id != message_id:
        # A newer message's job will answer the whole burst, this one included.
        return InboundOutcome("folded", burst[-1].lead_id)
    tenant_id, lead_id = burst[-1].tenant_id, burst[-1].lead_id
    spent: list[Spent] = []
    jobs: list[queue.Job] = []  # deferred by the statement that closes the burst
    try:
        # Everything this turn writes (the reply queued, the profile, a handoff) is undone
        # when a newer message arrived meanwhile: that message's job answers the whole burst.
        async with session.begin_nested():
            outcome = await _answer_burst(
                session, deps, burst=burst, now=now, spent=spent, jobs=jobs
            )
            closed = turn_queries.finish(
                session, tenant_id=tenant_id, lead_id=lead_id, burst=burst, now=now, jobs=jobs
            )
            if await closed:
                raise _Superseded
    except _Superseded:
        await llm_traces.keep_superseded(
            session, tenant_id=tenant_id, lead_id=lead_id, today=now.date(), spent=spent
        )
        return InboundOutcome("superseded", lead_id)
    return outcome


class _Superseded(Exception):
    """A newer lead message arrived while this burst's reply was being composed."""


async def _answer_burst(
    session: AsyncSession,
    deps: PipelineDeps,
    *,
    burst: list[Message],
    now: datetime,
    spent: list[Spent],
    jobs: list[queue.Job],
) -> InboundOutcome:
    tenant_id = burst[-1].tenant_id
    read = await turn_queries.read(
        session,
        tenant_id,
        burst[-1].lead_id,
        limit=deps.settings.history_limit,
        places=not property_search.places_cached(session, tenant_id),
        staff=not understanding.staff_cached(session, tenant_id),
    )
    assert read is not None  # the message's foreign key guarantees the lead
    if read.places is not None:  # kept for the turn's steps (and the next messages)
        property_search.keep_places(session, tenant_id, *read.places)
    if read.staff is not None:
        understanding.keep_staff(session, tenant_id, read.staff)
    # ``read.tenant`` is held for the whole turn: the session's identity map keeps only weak
    # references, so without it every step that reads the agency's settings would load it again.
    lead = read.lead
    stage, temperature = lead.stage, lead.temperature
    # The messages since the last summary: those read, and those this turn adds.
    summary_base = read.since_summary - message_queries.outbound_added(session, lead.id)
    summarised_at = lead.summary_updated_at
    outcome = await _respond(
        session,
        deps,
        lead=lead,
        history=read.history,
        burst=burst,
        now=now,
        spent=spent,
        jobs=jobs,
        summary_base=summary_base,
        summarised_at=summarised_at,
    )
    if read.hooks:
        await webhooks.announce_changes(session, lead, stage=stage, temperature=temperature)
    return outcome


async def _respond(
    session: AsyncSession,
    deps: PipelineDeps,
    *,
    lead: Lead,
    history: list[Message],
    burst: list[Message],
    now: datetime,
    spent: list[Spent],
    jobs: list[queue.Job],
    summary_base: int,
    summarised_at: datetime | None,
) -> InboundOutcome:
    if lead.opted_out:
        return InboundOutcome("silent", lead.id)
    if any("opt_out" in detect_intents(m.content) for m in burst if m.type == "text"):
        lead.opted_out, lead.opted_out_at = True, now
        await queue_outbound(session, lead=lead, texts=[phrases.OPT_OUT], role="system")
        await privacy_requests.take_request(session, lead=lead, kind=OPT_OUT, now=now)
        return InboundOutcome("opted_out", lead.id, 1)
    asked = privacy_requests.requested_in(burst)
    if asked is not None:
        # A legal request: recorded and confirmed even while a broker has the lead.
        await privacy_requests.take_request(session, lead=lead, kind=asked, now=now)
        return InboundOutcome("lgpd_request", lead.id, 1)
    in_burst = {m.id for m in burst}
    # A choice among offered slots, "não vou conseguir", "remarcar", "cancelar": answered
    # even while a broker has the lead, because the calendar is the assistant's.
    earlier = [_turn(m) for m in history if m.id not in in_burst]
    # With a model, an unpaused lead's visit talk goes to it (it books with its visit tool).
    offline_calendar = lead.ai_paused or not await llm_configured(session, deps, lead)
    if offline_calendar and await _about_visit(
        session, deps, lead=lead, history=earlier, burst=burst
    ):
        return InboundOutcome("answered", lead.id, 1)
    if lead.ai_paused:
        # The broker answers; what the lead says still updates the profile and the score.
        await learn_while_paused(
            session,
            lead=lead,
            history=[_turn(m) for m in history if m.id not in in_burst],
            burst=[_turn(m) for m in burst],
        )
        return InboundOutcome("paused", lead.id)
    called = await _answer_calls(session, deps, lead=lead, history=earlier, burst=burst)
    if called is None or isinstance(called, InboundOutcome):
        return called or InboundOutcome("silent", lead.id)
    calls, burst = called
    near, near_codes = await listings_near(session, deps, lead=lead, burst=burst)
    reply = await answer(
        session,
        deps,
        lead=lead,
        history=[_turn(m) for m in history if m.id not in in_burst],
        burst=[_turn(m) for m in burst],
        message_id=burst[-1].id if burst else None,
        spent=spent,
    )
    media = {
        "asked": reply.asked,
        "brain": reply.brain,
        "properties": [*near_codes, *reply.property_codes],
        "in_reply_to": str(burst[-1].id),
    }
    texts = [*calls, *media_lines(burst), *near, *reply.messages]
    _, sends = store_outbound(
        session,
        lead=lead,
        texts=texts,
        media=media,
        pace_seconds=deps.settings.send_pace_seconds,
    )
    jobs.extend(queue.send_jobs(sends))  # with the reply written at the turn's end
    if lead.first_response_seconds is None and burst:
        lead.first_response_seconds = (now - burst[0].created_at).total_seconds()
    # A summary written during the turn (a handoff writes one) restarts the count.
    rewritten = lead.summary_updated_at != summarised_at
    since = summary_base + message_queries.outbound_added(session, lead.id)
    if not rewritten and summary_due(deps, since):
        jobs.append(queue.summarize_job(lead_id=lead.id, tenant_id=lead.tenant_id))
    return InboundOutcome("answered", lead.id, len(reply.messages))


async def _answer_calls(
    session: AsyncSession,
    deps: PipelineDeps,
    *,
    lead: Lead,
    history: list[Turn],
    burst: list[Message],
) -> InboundOutcome | tuple[list[str], list[Message]] | None:
    """A missed call is answered by message; with nothing else said, that line is the whole
    reply. Returns the outcome when done, else the lines to open the reply with and the rest of
    the burst (None: the burst was only calls, nothing to answer)."""
    said = [m for m in burst if m.type != "call"]
    if not any(is_missed_call(m) for m in burst):
        return ([], said) if said else None
    line, handed_off = await answer_missed_call(session, deps, lead=lead, history=history)
    if handed_off or not said:
        media = {"brain": "call", "in_reply_to": str(burst[-1].id)}
        await queue_outbound(session, lead=lead, texts=[line], media=media)
        return InboundOutcome("answered", lead.id, 1)
    return [line], said


async def _about_visit(
    session: AsyncSession,
    deps: PipelineDeps,
    *,
    lead: Lead,
    history: list[Turn],
    burst: list[Message],
) -> bool:
    said = "\n".join(m.content for m in burst if m.type in ("text", "interactive")).strip()
    turns = [*history, *(_turn(m) for m in burst)]
    found = await reply_in_chat(session, deps, lead=lead, text=said, history=turns)
    if found is None:
        return False
    media = {"brain": "visits", "visit": str(found.visit_id), "in_reply_to": str(burst[-1].id)}
    if found.asked:
        media["asked"] = found.asked
    await queue_outbound(session, lead=lead, texts=found.messages, media=media)
    return True


async def hold(
    session: AsyncSession, deps: PipelineDeps, *, message_id: uuid.UUID, give_up: bool
) -> InboundOutcome:
    """Processing ran past its time budget: tell the lead, once, that the answer is coming.

    The burst stays unprocessed, so the job that runs again (or a newer message's job)
    still answers it: the holding text is a promise, not the answer. ``give_up`` is the
    last try: the burst is closed and a broker takes the lead, so the promise is kept by
    a person.
    """
    message = await message_queries.get_for_update(session, message_id)
    if message is None or message.processed_at is not None:
        return InboundOutcome("already")
    burst = await message_queries.unprocessed_inbound(session, message.tenant_id, message.lead_id)
    if burst and burst[-1].id != message.id:
        return InboundOutcome("folded", message.lead_id)
    lead = await lead_queries.get(session, message.tenant_id, message.lead_id)
    if lead is None or lead.opted_out or lead.ai_paused:
        _close(burst, deps.clock.now())
        return InboundOutcome("silent", message.lead_id)
    held = any((m.media or {}).get("held") for m in burst)
    if not held:
        media = {"brain": "fallback", "in_reply_to": str(message.id)}
        await queue_outbound(session, lead=lead, texts=[FALLBACK_ANSWER], media=media)
        message.media = {**(message.media or {}), "held": True}
    if not give_up:
        return InboundOutcome("holding", lead.id, 0 if held else 1)
    _close(burst, deps.clock.now())
    turns = [_turn(m) for m in burst]
    await hand_off(session, deps, lead=lead, reason=HandoffReason.DELAYED, history=turns)
    return InboundOutcome("handed_off", lead.id, 0 if held else 1)


def _close(burst: list[Message], now: datetime) -> None:
    for item in burst:
        item.processed_at = now


def _turn(message: Message) -> Turn:
    """A voice note understood is what the lead said; a picture that shows one of the
    agency's listings is the lead naming it."""
    media = dict(message.media or {})
    transcript = str(media.get("transcript") or "").strip()
    if transcript:
        return Turn(role=message.role, content=transcript, type="text", media=media)
    if message.type == "location" and media.get("near"):
        # Answered with the listings near it; for the brain it is the lead naming the place.
        return Turn(role=message.role, content="", type="text", media=media)
    code = media.get("listing_code")
    if code:
        content = f"{message.content} {code}".strip()
        return Turn(role=message.role, content=content, type="text", media=media)
    return Turn(role=message.role, content=message.content, type=message.type, media=media)


def media_lines(burst: list[Message]) -> list[str]:
    """What the answer says first about files read: the voice note as understood, the
    listing recognised in a picture."""
    lines: list[str] = []
    for message in burst:
        media = message.media or {}
        if media.get("transcript"):
            lines.append(understood_line(str(media["transcript"])))
        elif media.get("listing_code"):
            lines.append(phrases.LISTING_IN_PICTURE.format(code=media["listing_code"]))
        elif media.get("media_error") and message.type != "audio":  # audio: the planner says it
            lines.append(phrases.FILE_NOT_OPENED)
    return lines
