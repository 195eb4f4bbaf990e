"""The LLM brain: an OpenAI-compatible model with tools, checked against what the tools returned.

Any failure — timeout, 429/5xx, invalid JSON, an unknown tool, too many rounds, or a reply
that states a listing or a price no tool returned — raises ``LLMError`` and the caller
falls back to the offline brain, so the lead always gets an answer.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import Lead
from vellarys.db.queries import usage as usage_queries
from vellarys.domain.conversation import BrainReply, ConversationContext, Turn
from vellarys.domain.guardrail import check_reply, money_amounts, role_mismatches
from vellarys.domain.intent import listing_codes
from vellarys.domain.llm import ChatModel, ChatResult
from vellarys.domain.ports import Embedder
from vellarys.domain.prompt import TOOLS, build_messages
from vellarys.errors import LLMError
from vellarys.services.deps import PipelineDeps
from vellarys.services.llm_prefetch import assistant_message, prefetched, tool_message
from vellarys.services.llm_tools import FIRE_AND_FORGET, ToolState, run_tool

log = logging.getLogger(__name__)
MAX_TOOL_ROUNDS = 4
# The whole reply (every round and tool) must finish in this time, or the offline brain answers.
REPLY_DEADLINE_SECONDS = 45.0
REPAIR_NOTE = (
    "Sua resposta foi recusada pela checagem: {reasons}. Reescreva usando só códigos e valores "
    "que as ferramentas devolveram nesta conversa; sem descontos nem promessas."
)
# WhatsApp reads better in short bubbles: split the model's answer on blank lines.
MAX_PARTS = 4


@dataclass
class LlmSpend:
    """What one reply cost and learned; read by the caller even when the reply falls back."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    rounds: int = 0
    refused: list[str] = field(default_factory=list)
    state: ToolState | None = None
    # For the trace: the first round's messages, every tool call, refused drafts, the error.
    prompt: list[dict[str, Any]] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    drafts: list[str] = field(default_factory=list)
    model: str = ""
    error: str | None = None
    superseded: bool = False  # a newer lead message took over: this reply was never sent
    names: list[str] = field(default_factory=list)  # the lead's names, masked in the trace
    kind: str = "reply"  # or "summary": the lead's rolling summary

    def add(self, result: ChatResult) -> None:
        self.prompt_tokens += result.prompt_tokens
        self.completion_tokens += result.completion_tokens
        self.rounds += 1
        self.model = result.model or self.model
        self.tool_calls += [{"name": c.name, "arguments": c.arguments} for c in result.tool_calls]

    @property
    def outcome(self) -> str:
        """answered (first draft passed), repaired, fallback (refused or no answer), error;
        superseded when a newer message took over the burst before it was sent."""
        if self.superseded:
            return "superseded"
        if self.kind == "summary":
            return "summary" if self.error is None else "error"
        if self.error is None:
            return "repaired" if self.refused else "answered"
        if self.refused or "kept calling tools" in self.error:
            return "fallback"
        return "error"


@dataclass(frozen=True, slots=True)
class Spent:
    """One LLM reply of a job: what it cost, how long it took, the message it answered."""

    spend: LlmSpend
    seconds: float
    message_id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class LlmTurn:
    session: AsyncSession
    embedder: Embedder | None
    tenant_id: uuid.UUID
    text: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    spend: LlmSpend = field(default_factory=LlmSpend)
    now: datetime | None = None  # the agency's clock goes into the prompt
    # For the visit tool: the lead, the pipeline (clock, handoff) and the earlier turns.
    lead: Lead | None = None
    deps: PipelineDeps | None = None
    history: Sequence[Turn] = ()


async def tokens_used_today(session: AsyncSession, tenant_id: uuid.UUID, today: date) -> int:
    return await usage_queries.tokens_on(session, tenant_id, today)


async def record_spend(
    session: AsyncSession, tenant_id: uuid.UUID, today: date, spend: LlmSpend
) -> None:
    """Write one reply's tokens outside its savepoint, so a fallback's tokens still count."""
    if spend.prompt_tokens or spend.completion_tokens:
        await usage_queries.add(
            session,
            tenant_id,
            today,
            prompt=spend.prompt_tokens,
            completion=spend.completion_tokens,
        )


