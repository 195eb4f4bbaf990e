"""Planner steps for what a lead asks beyond the search: listing facts, costs, and leads who
are not buyers or renters (owners, clients with a problem, out of area, "vc é robô?"), and the
signals that hand a lead over at once (approved credit, an offer, "quero fechar")."""

from __future__ import annotations

import re
from collections.abc import Sequence

from vellarys.domain import phrases, vicinity
from vellarys.domain.cards import PropertyHit
from vellarys.domain.cost_answer import answer_costs, asked_costs
from vellarys.domain.dialogue import OWNER_QUESTIONS, next_owner_slot
from vellarys.domain.listing import financing_price
from vellarys.domain.listing_facts import (
    UNKNOWN_LABELS,
    answer_facts,
    asked_facts,
    asks_transit,
    purpose_note,
    transit_note,
)
from vellarys.domain.plan_state import Draft, PlanTurn
from vellarys.domain.qualification import missing_slots
from vellarys.domain.text import fold

# Slots whose mention makes a question a property search ("tem apê na Mooca?").
SEARCH_SLOTS = frozenset(
    {"property_type", "neighborhoods", "city", "bedrooms", "parking", "budget_max", "budget_min"}
)


def bot_question(t: PlanTurn, d: Draft) -> None:
    if "bot_question" in t.intents:
        persona = t.context.settings.get("persona_name") or phrases.DEFAULT_PERSONA
        d.say(phrases.BOT_ANSWER.format(persona=persona, agency=t.context.agency_name))
        d.handled = True


def apology(t: PlanTurn, d: Draft) -> None:
    """ "ninguém me respondeu": a complaint from someone who is not a client gets an apology."""
    if "complaint" in t.intents and "support" not in t.intents:
        d.say(phrases.APOLOGY)


def support(t: PlanTurn, d: Draft) -> None:
    """A current client: empathy for a problem, no listings, the person who serves clients."""
    if "support" in t.intents or t.profile.get("intent") == "support":
        problem = "complaint" in t.intents or _PROBLEM.search(fold(t.context.text))
        answered = phrases.SUPPORT_ANSWERED if d.handled else phrases.SUPPORT_ROUTE
        d.say(phrases.SUPPORT_HANDOFF if problem else answered)
        d.handoff_reason, d.route = "requested", "support"
        d.handled = d.stop = True


def owner(t: PlanTurn, d: Draft) -> None:
    """An owner who wants to sell or rent out: an owner's questions, then whoever takes listings."""
    if not ({"sell", "rent_out"} & t.intents or t.profile.get("intent") in ("sell", "rent_out")):
        return
    if t.learned & {"intent"} or ({"sell", "rent_out"} & t.intents and not t.last_asked):
        # The welcome comes first, before the answer to what the owner asked ("vcs administram?").
        at = 1 if t.context.first_contact else 0
        if d.cards:
            d.say(phrases.OWNER_WELCOME)
        else:
            d.before.insert(min(at, len(d.before)), phrases.OWNER_WELCOME)
    slot = next_owner_slot(t.profile, None)
    if slot == "owner_property_type" and t.profile.get("property_type"):
        slot = next_owner_slot({**t.profile, slot: t.profile["property_type"]}, None)
    places = t.profile.get("neighborhoods") or []
    if slot == "expected_price" and t.profile.get("intent") == "rent_out":
        question = phrases.OWNER_RENT_PRICE
    elif slot == "owner_address" and places:  # the bairro was said: only the street is asked
        question = phrases.OWNER_STREET.format(place=vicinity.in_place(str(places[0])))
    else:
        question = OWNER_QUESTIONS.get(slot or "", "")
    if slot is None or slot in t.asked_before:
        d.say(phrases.OWNER_HANDOFF)
        d.handoff_reason, d.route = "requested", "listings"
    else:
        d.say(question)
        d.asked = slot
    d.handled = d.stop = True


