"""answer: compose the reply to a lead's new message(s) and update what we know about the lead.

Retrieval (knowledge, listings) and the LLM are optional steps: each runs inside a
savepoint and, when it fails, is logged and skipped. The lead always gets an answer,
and a failing step never rolls back the lead's message.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Lead
from vellarys.db.queries import tenant as tenant_queries
from vellarys.domain import qualification, scoring
from vellarys.domain.conversation import BrainReply, ConversationContext, Turn
from vellarys.domain.handoff import lead_notice
from vellarys.domain.intent import detect_intents, listing_codes
from vellarys.domain.listing import ready_to_search
from vellarys.domain.planner import Retrieval, plan_reply
from vellarys.errors import VellarysError
from vellarys.services import knowledge, property_search
from vellarys.services.deps import PipelineDeps
from vellarys.services.handoff import hand_off
from vellarys.services.llm_brain import LlmTurn, llm_reply, tokens_used_today

log = logging.getLogger(__name__)
T = TypeVar("T")
# What an optional step may raise and still be skipped (a bug elsewhere must surface).
OPTIONAL_FAILURES = (SQLAlchemyError, VellarysError, OSError, TimeoutError, ValueError)


async def optional_step(
    session: AsyncSession, name: str, step: Callable[[], Awaitable[T]], default: T
) -> T:
    """Run ``step`` in a savepoint; on failure log, undo only its own writes, return ``default``."""
    try:
        async with session.begin_nested():
            return await step()
    except OPTIONAL_FAILURES as exc:
        log.warning("optional step skipped", extra={"step": name, "error": str(exc)[:300]})
        return default


async def answer(
    session: AsyncSession,
    deps: PipelineDeps,
    *,
    lead: Lead,
    history: Sequence[Turn],
    burst: Sequence[Turn],
) -> BrainReply:
    """The reply to ``burst``; also merges the profile, scores the lead and hands off when due."""
    tenant = await tenant_queries.get(session, lead.tenant_id)
    settings: dict[str, Any] = dict(tenant.settings) if tenant else {}
    text = "\n".join(t.content for t in burst if t.type in ("text", "interactive")).strip()
    last_asked = _last_asked(history)
    no_places: tuple[list[str], list[str]] = ([], [])
    places = await optional_step(
        session, "places", lambda: property_search.known_places(session, lead.tenant_id), no_places
    )
    found = (
        qualification.extract(
            text, known_neighborhoods=places[0], known_cities=places[1], asked=last_asked
        )
        if text
        else {}
    )
    before = dict(lead.custom_data or {})
    profile = qualification.merge(before, found)
    intents = detect_intents(text) if text else frozenset()
    context = ConversationContext(
        agency_name=settings.get("agency_name") or (tenant.name if tenant else ""),
        settings=settings,
        profile=before,
        history=list(history),
        new_messages=list(burst),
        stage=lead.stage,
        summary=lead.summary,
        lead_name=lead.name,
    )
    _update_lead(lead, profile, history, burst, settings)
    reason = _handoff_due(lead, settings)
    reply = None
    if reason is None and text:
        reply = await _llm_reply(
            session, deps, lead=lead, settings=settings, context=context, profile=profile, text=text
        )
    if reply is not None and reply.profile:
        _update_lead(lead, qualification.merge(profile, reply.profile), history, burst, settings)
        reason = _handoff_due(lead, settings)
    if reply is None:
        retrieval = await _retrieve(
            session,
            deps,
            lead=lead,
            profile=profile,
            text=text,
            intents=intents,
            recent_code=_last_shown(history),
        )
        # A lead who asked for a person gets the planner's handoff path (no more questions);
        # a lead who became hot still gets the answer to what they just asked.
        wanted = intents | {"human"} if reason == "requested" else intents
        reply = plan_reply(
            context,
            profile=profile,
            retrieval=retrieval,
            intents=wanted,
            last_asked=last_asked,
            asked_before=_asked_before(history),
            learned=found.keys(),
        )
    reason = reason or reply.handoff_reason
    if reason is None or lead.stage in ("handed_off", "won", "lost"):
        return reply
    _, broker = await hand_off(
        session,
        deps,
        lead=lead,
        reason=reason,
        history=[*history, *burst],
        property_codes=reply.property_codes,
    )
    notice = lead_notice(broker.name if broker else None)
    answered = _without_question(reply) if reason == "hot" else []
    return replace(reply, messages=[*answered, notice], handoff_reason=reason, asked=None)


def _without_question(reply: BrainReply) -> list[str]:
    """The reply minus its closing question: the broker asks the next questions now."""
    messages = list(reply.messages)
    if not reply.asked or not messages:
        return messages
    paragraphs = messages[-1].split("\n\n")
    if paragraphs[-1].rstrip().endswith("?"):
        rest = "\n\n".join(paragraphs[:-1]).strip()
        messages = [*messages[:-1], rest] if rest else messages[:-1]
    return messages


async def _llm_reply(
    session: AsyncSession,
    deps: PipelineDeps,
    *,
    lead: Lead,
    settings: dict[str, Any],
    context: ConversationContext,
    profile: dict[str, Any],
    text: str,
) -> BrainReply | None:
    """The configured LLM's reply, or None (no LLM, budget spent, or any failure)."""
    chat = deps.chat_for(settings)
    if chat is None:
        return None
    today = deps.clock.now().date()
    if (
        await tokens_used_today(session, lead.tenant_id, today)
        >= deps.settings.llm_daily_token_budget
    ):
        log.warning("daily LLM token budget spent; the offline brain answers")
        return None
    turn = LlmTurn(session=session, embedder=deps.embedder, tenant_id=lead.tenant_id, text=text)
    return await optional_step(
        session, "llm", lambda: llm_reply(turn, chat, context, profile=profile, today=today), None
    )