async def llm_reply(
    turn: LlmTurn,
    chat: ChatModel,
    context: ConversationContext,
    *,
    profile: dict[str, Any],
    today: date,
) -> BrainReply:
    """Run the tool loop and return a checked reply; raise ``LLMError`` to fall back.

    Tokens go to ``turn.spend`` (the caller records them); a refused draft gets one repair
    round with the reasons, then one text-only round, then the fallback.
    """
    deadline = float(turn.settings.get("llm_reply_deadline_seconds") or REPLY_DEADLINE_SECONDS)
    try:
        async with asyncio.timeout(deadline):
            return await _rounds(turn, chat, context, profile)
    except TimeoutError:
        turn.spend.error = f"the reply took longer than {deadline:.0f} s"
        raise LLMError(turn.spend.error) from None
    except LLMError as exc:
        turn.spend.error = str(exc)[:500]
        raise


async def _rounds(
    turn: LlmTurn, chat: ChatModel, context: ConversationContext, profile: dict[str, Any]
) -> BrainReply:
    state = verified_facts(context, profile)
    turn.spend.state = state
    messages = build_messages(context, profile=profile, now=turn.now)
    messages += await prefetched(turn, state, context, profile)
    turn.spend.prompt = [dict(m) for m in messages]
    turn.spend.model = getattr(chat, "model", "") or ""
    repairs = 0
    for _ in range(MAX_TOOL_ROUNDS + 2):
        result = await chat.complete(messages, tools=() if repairs >= 2 else TOOLS)
        turn.spend.add(result)
        if result.tool_calls:
            messages.append(assistant_message(result))
            for call in result.tool_calls:
                messages.append(tool_message(call, await run_tool(turn, state, call)))
            if not _answered_with_calls(result):
                continue
        violations = _violations(result, state)
        if not violations:
            return _final(result, state)
        turn.spend.refused.append("; ".join(violations))
        turn.spend.drafts.append((result.content or "")[:1000])
        repairs += 1
        if repairs > 2:
            raise LLMError("reply refused by the guardrail: " + "; ".join(violations))
        if not result.tool_calls:
            messages.append({"role": "assistant", "content": result.content or ""})
        messages.append(
            {"role": "user", "content": REPAIR_NOTE.format(reasons="; ".join(violations))}
        )
    raise LLMError("the model kept calling tools without answering")


def _answered_with_calls(result: ChatResult) -> bool:
    """Text that comes with calls whose results it does not need (a hand-off, a profile
    correction) is the reply: no further round."""
    names = {c.name for c in result.tool_calls}
    return bool((result.content or "").strip()) and names <= FIRE_AND_FORGET


def verified_facts(context: ConversationContext, profile: Mapping[str, Any]) -> ToolState:
    """Facts already vouched for in this conversation: sent replies, the lead's own words."""
    period = "month" if context.settings.get("iptu_period") == "month" else "year"
    state = ToolState(profile=dict(profile), iptu_period=period)
    state.amounts |= {
        float(v)
        for v in profile.values()
        if isinstance(v, int | float) and not isinstance(v, bool) and v >= 100
    }
    for turn in [*context.history, *context.new_messages]:
        if turn.role not in ("user", "assistant"):
            continue
        state.codes |= set(listing_codes(turn.content))
        state.codes |= {str(c) for c in turn.media.get("properties") or []}
        state.amounts |= {float(a) for a in money_amounts(turn.content)}
    return state


def _violations(result: ChatResult, state: ToolState) -> list[str]:
    text = (result.content or "").strip()
    if not text:
        return ["empty reply"]
    return check_reply(
        text, allowed_codes=state.codes, allowed_amounts=state.amounts
    ) + role_mismatches(text, state.profile)


def _final(result: ChatResult, state: ToolState) -> BrainReply:
    text = (result.content or "").strip()
    parts = [p.strip() for p in text.split("\n\n") if p.strip()]
    if len(parts) > MAX_PARTS:
        parts = [*parts[: MAX_PARTS - 1], "\n\n".join(parts[MAX_PARTS - 1 :])]
    return BrainReply(
        messages=parts,
        profile=state.profile,
        handoff_reason=state.handoff_reason,
        route=state.route,
        handoff_note=state.handoff_note,
        property_codes=state.shown,
        brain="llm",
        open_question=state.open_question,
    )
