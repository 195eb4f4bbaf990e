"""What the model nearly always needs, looked up before its first round, so that a typical
turn takes one round: the listings the lead names (or the one in focus when the lead asks
about "o condomínio", "o ITBI"), with the facts asked; the calculation asked about (ITBI,
instalment, affordability) with this lead's amounts; the lead's open visit offer or booking.

Each is given to the model as if it had called the tool itself, so the guardrail vouches for
the same facts either way.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from vellarys.domain.conversation import ConversationContext, Turn
from vellarys.domain.cost_answer import asked_costs, lead_amount
from vellarys.domain.intent import listing_codes
from vellarys.domain.listing_facts import asked_facts
from vellarys.domain.llm import ChatResult, ToolCall
from vellarys.services import llm_visits
from vellarys.services.llm_tools import ToolState, ToolTurn, run_tool

PREFETCH_CODES = 3  # listings named in the lead's message
_LISTING_COSTS = frozenset({"itbi", "closing", "instalment"})


async def prefetched(
    turn: ToolTurn, state: ToolState, context: ConversationContext, profile: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The assistant message with the prefetched calls and their tool messages (or nothing)."""
    asked = set(asked_costs(turn.text))
    calls = [
        ToolCall(id=f"prefetch_{n}", name="listing", arguments={"code": code})
        for n, code in enumerate(_codes_in_focus(turn.text, context, asked), 1)
    ]
    outputs = [await run_tool(turn, state, call) for call in calls]
    more = _calculations(outputs, asked, profile)
    lead, deps = turn.lead, turn.deps
    if lead and deps and await llm_visits.open_visit(turn.session, deps, lead=lead):
        more.append(ToolCall(id="prefetch_visit", name="visit", arguments={"action": "status"}))
    calls += more
    outputs += [await run_tool(turn, state, call) for call in more]
    if not calls:
        return []
    asking = ChatResult(None, tuple(calls), prompt_tokens=0, completion_tokens=0, model="")
    return [assistant_message(asking)] + [
        tool_message(call, output) for call, output in zip(calls, outputs, strict=True)
    ]


def _codes_in_focus(text: str, context: ConversationContext, asked: set[str]) -> list[str]:
    """The codes the message names; else, for a question about "the" listing, the last one
    the conversation was about."""
    named = list(dict.fromkeys(listing_codes(text)))[:PREFETCH_CODES]
    if named or not (asked_facts(text) or asked & _LISTING_COSTS):
        return named
    return _last_code(context.history)


def _last_code(history: Sequence[Turn]) -> list[str]:
    for past in reversed(history):
        codes = [*listing_codes(past.content), *(past.media.get("properties") or [])]
        if codes:
            return [str(codes[-1])]
    return []


def _calculations(
    outputs: Sequence[Any], asked: set[str], profile: Mapping[str, Any]
) -> list[ToolCall]:
    fgts = lead_amount(profile, ("fgts_balance",)) or 0
    calls: list[ToolCall] = []
    for output in outputs:
        listing = output.get("property") if isinstance(output, dict) else None
        if not listing or listing.get("transaction") != "sale" or not listing.get("price"):
            continue
        price, code = listing["price"], listing["code"]
        if asked & {"itbi", "closing"}:
            financed = "financing" in (profile.get("payment") or [])
            arguments = {"what": "purchase_costs", "price": price, "city": listing.get("city")}
            calls.append(
                ToolCall(f"prefetch_costs_{code}", "calculate", arguments | {"financed": financed})
            )
        if "instalment" in asked:
            arguments = {"what": "financing", "price": price, "fgts": fgts}
            calls.append(ToolCall(f"prefetch_loan_{code}", "calculate", arguments))
    income = lead_amount(profile, ("monthly_income",))
    if "affordability" in asked and income:
        savings = fgts + (lead_amount(profile, ("down_payment",)) or 0)
        arguments = {"what": "affordability", "monthly_income": income, "savings": savings}
        calls.append(ToolCall("prefetch_affordability", "calculate", arguments))
    return calls


def tool_message(call: ToolCall, output: Any) -> dict[str, Any]:
    content = json.dumps(output, ensure_ascii=False, default=str)
    return {"role": "tool", "tool_call_id": call.id, "content": content}


def assistant_message(result: ChatResult) -> dict[str, Any]:
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
