"""Where the lead wants to be, asked before listings could come from anywhere.

A buyer or renter who named no place is asked the region before the first cards (a São Paulo
broker's first question; Osasco is not "perto" for everyone). A lead whose bairro and zone have
nothing that fits is asked whether another region is fine, naming the nearest bairros that have
something, before any card from outside the zone goes out; a yes shows them, a no is offered an
alert for their own search. Rules only; no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from vellarys.domain import objection, phrases, vicinity
from vellarys.domain.cards import PropertyHit
from vellarys.domain.plan_state import Draft, PlanTurn
from vellarys.domain.question import question_text
from vellarys.domain.text import fold

_ASKS_FOR_LISTINGS = re.compile(
    r"\b(?:opcoes|opcao|sugest\w+|me (?:manda|mostra|envia|passa)"
    r"|tem (?:algum|alguma|ap|apto|casa))\b"
)
_REGION_SLOTS = ("city", "neighborhoods")
_SAME_ZONE = 2  # ``vicinity.distance``: 0 the bairro asked, 1 next door, 2 its zone
_ASKING = frozenset({"question", "financing_question"})
_CRITERIA = frozenset({"property_type", "budget_max", "bedrooms", "parking", "intent"})


def withheld(t: PlanTurn, d: Draft, hits: Sequence[PropertyHit]) -> bool:
    """True when the cards wait for the lead's region: the question is in ``d``."""
    if not hits or "more" in t.intents:
        return False
    if _place_unknown(t):
        return _ask_region(t, d)
    # Only the "neighborhoods" widening leaves the zone; then every card may be out of it.
    asked = [str(p) for p in t.profile.get("neighborhoods") or []]
    left = "neighborhoods" in t.retrieval.widened and bool(vicinity.zones(asked))
    if left and all(vicinity.distance(h.neighborhood, asked) > _SAME_ZONE for h in hits):
        return _ask_flexible(t, d, hits)
    return False


def _place_unknown(t: PlanTurn) -> bool:
    profile = t.profile
    return (
        profile.get("intent") in ("buy", "rent")
        and not profile.get("neighborhoods")
        and not profile.get("city")
        and not t.shown_before
        and not _ASKS_FOR_LISTINGS.search(fold(t.context.text))
    )


def _ask_region(t: PlanTurn, d: Draft) -> bool:
    if any(slot in t.asked_before for slot in _REGION_SLOTS):
        # Asked once and passed over ("tanto faz", "até 3500"): the cards go out, though not
        # into the answer to a question about something else.
        return bool(t.intents & _ASKING) and not t.learned & _CRITERIA
    # Asked last, after the answers to what the lead asked (the planner's question step).
    d.follow_up = question_text("city", t.profile, variant=t.variant)
    d.asked, d.handled = "city", True
    return True


def _ask_flexible(t: PlanTurn, d: Draft, hits: Sequence[PropertyHit]) -> bool:
    d.handled = True
    if phrases.FAR_QUESTION not in t.previous_reply:
        d.follow_up = far_question(hits, t.profile)
        return True
    answer = objection.agreed(t.context.text)
    if answer is True:
        return False  # the cards from farther away, now that the lead said yes
    if answer is False:
        alerts = objection.alerts_on(t.context.settings)
        d.follow_up = objection.alert_offer(t.profile) if alerts else phrases.ALERT_DECLINED
    return True


def far_intro(t: PlanTurn, hits: Sequence[PropertyHit]) -> str | None:
    """ "Combinado! Veja o que tenho no Tatuapé e em Santana:" once the lead said yes to another
    region (the far bairros were already named, never said again as news)."""
    if phrases.FAR_QUESTION not in t.previous_reply or objection.agreed(t.context.text) is not True:
        return None
    places = dict.fromkeys(h.neighborhood for h in hits)
    return phrases.FAR_AGREED.format(where=" e ".join(vicinity.in_place(p) for p in places))


def far_question(hits: Sequence[PropertyHit], profile: Mapping[str, Any]) -> str:
    """ "Na Vila Mariana e na zona sul não encontrei apartamento com 2 quartos até R$ 4 mil/mês
    agora. O mais perto que tenho fica no Tatuapé (zona leste) e em Santana (zona norte). Você
    toparia ver em outra região?" """
    asked = [str(p) for p in profile.get("neighborhoods") or []]
    zones = vicinity.zones(asked)
    around = " ou ".join(vicinity.in_place(p) for p in asked)
    around += " e " + (" e ".join(vicinity.in_place(z) for z in zones) if zones else "arredores")
    what = phrases.widened_criteria(("property_type", "bedrooms", "budget"), profile)
    found = sorted(
        dict.fromkeys(h.neighborhood for h in hits), key=lambda p: vicinity.distance(p, asked)
    )
    nearest = " e ".join(_with_zone(p) for p in found[:2])
    text = phrases.FAR_NONE.format(around=around, what=what or "o que você pediu", nearest=nearest)
    return f"{text[0].upper()}{text[1:]} {phrases.FAR_QUESTION}"


def _with_zone(place: str) -> str:
    zone = vicinity.zones([place])
    return vicinity.in_place(place) + (f" ({zone[0]})" if zone else "")
