"""A lead cooling off ("vou pensar", "está caro", "vou ver com minha esposa"): one useful step,
never a bare goodbye. A price objection gets a cheaper listing when retrieval has one; otherwise,
and for a lead who wants to think, an offer to tell them when a listing of their profile comes in
(the agency's follow-ups and reactivations carry new matching listings), with their own numbers.
Rules only; no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from vellarys.domain import nudge, phrases
from vellarys.domain.budget import format_brl
from vellarys.domain.cards import PropertyHit, property_card
from vellarys.domain.plan_state import Draft, PlanTurn
from vellarys.domain.plan_steps import cards_question
from vellarys.domain.property_search import profile_summary
from vellarys.domain.text import fold

_PRICE = re.compile(
    r"\b(?:(?:ta|esta|ficou|achei|e|meio|muito|bem|um pouco|mt|mto) caro"
    r"|caro demais|carissimo|salgad[oa]|puxad[oa]"
    r"|(?:acima|fora) do (?:que (?:eu )?posso|meu orcamento|orcamento)"
    r"|nao cabe no (?:meu )?bolso)\b"
)
_THINKING = re.compile(
    r"\bvou pensar\b|\bpensar (?:melhor|com calma)\b|\bdepois (?:eu )?(?:vejo|falo)\b"
    r"|\bvou (?:ver|conversar|falar) (?:com|aqui com) (?:a |o )?(?:minha|meu|minhas|meus)\b"
    r"|\bvou ver aqui\b|\bpreciso (?:conversar|falar|ver) com (?:a |o )?(?:minha|meu)\b"
)
_AGREE = re.compile(
    r"^\s*(?:sim|pode|pode sim|pode ser|quero sim|claro|ok|beleza|blz|por favor|avisa|topo"
    r"|me avisa|fechado|combinado|otimo|boa)\b[^?]{0,30}$"
)
_REFUSE = re.compile(r"^\s*(?:nao|n|nao precisa|nao obrigad[oa]|prefiro (?:la|ali|aqui|so))\b")


# A message that asks something is answered first; cooling words in it are not a goodbye.
_ASKING = frozenset({"question", "financing_question", "visit", "more", "closing", "human"})
_SEEKING = frozenset({"buy", "rent", "invest"})


def step(t: PlanTurn, d: Draft) -> None:
    """The planner's step: the answer to an alert offered, or one useful step for a lead who
    cools off, then nothing more this turn."""
    if offered_alert(t.previous_reply):
        answer = answer_to_alert(t.context.text)
        if answer is not None:
            d.say(answer)
            d.handled = d.stop = True
            return
    kind = cooling(t.context.text)
    if kind is None or t.intents & _ASKING or t.retrieval.looked_up or t.retrieval.missing_code:
        return
    if t.profile.get("intent") not in _SEEKING:
        return
    d.say(phrases.COOLING_PRICE if kind == "price" else phrases.COOLING_THINKING)
    d.handled = d.stop = True
    shown = [h for h in t.retrieval.properties if h.code in t.shown_before]
    alternative = cheaper(t.retrieval.properties, shown, t.shown_before)
    if kind == "price" and alternative is not None:
        d.say(phrases.CHEAPER_INTRO)
        d.cards.append(property_card(alternative))
        d.codes.append(alternative.code)
        question = cards_question(t, d)
        if question:
            d.say(question)
    elif kind == "price" and not t.profile.get("budget_max"):
        d.say(phrases.PRICE_RANGE_QUESTION)
        d.asked = "budget_max"
    elif alerts_on(t.context.settings):
        d.say(alert_offer(t.profile))
    else:
        d.say(phrases.THANKS_CLOSING)


def cooling(text: str) -> str | None:
    """ "price" for a price objection, "thinking" for a lead stepping back, else None."""
    folded = fold(text)
    if _PRICE.search(folded):
        return "price"
    if _THINKING.search(folded):
        return "thinking"
    return None


def alerts_on(settings: Mapping[str, Any]) -> bool:
    """Whether the agency tells a lead about new matching listings (follow-ups, reactivations)."""
    policy = nudge.policy(settings)
    return policy.follow_up_enabled or policy.reactivation_enabled


def alert_offer(profile: Mapping[str, Any]) -> str:
    """ "Se quiser, te aviso por aqui quando entrar um apartamento para alugar em Moema até
    R$ 6.000/mês. Quer que eu te avise?" """
    wanted = profile_summary(profile) or "um imóvel com o seu perfil"
    wanted = wanted.split(", ")[0]
    budget = profile.get("budget_max")
    if isinstance(budget, int) and budget > 0:
        monthly = "/mês" if profile.get("intent") == "rent" else ""
        wanted += f" até {format_brl(budget)}{monthly}"
    return phrases.ALERT_OFFER.format(wanted=_article(profile) + wanted)


def offered_alert(previous_reply: str) -> bool:
    return phrases.ALERT_QUESTION in previous_reply


def agreed(text: str) -> bool | None:
    """A yes (True) or a no (False) to the question just asked, or None (something else)."""
    folded = fold(text).strip()
    if _REFUSE.match(folded):
        return False
    if _AGREE.match(folded):
        return True
    return None


def answer_to_alert(text: str) -> str | None:
    """The reply to "Quer que eu te avise?": agreed, refused, or None (something else)."""
    answer = agreed(text)
    if answer is None:
        return None
    return phrases.ALERT_AGREED if answer else phrases.ALERT_DECLINED


def cheaper(
    hits: Sequence[PropertyHit], shown: Sequence[PropertyHit], shown_codes: frozenset[str]
) -> PropertyHit | None:
    """A listing not sent yet, cheaper than every one sent, or None."""
    if not shown:
        return None
    floor = min(hit.price for hit in shown)
    fresh = [h for h in hits if h.code not in shown_codes and 0 < h.price < floor]
    return min(fresh, key=lambda h: h.price) if fresh else None


def _article(profile: Mapping[str, Any]) -> str:
    kind = profile.get("property_type")
    if kind in ("house", "condo_house"):
        return "uma "
    if kind in ("apartment", "studio", "land", "commercial"):
        return "um "
    return ""
