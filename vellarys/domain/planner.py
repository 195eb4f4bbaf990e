"""The offline brain's reply planner: what to say to a lead, decided by rules, never invented.

``plan_reply`` reads the conversation, the profile (already merged with this message's slots),
what retrieval found and the message's intents, and writes a short WhatsApp reply: at most
four messages, each under 700 characters. It mentions only properties, prices and codes that
retrieval returned and quotes knowledge word for word; what it cannot answer it says it will
confirm with a broker. It asks at most one qualification question per reply.
"""

import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from vellarys.domain import objection, phrases, region
from vellarys.domain import plan_steps as steps
from vellarys.domain.budget import format_brl
from vellarys.domain.cards import PropertyHit, property_card
from vellarys.domain.conversation import BrainReply, ConversationContext
from vellarys.domain.cost_answer import asked_costs
from vellarys.domain.knowledge_answer import (
    KNOWLEDGE_MIN_SCORE,
    answer_question,
    best_knowledge,
    with_conditions,
    yes_first,
)
from vellarys.domain.layout import fits, lay_out
from vellarys.domain.listing import (
    MAX_CARDS,
    fresh_properties,
    outside_budget,
    over_budget_notes,
    properties_intro,
    ready_to_search,
    still_fit,
    total_over_budget_notes,
)
from vellarys.domain.listing_facts import asked_facts, asks_transit, big_dog_note, mentions_transit
from vellarys.domain.opening import QUIET_TYPES, greeting, media_notes, quiet_reply
from vellarys.domain.plan_state import Draft, PlanTurn, Retrieval
from vellarys.domain.plan_turn import build_turn
from vellarys.domain.question import (
    askable_slots,
    question_text,
    slot_asked_by,
)

__all__ = ["KNOWLEDGE_MIN_SCORE", "Retrieval", "best_knowledge", "plan_reply"]

_TEXT_TYPES = frozenset({"text", "interactive"})
_SEARCH_SLOTS = steps.SEARCH_SLOTS
_SUBSTANTIVE = frozenset({"question", "financing_question", "visit", "more", "closing"})
_HOT = frozenset({"closing", "visit"})
_NOT_SEEKING = frozenset({"sell", "rent_out", "support"})
# "vou pensar": the lead is stepping back; no more questions this time.
_THINKING = re.compile(r"\bvou pensar\b|\bvou ver (?:com|aqui)\b|\bdepois (?:eu )?(?:vejo|falo)\b")


def plan_reply(
    context: ConversationContext,
    *,
    profile: Mapping[str, Any],
    retrieval: Retrieval,
    intents: frozenset[str],
    last_asked: str | None,
    asked_before: Sequence[str] = (),
    learned: Collection[str] | None = None,
) -> BrainReply:
    """Plan the reply to the lead's new message(s); see the module docstring for the rules.

    ``profile`` is ``context.profile`` merged with what the new messages revealed; ``learned``
    names the slots they revealed (by default, the keys whose value differs between the two).
    ``last_asked`` is the slot the previous reply asked, ``asked_before`` every slot asked so far.
    """
    if learned is None:
        learned = [k for k, v in profile.items() if context.profile.get(k) != v]
    turn = build_turn(
        context,
        profile,
        retrieval,
        intents,
        last_asked=last_asked,
        asked_before=asked_before,
        learned=learned,
    )
    draft = Draft()
    if _only_quiet_media(turn):
        draft.before = quiet_reply(context.new_messages, turn.variant)
        return _finish(turn, draft)
    _open(turn, draft)
    for step in _STEPS:
        step(turn, draft)
        if draft.stop:
            break
    return _finish(turn, draft)


def _only_quiet_media(t: PlanTurn) -> bool:
    kinds = {m.type for m in t.context.new_messages}
    return bool(kinds) and kinds <= QUIET_TYPES and not t.context.first_contact