async def _retrieve(
    session: AsyncSession,
    deps: PipelineDeps,
    *,
    lead: Lead,
    profile: dict[str, Any],
    text: str,
    intents: frozenset[str],
    recent_code: str | None = None,
) -> Retrieval:
    if deps.embedder is None or not text:
        return Retrieval()
    embedder, tenant_id = deps.embedder, lead.tenant_id
    hits: list[Any] = []
    if "question" in intents or "financing_question" in intents:
        hits = await optional_step(
            session,
            "knowledge",
            lambda: knowledge.search_knowledge(
                session, embedder, tenant_id=tenant_id, query=text, k=3
            ),
            [],
        )
    codes = listing_codes(text)
    # "Quanto fica a parcela?" is about the listing just shown.
    wanted = codes[0] if codes else (recent_code if "financing_question" in intents else None)
    looked_up = None
    if wanted:
        looked_up = await optional_step(
            session,
            "lookup",
            lambda: property_search.lookup_code(session, tenant_id=tenant_id, code=wanted),
            None,
        )
    search = None
    if ready_to_search(profile):
        search = await optional_step(
            session,
            "properties",
            lambda: property_search.search_properties(
                session, embedder, tenant_id=tenant_id, profile=profile, text=text, k=3
            ),
            None,
        )
    return Retrieval(
        knowledge=tuple(hits),
        properties=tuple(search.hits) if search else (),
        widened=tuple(search.widened) if search else (),
        looked_up=looked_up,
        missing_code=codes[0] if codes and looked_up is None else None,
    )


def _last_asked(history: Sequence[Turn]) -> str | None:
    for turn in reversed(history):
        if turn.role == "assistant":
            asked = turn.media.get("asked")
            return str(asked) if asked else None
        if turn.role == "broker":
            return None
    return None


def _last_shown(history: Sequence[Turn]) -> str | None:
    for turn in reversed(history):
        shown = turn.media.get("properties") if turn.role == "assistant" else None
        if shown:
            return str(shown[0])
    return None


def _asked_before(history: Sequence[Turn]) -> list[str]:
    return [
        str(t.media["asked"]) for t in history if t.role == "assistant" and t.media.get("asked")
    ]


def _update_lead(
    lead: Lead,
    profile: dict[str, Any],
    history: Sequence[Turn],
    burst: Sequence[Turn],
    settings: dict[str, Any],
) -> None:
    inbound = sum(1 for t in [*history, *burst] if t.role == "user")
    threshold = int(settings.get("handoff_threshold") or scoring.HOT_THRESHOLD)
    lead.custom_data = profile
    if profile.get("name") and not lead.name:
        lead.name = profile["name"]
    lead.score = scoring.score(profile, inbound_messages=inbound)
    lead.temperature = scoring.temperature(lead.score, hot_threshold=threshold)
    lead.stage = scoring.next_stage(lead.stage, profile, score=lead.score, hot_threshold=threshold)


def _handoff_due(lead: Lead, settings: dict[str, Any]) -> str | None:
    if lead.stage in ("handed_off", "won", "lost"):
        return None
    threshold = int(settings.get("handoff_threshold") or scoring.HOT_THRESHOLD)
    return scoring.should_hand_off(lead.custom_data, score=lead.score, hot_threshold=threshold)