def empty_catalog(t: PlanTurn, d: Draft) -> None:
    """An agency with no listings yet: no qualification that leads nowhere; the lead's contact
    goes to a broker, honestly."""
    if not t.retrieval.no_listings or t.profile.get("intent") not in _SEEKING:
        return
    d.say(phrases.NO_LISTINGS_HANDOFF)
    d.handoff_reason, d.note = "requested", phrases.NO_LISTINGS_NOTE
    d.handled = d.question_done = d.stop = True


def out_of_area(t: PlanTurn, d: Draft) -> None:
    if "out_of_area" in t.intents:
        served = t.context.settings.get("served_area") or phrases.DEFAULT_SERVED_AREA
        d.say(phrases.OUT_OF_AREA.format(served=served))
        d.handled = d.question_done = d.stop = True


def closing(t: PlanTurn, d: Draft) -> None:
    """Approved credit, an offer, "quero fechar": hand off at once, hot."""
    if "closing" in t.intents:
        d.say(phrases.CLOSING_HANDOFF)
        d.handoff_reason = "hot"
        d.handled = d.stop = True


def listing_facts(t: PlanTurn, d: Draft) -> None:
    """ "aceita pet? qual o IPTU?" about the listing in focus, answered from its fields."""
    focus = t.retrieval.focus
    if focus is None and _asks_iptu_period(t.context.text):
        yearly = t.retrieval.iptu_period == "year"
        text = phrases.IPTU_PERIOD.format(period="anual" if yearly else "mensal")
        d.say(f"{text} {phrases.IPTU_PER_MONTH}" if yearly else text)
        d.handled = True
        d.answered_kinds.add("listing_question")
        if len(t.retrieval.answers) <= 1:  # the message's one question: no passage after it
            d.answered_kinds.add("knowledge_question")
        return
    facts = asked_facts(t.context.text) if focus else []
    if focus is None or not facts or not ("question" in t.intents or "?" in t.context.text):
        return
    found = answer_facts(
        focus,
        facts,
        description=t.retrieval.focus_description,
        iptu_period=t.retrieval.iptu_period,
        question=t.context.text,
    )
    lines = list(found.lines)
    note = purpose_note(focus, t.profile)
    if note:
        lines.append(note)
    if found.unknown:
        missing = " e ".join(UNKNOWN_LABELS[f] for f in found.unknown)
        lines.append(phrases.LISTING_WILL_CONFIRM.format(missing=missing, when=t.answer_by))
        d.needs_broker_answer = True
        d.open_question = f"{focus.code}: {t.context.text.strip()[:200]}"
    if lines:
        d.say("\n".join(lines))
        d.handled = True
        d.answered_kinds.add("listing_question")


def costs(t: PlanTurn, d: Draft) -> None:
    """ITBI, closing costs, instalment, affordability: computed for this lead and listing."""
    kinds = asked_costs(t.context.text)
    if "financing_question" in t.intents and "instalment" not in kinds:
        kinds.append("instalment")
    if not kinds:
        return
    # A listing is priced only when the lead points at it; else their own budget is.
    focus = t.retrieval.focus if t.retrieval.focus_explicit else None
    candidates = [h for h in (t.retrieval.looked_up, focus) if h is not None]
    candidates += [hit for hit in t.retrieval.properties if hit.code in d.codes]
    found = financing_price(candidates, t.profile)
    price, source = found if found else (None, "")
    city = next((h.city for h in candidates if h.transaction == "sale"), None)
    answer = answer_costs(
        kinds,
        price=price,
        source=source,
        city=city or t.profile.get("city"),
        profile=t.profile,
        rates=t.retrieval.itbi_rates,
    )
    if answer.needs_price and not answer.lines:
        # The documents may still answer in general ("a alíquota é de 3%"); the price is asked.
        loan = "instalment" in kinds
        d.follow_up = phrases.FINANCING_ASK_PRICE if loan else phrases.COSTS_ASK_PRICE
        d.asked = "budget_max" if "budget_max" in missing_slots(t.profile) else None
        if "question" not in t.intents:
            d.handled = True
        return
    if answer.needs_price and kinds == ["itbi"]:
        # "quanto é o ITBI em SP?": the city's rate first, then the price to compute it.
        for line in answer.lines:
            d.answer(line)
        d.follow_up = phrases.COSTS_ASK_PRICE
        d.handled = True
        d.answered_kinds.add("cost_question")
        if len(t.retrieval.answers) <= 1:  # the message's one question: no passage after it
            d.answered_kinds.add("knowledge_question")
        return
    for line in answer.lines:
        d.answer(line)
    if answer.lines:
        loan = "instalment" in kinds or "affordability" in kinds
        d.answer(phrases.FINANCING_DISCLAIMER if loan else phrases.COSTS_DISCLAIMER)
        d.handled = True
        d.answered_kinds.add("cost_question")