def _open(t: PlanTurn, d: Draft) -> None:
    if t.context.first_contact:
        # A client with a problem or a complaint gets a hello, not the sales pitch.
        brief = "complaint" in t.intents or t.profile.get("intent") == "support"
        opening, d.greeting_question = greeting(
            t.context.settings, t.context.agency_name, brief=brief
        )
        d.before.append(opening)
    d.before += media_notes(t.context.new_messages)  # the audio note may change in _finish


# --- steps, in order ---------------------------------------------------------------------


def _handoff(t: PlanTurn, d: Draft) -> None:
    asked_now = "wants_human" in t.learned
    profile_wants = bool(t.profile.get("wants_human")) and t.context.stage != "handed_off"
    if "human" in t.intents or (profile_wants and not (t.injection and asked_now)):
        d.say(phrases.HANDOFF[t.variant % len(phrases.HANDOFF)])
        d.handoff_reason = "requested"
        d.stop = True


def _goodbye(t: PlanTurn, d: Draft) -> None:
    if "goodbye" in t.intents and not _substantive(t):
        d.say(phrases.GOODBYE[t.variant % len(phrases.GOODBYE)])
        d.stop = True


def _courtesy(t: PlanTurn, d: Draft) -> None:
    if "thanks" in t.intents or _THINKING.search(t.context.text.lower()):
        if not _substantive(t) and (
            _next_slot(t) is None or _THINKING.search(t.context.text.lower())
        ):
            d.say(phrases.THANKS_CLOSING)
            d.stop = True
        else:
            d.say(phrases.THANKS[t.variant % len(phrases.THANKS)])
    elif "name" in t.learned and t.name:
        d.say(phrases.NICE_TO_MEET.format(name=t.name))
    elif _noted_amounts(t):
        d.say(phrases.NOTED.format(amounts=_noted_amounts(t)))
    elif "greeting" in t.intents and not t.context.first_contact:
        hello = phrases.HELLO_AGAIN[t.variant % len(phrases.HELLO_AGAIN)]
        d.say(hello.format(name=f", {t.name}" if t.name else ""))


def _listing(t: PlanTurn, d: Draft) -> None:
    hit, missing = t.retrieval.looked_up, t.retrieval.missing_code
    if hit is not None:
        d.handled = True
        about = asked_facts(t.context.text) or asked_costs(t.context.text)
        if hit.code not in t.shown_before:
            _add_cards(d, [hit])
            d.follow_up = None if about else phrases.LOOKED_UP_FOLLOW_UP
        elif "visit" not in t.intents and not about and not t.intents & _HOT:
            d.say(phrases.SEEN_LISTING.format(code=hit.code))
            d.question_done = True
    elif missing:
        d.handled = True
        d.say(phrases.MISSING_CODE.format(code=missing))
        hits = _fresh(t)
        if hits:
            d.say(phrases.MISSING_CODE_ALTERNATIVES)
            _add_cards(d, hits)


def _knowledge(t: PlanTurn, d: Draft) -> None:
    """Each question the listing's fields or the calculators did not answer, from the documents."""
    if "question" not in t.intents:
        return
    pending = [(k, a, q) for k, a, q in t.retrieval.answers if k not in d.answered_kinds]
    if not t.retrieval.answers and not d.handled:
        found = answer_question(t.retrieval.knowledge, t.context.text)
        pending = [("knowledge_question", found, t.context.text)]
    if "visit_offered" in t.intents:
        # A visit request answered by the slots that follow needs no passage on how visits work.
        pending = [
            p for p in pending if not (p[0] == "knowledge_question" and "visit" in p[2].lower())
        ]
    # Each answer opens with what answers it ("Sim! ..."), with no lead-in before it.
    answers = [
        a.text.strip() if a.framed else with_conditions(yes_first(q, a.text.strip()), a.conditions)
        for _, a, q in pending
        if a is not None and a.text.strip()
    ]
    if answers:
        d.answer("\n\n".join(dict.fromkeys(answers)))
        d.handled = True
    missing = [q for _, a, q in pending if a is None]
    if answers and missing:
        d.say(phrases.PART_BROKER_WILL_CONFIRM.format(when=t.answer_by))
        d.needs_broker_answer = True
        d.open_question = missing[0].strip()[:240]


