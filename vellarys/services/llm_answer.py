"""The LLM step of a reply: budget checks, the model's tool loop in a savepoint, and what it
leaves whatever happens — its tokens, its trace (outside the savepoint) and its metrics.

``services.reply`` calls ``llm_answer`` and falls back to the offline planner on None.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import replace
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.base import NO_VALUE

from vellarys.db.models import Lead
from vellarys.db.queries import tenant as tenant_queries
from vellarys.domain.conversation import BrainReply, ConversationContext
from vellarys.services import llm_traces
from vellarys.services.deps import PipelineDeps
from vellarys.services.llm_brain import LlmTurn, Spent, llm_reply, record_spend
from vellarys.services.retrieval import optional_step

log = logging.getLogger(__name__)
_EMPTY = BrainReply(messages=[], brain="llm")


async def llm_answer(
    session: AsyncSession,
    deps: PipelineDeps,
    *,
    lead: Lead,
    settings: dict[str, Any],
    context: ConversationContext,
    profile: dict[str, Any],
    message_id: uuid.UUID | None = None,
    spent: list[Spent] | None = None,
) -> BrainReply | None:
    """The configured LLM's reply, or None (no LLM, budget spent, or any failure).

    Every call leaves a trace (outside the savepoint, like its tokens) and reports metrics."""
    held = _hold_back(lead)
    try:
        return await _answer(
            session,
            deps,
            lead=lead,
            settings=settings,
            context=context,
            profile=profile,
            message_id=message_id,
            spent=spent,
        )
    finally:
        _put_back(lead, held)


async def _answer(
    session: AsyncSession,
    deps: PipelineDeps,
    *,
    lead: Lead,
    settings: dict[str, Any],
    context: ConversationContext,
    profile: dict[str, Any],
    message_id: uuid.UUID | None = None,
    spent: list[Spent] | None = None,
) -> BrainReply | None:
    chat = deps.chat_for(settings)
    if chat is None:
        return None
    today = deps.clock.now().date()
    tenant = await tenant_queries.get(session, lead.tenant_id)
    agency = tenant.slug if tenant else ""
    over = await llm_traces.budget_spent(session, deps, lead)
    if over is not None:
        log.warning("LLM token budget spent (%s); the offline brain answers", over)
        deps.observe_llm(llm_traces.skipped(over, agency))
        return None
    turn = LlmTurn(
        session=session,
        embedder=deps.embedder,
        tenant_id=lead.tenant_id,
        text=context.text,
        settings=settings,
        now=deps.clock.now(),
        lead=lead,
        deps=deps,
        history=context.history,
    )
    turn.spend.names = [n for n in (lead.name, profile.get("name")) if isinstance(n, str)]
    started = time.monotonic()
    reply = await optional_step(
        session, "llm", lambda: llm_reply(turn, chat, context, profile=profile, today=today), None
    )
    seconds = time.monotonic() - started
    if reply is None and turn.spend.error is None:
        turn.spend.error = "the LLM step failed outside the model (see the log)"
    await record_spend(session, lead.tenant_id, today, turn.spend)
    report = await llm_traces.record_trace(
        session,
        tenant_id=lead.tenant_id,
        lead_id=lead.id,
        message_id=message_id,
        spend=turn.spend,
        seconds=seconds,
        agency=agency,
    )
    if spent is not None:
        spent.append(Spent(turn.spend, seconds, message_id))
    deps.observe_llm(report)
    if reply is None and turn.spend.state is not None:
        # The fallback keeps what the model validly learned: profile fields and a handoff.
        state = turn.spend.state
        return replace(
            _EMPTY,
            profile=state.profile,
            handoff_reason=state.handoff_reason,
            route=state.route,
            handoff_note=state.handoff_note,
        )
    return reply


async def llm_configured(session: AsyncSession, deps: PipelineDeps, lead: Lead) -> bool:
    """Whether the lead's agency answers with a model (its own, or the deployment's)."""
    tenant = await tenant_queries.get(session, lead.tenant_id)
    return deps.chat_for(dict(tenant.settings) if tenant else {}) is not None


def _hold_back(lead: Lead) -> dict[str, tuple[Any, Any]]:
    """Set the lead's unwritten changes aside (back to the stored values) while the model
    thinks: the savepoint's flush then leaves the lead's row unlocked, so the webhook can
    store the lead's next message meanwhile, and that message's job answers the whole burst
    (``inbound.handle_inbound``)."""
    state = inspect(lead)
    held: dict[str, tuple[Any, Any]] = {}
    for key, stored in list(state.committed_state.items()):
        if stored is not NO_VALUE:
            held[key] = (stored, getattr(lead, key))
    for key, (stored, _) in held.items():
        setattr(lead, key, stored)
    return held


def _put_back(lead: Lead, held: dict[str, tuple[Any, Any]]) -> None:
    """The changes set aside, except where a tool changed the field meanwhile (a handoff)."""
    unloaded = inspect(lead).unloaded  # expired by a rolled-back savepoint: left as stored
    for key, (stored, changed) in held.items():
        if key not in unloaded and getattr(lead, key) == stored:
            setattr(lead, key, changed)