_SEEKING = frozenset({"buy", "rent", "invest"})
_PROBLEM = re.compile(
    r"\b(?:vazamento|vazando|quebr\w*|estrag\w*|problema|reclama\w*|infiltra\w*|ninguem resolve"
    r"|urgente|goteira|sem agua|sem luz)\b"
)


def _asks_iptu_period(text: str) -> bool:
    """ "o IPTU do anúncio é por mês ou por ano?": the agency's convention, from its settings."""
    folded = fold(text)
    return "iptu" in folded and bool(re.search(r"\b(?:mes|mensal|ano|anual)\b", folded))


def transit(t: PlanTurn, d: Draft, sent: Sequence[PropertyHit], said: str) -> None:
    """ "perto do metrô" answered from the listings, and what they do not say is confirmed."""
    if not asks_transit(said):
        return
    note, silent = transit_note(sent, when=t.answer_by)
    if note:
        d.say(note)
    if silent and not d.open_question:
        d.needs_broker_answer = True
        d.open_question = f"{', '.join(silent)}: perto do metrô?"


_SEEN_ON_SITE = re.compile(
    r"\bvi (?:\w+ )?(?:imoveis|casas|aps?|apartamentos|anuncios|opcoes|studios)\b"
    r".*\b(?:site|portal|anuncio|instagram|zap|olx|vivareal|viva real|quintoandar)\b"
)


def cards_question(t: PlanTurn, d: Draft) -> str | None:
    """The one question after cards: the listings the lead saw elsewhere, else whether one of
    these interests them (a visit offered); None when the last reply already asked that."""
    if _SEEN_ON_SITE.search(fold(t.context.text)) and not t.retrieval.looked_up:
        return phrases.SEEN_ON_SITE
    looked_up = t.retrieval.looked_up
    if looked_up is not None and looked_up.code in d.codes:
        if purpose_note(looked_up, t.profile):
            # A renter is never offered a visit to a listing for sale (nor a buyer a rental).
            deal = "alugar" if t.profile.get("intent") == "rent" else "comprar"
            return phrases.OTHER_DEAL_QUESTION.format(deal=deal)
        return phrases.VISIT_OFFER.format(code=looked_up.code)
    asked = (*phrases.CARDS_QUESTION, phrases.CARD_QUESTION)
    if any(q in t.previous_reply for q in asked):
        return None  # not the same question twice in a row: the next slot is asked instead
    if len(d.codes) == 1:
        return phrases.CARD_QUESTION
    return phrases.CARDS_QUESTION[t.variant % len(phrases.CARDS_QUESTION)]


def visit(t: PlanTurn, d: Draft) -> None:
    if "visit_offered" in t.intents:
        # The slots offered follow this reply and hold its one question.
        d.handled = d.question_done = True
        d.follow_up = None
        return
    if "visit" in t.intents:
        d.say(phrases.VISIT_HANDOFF[t.variant % len(phrases.VISIT_HANDOFF)])
        d.handoff_reason = "requested"
        d.handled = d.stop = True


def unanswered(t: PlanTurn, d: Draft) -> None:
    """A question nothing above answered: say so honestly instead of guessing."""
    if "question" not in t.intents or d.handled:
        return
    if "?" not in t.context.text and t.learned:
        return  # "tem que ter 2 quartos": a statement that starts like a question
    if t.learned & SEARCH_SLOTS:
        d.say(phrases.SEARCH_ACK)
    else:
        d.say(phrases.BROKER_WILL_CONFIRM.format(when=t.answer_by))
        d.needs_broker_answer = True
        d.open_question = t.context.text.strip()[:240]
    d.handled = True