def _properties(t: PlanTurn, d: Draft) -> None:
    if t.retrieval.looked_up or t.retrieval.missing_code or not ready_to_search(t.profile):
        return
    if t.profile.get("intent") in _NOT_SEEKING:
        return  # owners and clients are never sent listings
    # Cards go out when the search changed, when asked for more, or the first time only.
    # A change of mind ("pensando melhor, quero comprar") is a new search too.
    changed = t.learned & (_SEARCH_SLOTS | {"intent"}) or "more" in t.intents
    # "sim" to "Quer que eu te mostre opções parecidas para alugar?" asks for them.
    changed = changed or (
        phrases.OTHER_DEAL_OFFER in t.previous_reply and objection.agreed(t.context.text) is True
    )
    if not changed and t.retrieval.shown_before:
        return
    hits = _fresh(t)
    if asks_transit(t.context.text):
        hits.sort(key=lambda hit: not mentions_transit(hit))  # near the metrô first
    shown = [h for h in t.retrieval.properties if h.code in t.shown_before]
    fitting = [h for h in shown if h.code not in outside_budget(shown, t.profile)]
    # The cards sent still fit: nothing over the budget is sent beside them.
    kept = bool(hits) and len(outside_budget(hits, t.profile)) == len(hits) and bool(fitting)
    if kept and "more" not in t.intents:
        hits = []
    still = fitting[:MAX_CARDS] if kept else shown[:2]
    if not hits and still and (kept or not t.retrieval.widened) and "more" not in t.intents:
        # A rent that fits but a total that does not is said with its figures, never "fits".
        notes = total_over_budget_notes(still, t.profile, iptu_period=t.retrieval.iptu_period)
        learned = "budget_max" in t.learned
        for note in notes or [still_fit(still, t.profile, budget_learned=learned)]:
            d.say(note)
        d.handled = True
        return
    if not hits and "more" in t.intents:
        d.say(phrases.NO_MORE)
        d.handled = d.question_done = True
        return
    if region.withheld(t, d, hits):
        return
    if hits:
        widened = t.retrieval.widened
        d.listings_at = len(d.before) if not d.cards else None
        intro = region.far_intro(t, hits)
        d.say(intro or properties_intro(hits, t.profile, widened=widened, variant=t.variant))
        _add_cards(d, hits)
        sent = [h for h in hits if h.code in d.codes]
        if "budget" not in widened or t.profile.get("rent_includes_fees") is True:
            for note in over_budget_notes(sent, t.profile, iptu_period=t.retrieval.iptu_period):
                d.say(note)
        for note in total_over_budget_notes(sent, t.profile, iptu_period=t.retrieval.iptu_period):
            d.say(note)
        said = "\n".join(m.content for m in t.context.new_messages)
        dog = big_dog_note([h for h in sent if h.transaction == "rent"], said)
        if dog:
            d.say(dog)
        steps.transit(t, d, sent, said)
        d.handled = True
    elif not t.retrieval.properties and t.learned & _SEARCH_SLOTS:
        d.say(phrases.NO_MATCH)
        d.handled = True


def _not_understood(t: PlanTurn, d: Draft) -> None:
    if d.handled or t.context.first_contact or not _unclear(t):
        return
    if t.injection:
        d.say(phrases.INJECTION_DEFLECT)
        return
    # The pending question is not repeated right away (never the same question twice in a
    # row): the next one is asked, and the pending one comes back later.
    if _next_slot(t) is None:
        d.say(phrases.NOT_UNDERSTOOD_OFFER)
        d.question_done = True
    else:
        d.say(phrases.NOT_UNDERSTOOD)


