"""The LLM brain: an OpenAI-compatible model with tools, checked against what the tools returned.

Any failure — timeout, 429/5xx, invalid JSON, an unknown tool, too many rounds, or a reply
that states a listing or a price no tool returned — raises ``LLMError`` and the caller
falls back to the offline brain, so the lead always gets an answer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.queries import usage as usage_queries
from vellarys.domain import costs, qualification
from vellarys.domain.cards import PropertyHit
from vellarys.domain.conversation import BrainReply, ConversationContext
from vellarys.domain.guardrail import check_reply, money_amounts, role_mismatches
from vellarys.domain.intent import listing_codes
from vellarys.domain.knowledge_answer import answer_question
from vellarys.domain.listing_facts import answer_facts, asked_facts
from vellarys.domain.llm import ChatModel, ChatResult, ToolCall
from vellarys.domain.ports import Embedder
from vellarys.domain.prompt import (
    HANDOFF_REASONS,
    TOOLS,
    build_messages,
    validate_profile_update,
)
from vellarys.errors import LLMError
from vellarys.services import knowledge, property_search

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
class ToolState:
    """What the tools returned during one reply: the only facts the answer may state."""

    profile: dict[str, Any]
    codes: set[str] = field(default_factory=set)
    amounts: set[float] = field(default_factory=set)
    shown: list[str] = field(default_factory=list)
    handoff_reason: str | None = None
    route: str | None = None
    handoff_note: str | None = None
    open_question: str | None = None

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

    def add(self, result: ChatResult) -> None:
        self.prompt_tokens += result.prompt_tokens
        self.completion_tokens += result.completion_tokens
        self.rounds += 1
        self.model = result.model or self.model
        self.tool_calls += [{"name": c.name, "arguments": c.arguments} for c in result.tool_calls]

    @property
    def outcome(self) -> str:
        """answered (first draft passed), repaired, fallback (refused or no answer), error."""
        if self.error is None:
            return "repaired" if self.refused else "answered"
        if self.refused or "kept calling tools" in self.error:
            return "fallback"
        return "error"


@dataclass(frozen=True, slots=True)
class LlmTurn:
    session: AsyncSession
    embedder: Embedder | None
    tenant_id: uuid.UUID
    text: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    spend: LlmSpend = field(default_factory=LlmSpend)
    now: datetime | None = None  # the agency's clock goes into the prompt


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


async def record_usage(
    session: AsyncSession, tenant_id: uuid.UUID, today: date, result: ChatResult
) -> None:
    await usage_queries.add(
        session,
        tenant_id,
        today,
        prompt=result.prompt_tokens,
        completion=result.completion_tokens,
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
    turn.spend.prompt = [dict(m) for m in messages]
    turn.spend.model = getattr(chat, "model", "") or ""
    repairs = 0
    for _ in range(MAX_TOOL_ROUNDS + 2):
        result = await chat.complete(messages, tools=() if repairs >= 2 else TOOLS)
        turn.spend.add(result)
        if not result.tool_calls:
            violations = _violations(result, state)
            if not violations:
                return _final(result, state)
            turn.spend.refused.append("; ".join(violations))
            turn.spend.drafts.append((result.content or "")[:1000])
            repairs += 1
            if repairs > 2:
                raise LLMError("reply refused by the guardrail: " + "; ".join(violations))
            messages.append({"role": "assistant", "content": result.content or ""})
            messages.append(
                {"role": "user", "content": REPAIR_NOTE.format(reasons="; ".join(violations))}
            )
            continue
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


def verified_facts(context: ConversationContext, profile: Mapping[str, Any]) -> ToolState:
    """Facts already vouched for in this conversation: sent replies, the lead's own words."""
    state = ToolState(profile=dict(profile))
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
    if hit is None:
        state.codes.add(str(args.get("code") or ""))  # "Não encontrei o AP9999" is true
        return {"error": "no listing with that code"}
    return {"property": state.allow_hit(hit)}


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
    found = answer_question(hits, str(args.get("question") or turn.text))
    if found is None:
        return {
            "answer": None,
            "note": "nothing in the documents answers this; say a broker "
            "will confirm and call record_open_question",
        }
    state.amounts |= {float(a) for a in money_amounts(found.text)}
    return {"answer": found.text, "documents": list(found.documents)}


