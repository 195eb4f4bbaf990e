"""The LLM brain: an OpenAI-compatible model with tools, checked against what the tools returned.

Any failure — timeout, 429/5xx, invalid JSON, an unknown tool, too many rounds, or a reply
that states a listing or a price no tool returned — raises ``LLMError`` and the caller
falls back to the offline brain, so the lead always gets an answer.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.models import LlmUsage
from vellarys.domain import financing, qualification
from vellarys.domain.cards import PropertyHit
from vellarys.domain.conversation import BrainReply, ConversationContext
from vellarys.domain.guardrail import check_reply, money_amounts
from vellarys.domain.llm import ChatModel, ChatResult, ToolCall
from vellarys.domain.ports import Embedder
from vellarys.domain.prompt import TOOLS, build_messages, validate_profile_update
from vellarys.errors import LLMError
from vellarys.services import knowledge, property_search

log = logging.getLogger(__name__)
MAX_TOOL_ROUNDS = 4
# WhatsApp reads better in short bubbles: split the model's answer on blank lines.
MAX_PARTS = 4


@dataclass
class ToolState:
    """What the tools returned during one reply: the only facts the answer may state."""

    profile: dict[str, Any]
    codes: set[str] = field(default_factory=set)
    amounts: set[float] = field(default_factory=set)
    shown: list[str] = field(default_factory=list)
    handoff_reason: str | None = None

    def allow_hit(self, hit: PropertyHit) -> dict[str, Any]:
        self.codes.add(hit.code)
        if hit.code not in self.shown:
            self.shown.append(hit.code)
        for value in (hit.price, hit.condo_fee, hit.iptu):
            if value:
                self.amounts.add(float(value))
        return {
            "code": hit.code,
            "title": hit.title,
            "type": hit.property_type,
            "transaction": hit.transaction,
            "price": hit.price,
            "condo_fee": hit.condo_fee,
            "iptu": hit.iptu,
            "bedrooms": hit.bedrooms,
            "suites": hit.suites,
            "parking": hit.parking,
            "area_m2": hit.area_m2,
            "neighborhood": hit.neighborhood,
            "city": hit.city,
            "features": list(hit.features),
        }


@dataclass(frozen=True, slots=True)
class LlmTurn:
    session: AsyncSession
    embedder: Embedder | None
    tenant_id: uuid.UUID
    text: str


async def tokens_used_today(session: AsyncSession, tenant_id: uuid.UUID, today: date) -> int:
    found = await session.execute(
        select(LlmUsage.prompt_tokens + LlmUsage.completion_tokens).where(
            LlmUsage.tenant_id == tenant_id, LlmUsage.day == today
        )
    )
    return int(found.scalar_one_or_none() or 0)


async def record_usage(
    session: AsyncSession, tenant_id: uuid.UUID, today: date, result: ChatResult
) -> None:
    statement = insert(LlmUsage).values(
        tenant_id=tenant_id,
        day=today,
        prompt_tokens=result.prompt_tokens,
        completion_tokens=result.completion_tokens,
        requests=1,
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[LlmUsage.tenant_id, LlmUsage.day],
            set_={
                "prompt_tokens": LlmUsage.prompt_tokens + result.prompt_tokens,
                "completion_tokens": LlmUsage.completion_tokens + result.completion_tokens,
                "requests": LlmUsage.requests + 1,
            },
        )
    )


async def llm_reply(
    turn: LlmTurn,
    chat: ChatModel,
    context: ConversationContext,
    *,
    profile: dict[str, Any],
    today: date,
) -> BrainReply:
    """Run the tool loop and return a checked reply; raise ``LLMError`` to fall back."""
    state = ToolState(profile=dict(profile))
    state.amounts |= {float(v) for k, v in profile.items() if k.startswith("budget_") and v}
    messages = build_messages(context, profile=profile)
    for _ in range(MAX_TOOL_ROUNDS):
        result = await chat.complete(messages, tools=TOOLS)
        await record_usage(turn.session, turn.tenant_id, today, result)
        if not result.tool_calls:
            return _final(result, state)
        messages.append(_assistant_message(result))
        for call in result.tool_calls:
            output = await _run_tool(turn, state, call)
            messages.append(
                {
                    "role": "tool",
                    "tool_call_id": call.id,
                    "content": json.dumps(output, ensure_ascii=False, default=str),
                }
            )
    raise LLMError("the model kept calling tools without answering")


def _final(result: ChatResult, state: ToolState) -> BrainReply:
    text = (result.content or "").strip()
    if not text:
        raise LLMError("the model answered nothing")
    violations = check_reply(text, allowed_codes=state.codes, allowed_amounts=state.amounts)
    if violations:
        raise LLMError("reply refused by the guardrail: " + "; ".join(violations))
    parts = [p.strip() for p in text.split("\n\n") if p.strip()]
    if len(parts) > MAX_PARTS:
        parts = [*parts[: MAX_PARTS - 1], "\n\n".join(parts[MAX_PARTS - 1 :])]
    return BrainReply(
        messages=parts,
        profile=state.profile,
        handoff_reason=state.handoff_reason,
        property_codes=state.shown,
        brain="llm",
    )


def _assistant_message(result: ChatResult) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": result.content,
        "tool_calls": [
            {
                "id": c.id,
                "type": "function",
                "function": {
                    "name": c.name,
                    "arguments": json.dumps(c.arguments, ensure_ascii=False),
                },
            }
            for c in result.tool_calls
        ],
    }


async def _run_tool(turn: LlmTurn, state: ToolState, call: ToolCall) -> Any:
    runner = _TOOLS.get(call.name)
    if runner is None:
        raise LLMError(f"the model called an unknown tool {call.name!r}")
    return await runner(turn, state, call.arguments)


async def _search_properties(turn: LlmTurn, state: ToolState, args: dict[str, Any]) -> Any:
    if turn.embedder is None:
        return {"error": "property search is unavailable"}
    wanted = qualification.merge(state.profile, validate_profile_update(args))
    search = await property_search.search_properties(
        turn.session,
        turn.embedder,
        tenant_id=turn.tenant_id,
        profile=wanted,
        text=str(args.get("query") or turn.text),
        k=3,
    )
    return {
        "properties": [state.allow_hit(h) for h in search.hits],
        "relaxed_filters": list(search.widened),
    }


async def _lookup_property(turn: LlmTurn, state: ToolState, args: dict[str, Any]) -> Any:
    hit = await property_search.lookup_code(
        turn.session, tenant_id=turn.tenant_id, code=str(args.get("code") or "")
    )
    return {"property": state.allow_hit(hit)} if hit else {"error": "no listing with that code"}


async def _search_knowledge(turn: LlmTurn, state: ToolState, args: dict[str, Any]) -> Any:
    if turn.embedder is None:
        return {"error": "knowledge search is unavailable"}
    hits = await knowledge.search_knowledge(
        turn.session,
        turn.embedder,
        tenant_id=turn.tenant_id,
        query=str(args.get("question") or turn.text),
        k=3,
    )
    for hit in hits:
        state.amounts |= {float(a) for a in money_amounts(hit.content)}
    return {
        "results": [
            {"title": h.title, "content": h.content, "score": round(h.score, 3)} for h in hits
        ]
    }


async def _simulate(turn: LlmTurn, state: ToolState, args: dict[str, Any]) -> Any:
    try:
        price = Decimal(str(args["price"]))
        down = Decimal(str(args.get("down_payment") or price * Decimal("0.2")))
        result = financing.simulate(
            price,
            down_payment=down,
            fgts=Decimal(str(args.get("fgts") or 0)),
            annual_rate=Decimal(str(args.get("annual_rate") or "0.11")),
            years=int(args.get("years") or 30),
            system=str(args.get("system") or "price"),  # type: ignore[arg-type]
        )
    except (KeyError, ValueError, ArithmeticError) as exc:
        return {"error": f"invalid simulation: {exc}"}
    figures = {
        "price": price,
        "down_payment": down,
        "financed": result.financed,
        "first_installment": result.first_installment,
        "last_installment": result.last_installment,
        "total_paid": result.total_paid,
    }
    state.amounts |= {float(v) for v in figures.values()}
    return {k: float(v) for k, v in figures.items()} | {
        "months": result.months,
        "system": result.system,
    }


async def _update_profile(turn: LlmTurn, state: ToolState, args: dict[str, Any]) -> Any:
    update = validate_profile_update(args)
    state.profile = qualification.merge(state.profile, update)
    state.amounts |= {float(v) for k, v in update.items() if k.startswith("budget_") and v}
    return {"saved": sorted(update)}


async def _hand_off(turn: LlmTurn, state: ToolState, args: dict[str, Any]) -> Any:
    state.handoff_reason = "hot" if args.get("reason") == "hot" else "requested"
    return {"ok": True, "note": "a broker will take over after this reply"}


_TOOLS = {
    "search_properties": _search_properties,
    "lookup_property": _lookup_property,
    "search_knowledge": _search_knowledge,
    "simulate_financing": _simulate,
    "update_lead_profile": _update_profile,
    "hand_off": _hand_off,
}
