"""answer: compose the reply to a lead's new message(s) and update what we know about the lead.

The steps, in order: ``_understand`` (the message's acts and slots, merged into the profile),
``_retrieve`` (knowledge, the listing in focus, matching listings), ``_compose`` (the LLM, or
the offline planner), then ``_finish_handoff`` (a hot or asking lead goes to a person, with
the notice that fits the agency's hours). Their pure parts live in ``domain.dialogue``.

Retrieval (knowledge, listings) and the LLM are optional steps: each runs inside a
savepoint and, when it fails, is logged and skipped. The lead always gets an answer,
and a failing step never rolls back the lead's message.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Lead, Tenant
from vellarys.db.queries import tenant as tenant_queries
from vellarys.domain import dialogue, handoff_promise, qualification, scoring
from vellarys.domain.budget import parse_budget
from vellarys.domain.conversation import BrainReply, ConversationContext, Turn
from vellarys.domain.intent import detect_intents
from vellarys.domain.plan_turn import implied_slots
from vellarys.domain.planner import plan_reply
from vellarys.domain.understanding import INTENT_ACTS, Act
from vellarys.services import llm_visits, plans
from vellarys.services.deps import PipelineDeps
from vellarys.services.handoff import hand_off
from vellarys.services.llm_answer import llm_answer, llm_configured
from vellarys.services.llm_brain import Spent
from vellarys.services.opportunities import note_listing_asks
from vellarys.services.retrieval import (
    OPTIONAL_FAILURES,
    optional_group,
    optional_step,
    places_of,
    retrieve,
)
from vellarys.services.understanding import context_cached, read_message
from vellarys.services.visits import offer_visit, reply_in_chat

log = logging.getLogger(__name__)
_OWNER_INTENTS = frozenset({"sell", "rent_out", "support"})

__all__ = ["OPTIONAL_FAILURES", "answer", "learn_while_paused", "llm_configured", "optional_step"]


@dataclass(frozen=True, slots=True)
class Understood:
    """What the new message(s) say: text, acts, intents, slots and the merged profile."""

    text: str
    acts: tuple[Act, ...]
    intents: frozenset[str]
    found: dict[str, Any]
    profile: dict[str, Any]
    staff_name: str | None


async def answer(
    session: AsyncSession,
    deps: PipelineDeps,
    *,
    lead: Lead,
    history: Sequence[Turn],
    burst: Sequence[Turn],
    message_id: uuid.UUID | None = None,
    spent: list[Spent] | None = None,
) -> BrainReply:
    """The reply to ``burst``; also merges the profile, scores the lead and hands off when due.

    ``message_id`` (the burst's last message) names the LLM trace of this reply; each LLM
    reply is also appended to ``spent``, for a caller that may undo this turn's writes."""
    spent = spent if spent is not None else []
    tenant = await tenant_queries.get(session, lead.tenant_id)
    settings: dict[str, Any] = dict(tenant.settings) if tenant else {}
    heard = await _understand(session, deps, lead=lead, history=history, burst=burst)
    llm_off = await _llm_withheld(session, deps, tenant)
    asked = [a.listing_code for a in heard.acts if a.kind == "listing_question" and a.listing_code]
    if asked:
        # A second question about one listing opens a deal on it; never at the reply's cost.
        await optional_step(
            session, "opportunity", lambda: note_listing_asks(session, lead=lead, codes=asked), 0
        )
    context = ConversationContext(
        agency_name=settings.get("agency_name") or (tenant.name if tenant else ""),
        settings=settings,
        profile=dict(lead.custom_data or {}),
        history=list(history),
        new_messages=list(burst),
        stage=lead.stage,
        summary=lead.summary,
        lead_name=lead.name,
        now=deps.clock.now(),
    )
    _update_lead(lead, heard.profile, history, burst, settings)
    reason = _handoff_due(lead, settings)
    visiting = "visit" in heard.intents and lead.stage not in ("handed_off", "won", "lost")
    with session.no_autoflush:  # the lead's row stays unlocked while the model thinks
        open_visit = deps.chat_for(settings) is not None and (
            visiting or bool(await llm_visits.open_visit(session, deps, lead=lead))
        )
    if open_visit:
        # The model books with its visit tool (the lead is handed over once a slot is
        # booked); when it fails, the offline booking answers as it does with no model.
        reply = await _compose(
            session,
            deps,
            lead=lead,
            heard=heard,
            context=context,
            reason=None,
            message_id=message_id,
        )
        if reply.brain == "llm":
            return await _conclude(session, deps, lead, reply, None, heard, history, burst)
        said = await reply_in_chat(
            session, deps, lead=lead, text=heard.text, history=[*history, *burst]
        )
        if said is not None:
            return BrainReply(messages=said.messages, brain="visits")
        if not visiting:  # the planner already answered; the model is not asked twice
            return await _conclude(session, deps, lead, reply, reason, heard, history, burst)
    offer = None
    if visiting:
        # A visit is booked first; the lead is handed over once a slot is chosen.
        offer = await offer_visit(session, deps, lead=lead, text=heard.text, history=history)
    if offer is not None:
        reason, heard = None, replace(heard, intents=heard.intents | {"visit_offered"})
    reply = await _compose(
        session,
        deps,
        lead=lead,
        heard=heard,
        context=context,
        reason=reason,
        message_id=message_id,
        llm_off=llm_off,
        spent=spent,
    )
    if offer is not None:
        return replace(reply, messages=[*reply.messages, *offer.messages], asked=None)
    return await _conclude(session, deps, lead, reply, reason, heard, history, burst)


async def _conclude(
    session: AsyncSession,
    deps: PipelineDeps,
    lead: Lead,
    reply: BrainReply,
    reason: str | None,
    heard: Understood,
    history: Sequence[Turn],
    burst: Sequence[Turn],
) -> BrainReply:
    """Keep the reply's open question; hand the lead over when due (``reason``) or asked."""
    if reply.open_question:
        lead.custom_data = dialogue.add_open_question(lead.custom_data, reply.open_question)
    reason = reason or reply.handoff_reason
    if reason is None or lead.stage in ("handed_off", "won", "lost"):
        return reply
    return await _finish_handoff(
        session,
        deps,
        lead=lead,
        reply=reply,
        reason=reason,
        heard=heard,
        history=history,
        burst=burst,
    )


async def _understand(
    session: AsyncSession,
    deps: PipelineDeps,
    *,
    lead: Lead,
    history: Sequence[Turn],
    burst: Sequence[Turn],
) -> Understood:
    """Acts and slots of the new message(s), merged into the stored profile."""
    text = _text_of(burst)
    asked = dialogue.last_asked(history)
    places = await places_of(session, lead.tenant_id)
    before = dict(lead.custom_data or {})
    found = _slots(text, burst, places, asked=asked, profile=before)
    no_acts: list[Act] = []
    acts = await optional_step(
        session,
        "understanding",
        lambda: read_message(session, deps, lead=lead, history=history, text=text),
        no_acts,
        sql=not context_cached(session, lead.tenant_id),
    )
    found |= _owner_answer(asked, text)
    owner = [a.kind for a in acts if a.kind in _OWNER_INTENTS]
    closing = dialogue.closing_intent(text)
    if closing and before.get("intent") not in ("buy", "invest", "rent"):
        found.setdefault("intent", closing)
    elif owner:
        found["intent"] = owner[-1]
    if (found.get("intent") or before.get("intent")) in ("sell", "rent_out"):
        for key in qualification.BUDGET_SLOTS:  # an owner's price is ``expected_price``
            found.pop(key, None)
    profile = qualification.merge(before, found)
    return Understood(
        text=text,
        acts=tuple(acts),
        intents=_intents(text, acts),
        found=found,
        profile=profile,
        staff_name=next((a.staff_name for a in acts if a.staff_name), None),
    )


async def learn_while_paused(
    session: AsyncSession, *, lead: Lead, history: Sequence[Turn], burst: Sequence[Turn]
) -> None:
    """Keep the profile and score current while a broker has the conversation (no reply)."""
    text = _text_of(burst)
    if not text:
        return
    places = await places_of(session, lead.tenant_id)
    before = dict(lead.custom_data or {})
    # A bare answer to the last question ("qual é o seu nome completo?") is still understood.
    asked = dialogue.last_asked(history)
    found = _slots(text, burst, places, asked=asked, profile=before)
    tenant = await tenant_queries.get(session, lead.tenant_id)
    settings: dict[str, Any] = dict(tenant.settings) if tenant else {}
    _update_lead(lead, qualification.merge(before, found), history, burst, settings)


def _text_of(burst: Sequence[Turn]) -> str:
    return "\n".join(t.content for t in burst if t.type in ("text", "interactive")).strip()


def _slots(
    text: str,
    burst: Sequence[Turn],
    places: tuple[list[str], list[str]],
    *,
    asked: str | None,
    profile: dict[str, Any],
) -> dict[str, Any]:
    """The slots the burst states; a button's title is never taken as the lead's name."""
    if not text:
        return {}
    return qualification.extract(
        text,
        known_neighborhoods=places[0],
        known_cities=places[1],
        asked=asked,
        intent=profile.get("intent"),
        name_allowed=any(t.type == "text" for t in burst),
    )


def _intents(text: str, acts: Sequence[Act]) -> frozenset[str]:
    """The planner's intents: the keyword ones, the acts' kinds, and the dialogue signals."""
    if not text:
        return frozenset()
    # A complaint only from a rule: the nearest examples hear one in "não tenho fiador".
    kinds = {a.kind for a in acts if a.kind != "complaint" or a.source == "rule"}
    kinds = kinds - set(INTENT_ACTS) | {a.kind for a in acts if a.kind in _OWNER_INTENTS}
    found = set(detect_intents(text)) | kinds
    if "visit_request" in kinds:
        found.add("visit")
    if "ask_human" in kinds:
        found.add("human")
    if {"listing_question", "cost_question", "knowledge_question"} & kinds:
        found.add("question")
    if dialogue.closing_signal(text):
        found.add("closing")
        found -= _OWNER_INTENTS  # ready to close: a buyer, not a client with a problem
    if dialogue.wants_more(text):
        found.add("more")
    return frozenset(found)


def _owner_answer(asked: str | None, text: str) -> dict[str, Any]:
    """An owner's reply to an owner question is kept as they wrote it (a price is parsed)."""
    if asked not in dialogue.OWNER_SLOTS or not text:
        return {}
    if asked == "expected_price":
        budget = parse_budget(text, assume_money=True)
        value = budget.maximum or budget.minimum if budget else None
        return {asked: value or text[:200]}
    return {asked: text[:200]}


async def _compose(
    session: AsyncSession,
    deps: PipelineDeps,
    *,
    lead: Lead,
    heard: Understood,
    context: ConversationContext,
    reason: str | None,
    message_id: uuid.UUID | None = None,
    llm_off: str | None = None,
    spent: list[Spent] | None = None,
) -> BrainReply:
    """The LLM's reply when one is configured, allowed (``llm_off`` None) and succeeds, else
    the offline planner's."""
    settings = dict(context.settings)
    reply = None
    if llm_off is None and reason is None and heard.text and "visit_offered" not in heard.intents:
        reply = await llm_answer(
            session,
            deps,
            lead=lead,
            settings=settings,
            context=context,
            profile=heard.profile,
            message_id=message_id,
            spent=spent,
        )
    if reply is not None and reply.profile:
        merged = qualification.merge(heard.profile, reply.profile)
        _update_lead(lead, merged, context.history, context.new_messages, settings)
        heard = replace(heard, profile=merged)
    if reply is not None and reply.messages:
        return reply
    kept = reply if reply is not None and reply.handoff_reason else None
    # Its lookups are optional reads under one savepoint (``optional_group``).
    retrieval = await optional_group(
        session,
        "retrieval",
        lambda: retrieve(
            session,
            deps,
            tenant_id=lead.tenant_id,
            profile=heard.profile,
            text=heard.text,
            intents=heard.intents,
            history=context.history,
            acts=heard.acts,
            settings=settings,
        ),
    )
    # A lead who asked for a person gets the planner's handoff path (no more questions);
    # a lead who became hot still gets the answer to what they just asked.
    wanted = heard.intents | {"human"} if reason == "requested" else heard.intents
    planned = plan_reply(
        context,
        profile=heard.profile,
        retrieval=retrieval,
        intents=wanted,
        last_asked=dialogue.last_asked(context.history),
        asked_before=dialogue.asked_before(context.history),
        learned=heard.found.keys(),
    )
    implied = implied_slots(heard.profile, retrieval)  # "o AP1402 aceita pet?": a renter
    if implied:
        _update_lead(
            lead, {**heard.profile, **implied}, context.history, context.new_messages, settings
        )
    if kept is None or planned.handoff_reason:
        return planned
    return replace(
        planned,
        handoff_reason=kept.handoff_reason,
        route=kept.route,
        handoff_note=kept.handoff_note,
    )


async def _finish_handoff(
    session: AsyncSession,
    deps: PipelineDeps,
    *,
    lead: Lead,
    reply: BrainReply,
    reason: str,
    heard: Understood,
    history: Sequence[Turn],
    burst: Sequence[Turn],
) -> BrainReply:
    """Hand the lead to a person and tell them who, and when if the agency is closed."""
    if reason == "hot" or "closing" in heard.intents or "visit" in heard.intents:
        lead.temperature = "hot"
    tenant = await tenant_queries.get(session, lead.tenant_id)
    settings: dict[str, Any] = dict(tenant.settings) if tenant else {}
    # "me liga amanhã depois das 18h": the broker reads the time on the lead and the handoff.
    asked_time = handoff_promise.contact_time(heard.text, deps.clock.now(), settings)
    if asked_time:
        lead.custom_data = {**lead.custom_data, "contact_time": asked_time}
    _, broker = await hand_off(
        session,
        deps,
        lead=lead,
        reason=reason,
        history=[*history, *burst],
        property_codes=reply.property_codes,
        staff_name=heard.staff_name,
        route=reply.route,
        note=reply.handoff_note,
    )
    notice = handoff_promise.handoff_notice(
        broker.name if broker else None,
        settings=settings,
        now=deps.clock.now(),
        lead_text=heard.text,
    )
    # What the lead asked is still answered; a bare "quero falar com alguém" needs only the notice.
    # The model's own words already answer the lead (an owner, a client with a leak).
    said_why = bool(reply.route) or bool(heard.intents & {"closing", "visit"})
    said_why = said_why or (reply.brain == "llm" and bool(reply.messages))
    said_why = said_why or bool(reply.handoff_note)  # the planner explained it (no listings)
    answered = dialogue.without_question(reply) if reason == "hot" or said_why else []
    return replace(reply, messages=[*answered, notice], handoff_reason=reason, asked=None)


async def _llm_withheld(
    session: AsyncSession, deps: PipelineDeps, tenant: Tenant | None
) -> str | None:
    if tenant is None:
        return None
    withheld = await plans.llm_withheld(session, tenant, deps.clock.now())
    if withheld is not None:
        log.warning("LLM withheld (%s); the offline brain answers", withheld)
    return withheld


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
    if lead.custom_data.get("intent") in _OWNER_INTENTS:
        return None  # owners and clients are routed by the planner, not by the buyer score
    threshold = int(settings.get("handoff_threshold") or scoring.HOT_THRESHOLD)
    return scoring.should_hand_off(lead.custom_data, score=lead.score, hot_threshold=threshold)