async def _simulate(turn: LlmTurn, state: ToolState, args: dict[str, Any]) -> Any:
    """The shared calculator: the FGTS counts as down payment (R$ 400k, R$ 80k FGTS: 320k)."""
    try:
        price = Decimal(str(args["price"]))
        down = args.get("down_payment")
        result = costs.loan(
            price,
            fgts=Decimal(str(args.get("fgts") or 0)),
            down_payment=Decimal(str(down)) if down is not None else None,
            years=int(args.get("years") or costs.YEARS),
            annual_rate=Decimal(str(args.get("annual_rate") or costs.ANNUAL_RATE)),
        )
    except (KeyError, ValueError, ArithmeticError) as exc:
        return {"error": f"invalid simulation: {exc}"}
    chosen = result.sac if args.get("system") == "sac" else result.price_table
    figures = {
        "price": price,
        "fgts": result.fgts,
        "down_payment": result.down_payment,
        "financed": chosen.financed,
        "first_installment": chosen.first_installment,
        "last_installment": chosen.last_installment,
        "total_paid": chosen.total_paid,
        "sac_first_installment": result.sac.first_installment,
        "price_installment": result.price_table.first_installment,
    }
    state.amounts |= {float(v) for v in figures.values() if v}
    return {k: float(v) for k, v in figures.items()} | {
        "months": chosen.months,
        "system": chosen.system,
        "below_min_down": result.below_min_down,
    }


async def _listing_facts(turn: LlmTurn, state: ToolState, args: dict[str, Any]) -> Any:
    hit = await property_search.lookup_code(
        turn.session, tenant_id=turn.tenant_id, code=str(args.get("code") or "")
    )
    if hit is None:
        return {"error": "no listing with that code"}
    state.allow_hit(hit)
    facts = [str(f) for f in args.get("facts") or []] or asked_facts(turn.text)
    found = answer_facts(
        hit,
        facts,
        iptu_period=str(turn.settings.get("iptu_period") or "year"),
        question=turn.text,
    )
    for line in found.lines:
        state.amounts |= {float(a) for a in money_amounts(line)}
    return {"facts": list(found.lines), "not_in_listing": list(found.unknown)}


async def _purchase_costs(turn: LlmTurn, state: ToolState, args: dict[str, Any]) -> Any:
    try:
        found = costs.purchase_costs(
            Decimal(str(args["price"])),
            city=str(args.get("city") or "") or None,
            financed=bool(args.get("financed")),
            rates=turn.settings.get("itbi_rates") or {},
        )
    except (KeyError, ValueError, ArithmeticError) as exc:
        return {"error": f"invalid price: {exc}"}
    figures: dict[str, Any] = {
        "itbi": found.itbi.amount,
        "itbi_rate": float(found.itbi.rate),
        "registry": list(found.registry),
        "certificates": list(found.certificates),
        "deed": list(found.deed) if found.deed else None,
        "bank_appraisal": list(found.appraisal) if found.appraisal else None,
        "total": list(found.total),
    }
    state.amounts |= {float(found.price), float(found.itbi.amount)}
    for pair in (found.registry, found.certificates, found.deed, found.appraisal, found.total):
        state.amounts |= {float(v) for v in pair or ()}
    return json.loads(json.dumps(figures, default=float))


async def _affordability(turn: LlmTurn, state: ToolState, args: dict[str, Any]) -> Any:
    try:
        found = costs.affordability(
            Decimal(str(args["monthly_income"])), savings=Decimal(str(args.get("savings") or 0))
        )
    except (KeyError, ValueError, ArithmeticError) as exc:
        return {"error": f"invalid income: {exc}"}
    figures = {
        "monthly_income": found.income,
        "max_instalment": found.max_instalment,
        "max_loan": found.max_loan,
        "max_price": found.max_price,
    }
    state.amounts |= {float(v) for v in figures.values()}
    return {k: float(v) for k, v in figures.items()}


async def _record_open_question(turn: LlmTurn, state: ToolState, args: dict[str, Any]) -> Any:
    question = str(args.get("question") or turn.text).strip()[:240]
    state.open_question = question or None
    return {"recorded": bool(question)}


async def _update_profile(turn: LlmTurn, state: ToolState, args: dict[str, Any]) -> Any:
    update = validate_profile_update(args)
    state.profile = qualification.merge(state.profile, update)
    state.amounts |= {float(v) for k, v in update.items() if k.startswith("budget_") and v}
    return {"saved": sorted(update)}


_ROUTES = {"owner": "listings", "client": "support"}


async def _hand_off(turn: LlmTurn, state: ToolState, args: dict[str, Any]) -> Any:
    """Owners go to whoever takes listings, clients to whoever serves them; the note goes
    with the handoff to the person who takes over."""
    reason = str(args.get("reason") or "")
    state.handoff_reason = reason if reason in HANDOFF_REASONS else "requested"
    state.route = _ROUTES.get(state.handoff_reason)
    note = " ".join(str(args.get("note") or "").split())[:300]
    state.handoff_note = note or None
    return {"ok": True, "note": "a person will take over after this reply"}


_TOOLS = {
    "search_properties": _search_properties,
    "lookup_property": _lookup_property,
    "search_knowledge": _search_knowledge,
    "simulate_financing": _simulate,
    "listing_facts": _listing_facts,
    "purchase_costs": _purchase_costs,
    "affordability": _affordability,
    "record_open_question": _record_open_question,
    "update_lead_profile": _update_profile,
    "hand_off": _hand_off,
}
