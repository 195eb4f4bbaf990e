"""The planner's view of one turn: the conversation, what retrieval found, and what the context
already answers, so the reply never asks it.

A lead who asks about a rental listing by code is renting ("comprar ou alugar?" would be asked
of someone who just told us); "até 800 mil" is a purchase and "até 4 mil" a rent; FGTS, financing
or a down payment ("usar o FGTS pra dar entrada") mean buying. Those implied
slots join the profile as if the lead had said them (the reply carries them, to be stored).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from vellarys.domain.conversation import ConversationContext
from vellarys.domain.intent import listing_codes
from vellarys.domain.plan_state import PlanTurn, Retrieval

# An injection attempt is ignored: nothing it asks for is acted on.
_IGNORED_ON_INJECTION = frozenset({"question", "financing_question", "visit", "human"})
# A budget this size buys; one this small rents (no São Paulo property sells for R$ 30 mil).
BUYING_BUDGET = 100_000
RENTING_BUDGET = 30_000
_INTENT_OF_TRANSACTION = {"sale": "buy", "rent": "rent"}
# FGTS, financing or a consórcio pay for a purchase; a down payment or FGTS balance too.
_BUYING_PAYMENTS = frozenset({"fgts", "financing", "consortium"})
_BUYING_AMOUNTS = ("down_payment", "fgts_balance")


def build_turn(
    context: ConversationContext,
    profile: Mapping[str, Any],
    retrieval: Retrieval,
    intents: frozenset[str],
    *,
    last_asked: str | None,
    asked_before: Sequence[str],
    learned: Collection[str],
) -> PlanTurn:
    injection = "prompt_injection" in intents
    previous = previous_reply(context)
    implied = implied_slots(profile, retrieval)
    return PlanTurn(
        context=context,
        profile={**profile, **implied},
        retrieval=retrieval,
        intents=intents - _IGNORED_ON_INJECTION if injection else intents,
        injection=injection,
        last_asked=last_asked,
        asked_before=asked_before,
        learned=frozenset(learned) | implied.keys(),
        shown_before=frozenset(listing_codes(previous)) | frozenset(retrieval.shown_before),
        previous_reply=previous,
    )


def implied_slots(profile: Mapping[str, Any], retrieval: Retrieval) -> dict[str, Any]:
    """What the context answers that the lead did not say in words: for now, the intent."""
    if profile.get("intent"):
        return {}
    named = retrieval.looked_up or (retrieval.focus if retrieval.focus_explicit else None)
    if named is not None and named.transaction in _INTENT_OF_TRANSACTION:
        return {"intent": _INTENT_OF_TRANSACTION[named.transaction]}
    if _BUYING_PAYMENTS & set(profile.get("payment") or ()) or any(
        profile.get(key) for key in _BUYING_AMOUNTS
    ):
        return {"intent": "buy"}
    budget = profile.get("budget_max")
    if isinstance(budget, int) and not isinstance(budget, bool) and budget > 0:
        if budget >= BUYING_BUDGET:
            return {"intent": "buy"}
        if budget <= RENTING_BUDGET:
            return {"intent": "rent"}
    return {}


def previous_reply(context: ConversationContext) -> str:
    """The text of the last run of assistant messages: one reply is often several messages."""
    collected: list[str] = []
    for turn in reversed(context.history):
        if turn.role == "assistant":
            collected.append(turn.content)
        elif collected:
            break
    return "\n".join(reversed(collected))