def _question(t: PlanTurn, d: Draft) -> None:
    if d.question_done:
        return
    if d.follow_up:
        d.say(d.follow_up)
        return
    about_cards = steps.cards_question(t, d) if d.cards else None
    if about_cards:
        d.say(about_cards)
        d.question_done = True
        return
    if t.context.settings.get("qualification_enabled", True) is False:
        return
    slot = _next_slot(t)
    if slot is None:
        return
    name = None if "name" in t.learned else t.name  # just greeted by name: once is enough
    greeting_slot = slot_asked_by(d.greeting_question)
    if greeting_slot and greeting_slot in _askable(t):
        slot, text = greeting_slot, d.greeting_question or ""
    else:
        text = question_text(
            slot, t.profile, asked_before=t.asked_before, variant=t.variant, name=name
        )
    d.say(text)
    d.asked = slot


def _wrap_up(t: PlanTurn, d: Draft) -> None:
    if d.asked or d.question_done or d.follow_up:
        return
    if d.cards:
        d.say(phrases.AFTER_CARDS)
    elif not d.handled:
        done = phrases.ALL_SET in t.previous_reply
        d.say(phrases.STILL_HERE if done else phrases.ALL_SET)


_STEPS = (
    _handoff,
    steps.apology,
    _goodbye,
    objection.step,
    _courtesy,
    steps.bot_question,
    steps.closing,
    steps.out_of_area,
    _listing,
    steps.listing_facts,
    _properties,
    steps.costs,
    _knowledge,
    # Owners and clients get their questions answered first, then their own path.
    steps.support,
    steps.owner,
    steps.empty_catalog,
    steps.visit,
    steps.unanswered,
    _not_understood,
    _question,
    _wrap_up,
)


# --- helpers ----------------------------------------------------------------------------


def _askable(t: PlanTurn) -> list[str]:
    return askable_slots(t.profile, last_asked=t.last_asked, asked_before=t.asked_before)


def _next_slot(t: PlanTurn) -> str | None:
    askable = _askable(t)
    return askable[0] if askable else None


def _noted_amounts(t: PlanTurn) -> str:
    """ "R$ 80.000 de FGTS": the lead's own amounts this message told, when it asked nothing."""
    if t.intents & {"question", "financing_question"}:
        return ""
    told = [key for key in phrases.AMOUNT_WORDS if key in t.learned and t.profile.get(key)]
    return " e ".join(f"{format_brl(t.profile[key])} {phrases.AMOUNT_WORDS[key]}" for key in told)


def _substantive(t: PlanTurn) -> bool:
    retrieval = t.retrieval
    found = retrieval.looked_up is not None or retrieval.missing_code is not None
    return bool(t.learned or t.intents & _SUBSTANTIVE or found)


def _unclear(t: PlanTurn) -> bool:
    """Nothing understood: no intent, no slot and no listing code in a text message."""
    types = {m.type for m in t.context.new_messages}
    understood = t.intents - {"prompt_injection"} or t.learned or _substantive(t)
    return bool(t.context.text) and types <= _TEXT_TYPES and not understood


def _add_cards(d: Draft, hits: Sequence[PropertyHit]) -> None:
    """Cards go in one message; the ones that do not fit in it are left for another turn."""
    for hit in hits:
        card = property_card(hit)
        if d.cards and not fits([*d.cards, card]):
            break
        d.cards.append(card)
        d.codes.append(hit.code)


def _fresh(t: PlanTurn) -> list[PropertyHit]:
    return fresh_properties(
        t.retrieval.properties,
        t.profile,
        shown_before=t.shown_before,
        widened=t.retrieval.widened,
    )


# --- the reply ---------------------------------------------------------------------------


def _finish(t: PlanTurn, d: Draft) -> BrainReply:
    if not d.asked and not d.question_done and not d.follow_up:
        d.before = [phrases.AUDIO if p == phrases.AUDIO_THEN_QUESTION else p for p in d.before]
    return BrainReply(
        messages=lay_out(d.opening(), d.cards, d.after),
        profile=dict(t.profile),
        asked=d.asked,
        handoff_reason=d.handoff_reason,
        property_codes=list(d.codes),
        needs_broker_answer=d.needs_broker_answer,
        open_question=d.open_question,
        route=d.route,
        handoff_note=d.note,
    )
