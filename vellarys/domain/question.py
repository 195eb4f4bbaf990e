"""Which qualification question to ask next, and in what words.

One question per reply, never the one just asked, never one already answered, and never again
a question the lead has let pass twice: pushing it a third time loses the lead.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from vellarys.domain import phrases
from vellarys.domain.qualification import ASK_ORDER, missing_slots
from vellarys.domain.text import fold

# A slot asked once and left unanswered was passed over: asking it again annoys. Only whether
# the lead buys or rents is asked a second time (nothing can be shown without it).
EVADED_AFTER = 1
EVADED_AFTER_FOR = {"intent": 2}
# Slots asked although ``missing_slots`` leaves them out, each right after the slot named here.
_EXTRA_AFTER = {"parking": "bedrooms", "pets": "timeline"}
_NO_PARKING_TYPES = frozenset({"land"})
# Questions a lead reads as the same one ("Em quais bairros ou região...?").
_TWINS = {"city": ("neighborhoods",), "neighborhoods": ("city",)}


def open_slots(profile: Mapping[str, Any]) -> list[str]:
    """Unanswered slots in asking order, with parking and (for rentals) pets fitted in."""
    slots = missing_slots(profile)
    if profile.get("parking") is None and profile.get("property_type") not in _NO_PARKING_TYPES:
        slots.append("parking")
    if profile.get("intent") == "rent" and profile.get("pets") is None:
        slots.append("pets")
    rank = {slot: float(i) for i, slot in enumerate(ASK_ORDER)}
    for extra, after in _EXTRA_AFTER.items():
        rank[extra] = rank.get(after, float(len(ASK_ORDER))) + 0.5
    return sorted(slots, key=lambda slot: rank.get(slot, float(len(ASK_ORDER) + 1)))


def askable_slots(
    profile: Mapping[str, Any], *, last_asked: str | None, asked_before: Sequence[str]
) -> list[str]:
    """Open slots that may be asked now: not the one just asked (nor its twin: the city
    question already names the neighbourhoods), not an evaded one."""
    recent = {last_asked, *_TWINS.get(last_asked or "", ())}
    return [
        slot
        for slot in open_slots(profile)
        if slot not in recent and not is_evaded(slot, asked_before)
    ]


def is_evaded(slot: str, asked_before: Sequence[str]) -> bool:
    return list(asked_before).count(slot) >= EVADED_AFTER_FOR.get(slot, EVADED_AFTER)


def question_text(
    slot: str,
    profile: Mapping[str, Any],
    *,
    asked_before: Sequence[str] = (),
    variant: int = 0,
    name: str | None = None,
) -> str:
    """The question for ``slot`` (other words if asked before); ``variant`` picks the wording."""
    key = phrase_key(slot, profile)
    city = profile.get("city")
    if slot in asked_before:
        text = phrases.REASKS[key]
    elif slot == "neighborhoods" and city:
        text = phrases.NEIGHBORHOODS_IN_CITY.format(city=city)
    elif slot == "city" and profile.get("property_type") in ("commercial", "land"):
        text = phrases.REGION_NOT_HOME
    else:
        variants = phrases.QUESTIONS[key]
        text = variants[variant % len(variants)]
    # About every third reply: a name in every message sounds like a telemarketer.
    if not name or slot == "name" or (variant // 2) % 3 != 1:
        return text
    return f"{name}, {text[0].lower()}{text[1:]}"


def reask_text(slot: str, profile: Mapping[str, Any]) -> str:
    """The pending question in other words, for when the answer was not understood."""
    return phrases.REASKS[phrase_key(slot, profile)]


def phrase_key(slot: str, profile: Mapping[str, Any]) -> str:
    if slot != "budget_max":
        return slot
    intent = profile.get("intent")
    return "budget_rent" if intent == "rent" else "budget_buy" if intent else "budget_any"


def slot_asked_by(question: str | None) -> str | None:
    """Which slot a question written by the agency (in its greeting) asks about."""
    folded = fold(question or "")
    if "comprar" in folded or "alugar" in folded:
        return "intent"
    if "nome" in folded or "com quem" in folded or "te chamar" in folded:
        return "name"
    return None
