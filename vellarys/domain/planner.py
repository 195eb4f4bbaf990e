"""The offline brain's reply planner: what to say to a lead, decided by rules, never invented.

``plan_reply`` reads the conversation, the profile (already merged with this message's slots),
what retrieval found and the message's intents, and writes a short WhatsApp reply: at most
four messages, each under 700 characters. It mentions only properties, prices and codes that
retrieval returned and quotes knowledge word for word; what it cannot answer it says it will
confirm with a broker. It asks at most one qualification question per reply.
"""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from vellarys.domain import phrases
from vellarys.domain.cards import KnowledgeHit, PropertyHit, property_card
from vellarys.domain.conversation import BrainReply, ConversationContext
from vellarys.domain.excerpt import quote
from vellarys.domain.intent import listing_codes
from vellarys.domain.layout import fits, lay_out
from vellarys.domain.listing import (
    financing_price,
    fresh_properties,
    properties_intro,
    ready_to_search,
    simulation_text,
)
from vellarys.domain.opening import QUIET_TYPES, greeting, media_notes, quiet_reply
from vellarys.domain.qualification import missing_slots
from vellarys.domain.question import (
    askable_slots,
    question_text,
    slot_asked_by,
)

KNOWLEDGE_MIN_SCORE = 0.80  # E5 cosine similarity under which a chunk is not trusted as an answer

_TEXT_TYPES = frozenset({"text", "interactive"})
# Slots whose mention makes a question a property search ("tem apê na Mooca?").
_SEARCH_SLOTS = frozenset(
    {"property_type", "neighborhoods", "city", "bedrooms", "parking", "budget_max", "budget_min"}
)
_SUBSTANTIVE = frozenset({"question", "financing_question", "visit"})
# An injection attempt is ignored: nothing it asks for is acted on.
_IGNORED_ON_INJECTION = frozenset({"question", "financing_question", "visit", "human"})


@dataclass(frozen=True, slots=True)
class Retrieval:
    """What the search found for this message; ``widened`` names the filters relaxed to find it."""

    knowledge: tuple[KnowledgeHit, ...] = ()
    properties: tuple[PropertyHit, ...] = ()
    widened: tuple[str, ...] = ()
    looked_up: PropertyHit | None = None
    missing_code: str | None = None


@dataclass(frozen=True, slots=True)
class _Turn:
    context: ConversationContext
    profile: Mapping[str, Any]
    retrieval: Retrieval
    intents: frozenset[str]
    injection: bool
    last_asked: str | None
    asked_before: Sequence[str]
    learned: frozenset[str]
    shown_before: frozenset[str]
    previous_reply: str

    @property
    def variant(self) -> int:
        return len(self.context.history)

    @property
    def name(self) -> str | None:
        full = self.profile.get("name") or self.context.lead_name
        return str(full).split()[0] if full else None


@dataclass(slots=True)
class _Draft:
    before: list[str] = field(default_factory=list)
    cards: list[str] = field(default_factory=list)
    after: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    asked: str | None = None
    follow_up: str | None = None
    greeting_question: str | None = None
    handled: bool = False  # the message's point was answered
    question_done: bool = False  # the reply already asks (or must not ask) something
    stop: bool = False
    handoff_reason: str | None = None
    needs_broker_answer: bool = False

    def say(self, text: str) -> None:
        (self.after if self.cards else self.before).append(text)


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
    turn = _turn(context, profile, retrieval, intents, last_asked, asked_before, learned)
    draft = _Draft()
    if _only_quiet_media(turn):
        draft.before = quiet_reply(context.new_messages, turn.variant)
        return _finish(turn, draft)
    _open(turn, draft)
    for step in _STEPS:
        step(turn, draft)
        if draft.stop:
            break
    return _finish(turn, draft)


def _turn(
    context: ConversationContext,
    profile: Mapping[str, Any],
    retrieval: Retrieval,
    intents: frozenset[str],
    last_asked: str | None,
    asked_before: Sequence[str],
    learned: Collection[str],
) -> _Turn:
    injection = "prompt_injection" in intents
    previous = _previous_reply(context)
    return _Turn(
        context=context,
        profile=profile,
        retrieval=retrieval,
        intents=intents - _IGNORED_ON_INJECTION if injection else intents,
        injection=injection,
        last_asked=last_asked,
        asked_before=asked_before,
        learned=frozenset(learned),
        shown_before=frozenset(listing_codes(previous)),
        previous_reply=previous,
    )


def _previous_reply(context: ConversationContext) -> str:
    """The text of the last run of assistant messages: one reply is often several messages."""
    collected: list[str] = []
    for turn in reversed(context.history):
        if turn.role == "assistant":
            collected.append(turn.content)
        elif collected:
            break
    return "\n".join(reversed(collected))


def _only_quiet_media(t: _Turn) -> bool:
    kinds = {m.type for m in t.context.new_messages}
    return bool(kinds) and kinds <= QUIET_TYPES and not t.context.first_contact


def _open(t: _Turn, d: _Draft) -> None:
    if t.context.first_contact:
        opening, d.greeting_question = greeting(t.context.settings, t.context.agency_name)
        d.before.append(opening)
    d.before += media_notes(t.context.new_messages)  # the audio note may change in _finish


# --- steps, in order ---------------------------------------------------------------------


def _handoff(t: _Turn, d: _Draft) -> None:
    asked_now = "wants_human" in t.learned
    profile_wants = bool(t.profile.get("wants_human")) and t.context.stage != "handed_off"
    if "human" in t.intents or (profile_wants and not (t.injection and asked_now)):
        d.say(phrases.HANDOFF[t.variant % len(phrases.HANDOFF)])
        d.handoff_reason = "requested"
        d.stop = True


def _goodbye(t: _Turn, d: _Draft) -> None:
    if "goodbye" in t.intents and not _substantive(t):
        d.say(phrases.GOODBYE[t.variant % len(phrases.GOODBYE)])
        d.stop = True


def _courtesy(t: _Turn, d: _Draft) -> None:
    if "thanks" in t.intents:
        if not _substantive(t) and _next_slot(t) is None:
            d.say(phrases.THANKS_CLOSING)
            d.stop = True
        else:
            d.say(phrases.THANKS[t.variant % len(phrases.THANKS)])
    elif "name" in t.learned and t.name:
        d.say(phrases.NICE_TO_MEET.format(name=t.name))
    elif "greeting" in t.intents and not t.context.first_contact:
        hello = phrases.HELLO_AGAIN[t.variant % len(phrases.HELLO_AGAIN)]
        d.say(hello.format(name=f", {t.name}" if t.name else ""))


def _listing(t: _Turn, d: _Draft) -> None:
    hit, missing = t.retrieval.looked_up, t.retrieval.missing_code
    if hit is not None:
        d.handled = True
        if hit.code not in t.shown_before:
            _add_cards(d, [hit])
            d.follow_up = phrases.LOOKED_UP_FOLLOW_UP
        elif "visit" not in t.intents:
            d.say(phrases.SEEN_LISTING.format(code=hit.code))
            d.question_done = True
    elif missing:
        d.handled = True
        d.say(phrases.MISSING_CODE.format(code=missing))
        hits = _fresh(t)
        if hits:
            d.say(phrases.MISSING_CODE_ALTERNATIVES)
            _add_cards(d, hits)


def _knowledge(t: _Turn, d: _Draft) -> None:
    if "question" not in t.intents or "financing_question" in t.intents:
        return
    hit = best_knowledge(t.retrieval.knowledge)
    answer = quote(hit.content, t.context.text) if hit else ""
    if answer:
        intro = phrases.KNOWLEDGE_INTROS[t.variant % len(phrases.KNOWLEDGE_INTROS)]
        d.say(f"{intro}\n{answer}")
        d.handled = True


def best_knowledge(hits: Sequence[KnowledgeHit]) -> KnowledgeHit | None:
    """The most similar chunk, if it is similar enough to be trusted as the answer."""
    trusted = [hit for hit in hits if hit.score >= KNOWLEDGE_MIN_SCORE]
    return max(trusted, key=lambda hit: hit.score, default=None)


def _properties(t: _Turn, d: _Draft) -> None:
    if t.retrieval.looked_up or t.retrieval.missing_code or not ready_to_search(t.profile):
        return
    hits = _fresh(t)
    if hits:
        widened = t.retrieval.widened
        d.say(properties_intro(len(hits), t.profile, widened=widened, variant=t.variant))
        _add_cards(d, hits)
        d.handled = True
    elif not t.retrieval.properties and t.learned & _SEARCH_SLOTS:
        d.say(phrases.NO_MATCH)
        d.handled = True


def _financing(t: _Turn, d: _Draft) -> None:
    if "financing_question" not in t.intents:
        return
    d.handled = True
    retrieved = t.retrieval.properties
    candidates = [t.retrieval.looked_up] if t.retrieval.looked_up else []
    candidates += [hit for hit in retrieved if hit.code in d.codes]
    candidates += [hit for hit in retrieved if hit.code in t.shown_before]
    found = financing_price(candidates, t.profile)
    if found is None:
        d.say(phrases.FINANCING_ASK_PRICE)
        d.asked = "budget_max" if "budget_max" in missing_slots(t.profile) else None
        d.question_done = True
        return
    price, source = found
    d.say(simulation_text(price, source))
    d.say(phrases.FINANCING_DISCLAIMER)


def _visit(t: _Turn, d: _Draft) -> None:
    if "visit" in t.intents:
        d.say(phrases.VISIT_HANDOFF[t.variant % len(phrases.VISIT_HANDOFF)])
        d.handoff_reason = "requested"
        d.handled = d.stop = True


def _unanswered(t: _Turn, d: _Draft) -> None:
    """A question nothing above answered: say so honestly instead of guessing."""
    if "question" not in t.intents or d.handled:
        return
    if "?" not in t.context.text and t.learned:
        return  # "tem que ter 2 quartos": a statement that starts like a question
    if t.learned & _SEARCH_SLOTS:
        d.say(phrases.SEARCH_ACK)
    else:
        d.say(phrases.BROKER_WILL_CONFIRM)
        d.needs_broker_answer = True
    d.handled = True


def _not_understood(t: _Turn, d: _Draft) -> None:
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


def _question(t: _Turn, d: _Draft) -> None:
    if d.question_done:
        return
    if d.follow_up:
        d.say(d.follow_up)
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


def _closing(t: _Turn, d: _Draft) -> None:
    if d.asked or d.question_done or d.follow_up:
        return
    if d.cards:
        d.say(phrases.AFTER_CARDS)
    elif not d.handled:
        done = phrases.ALL_SET in t.previous_reply
        d.say(phrases.STILL_HERE if done else phrases.ALL_SET)


_STEPS = (
    _handoff,
    _goodbye,
    _courtesy,
    _listing,
    _knowledge,
    _properties,
    _financing,
    _visit,
    _unanswered,
    _not_understood,
    _question,
    _closing,
)


# --- helpers ----------------------------------------------------------------------------


def _askable(t: _Turn) -> list[str]:
    return askable_slots(t.profile, last_asked=t.last_asked, asked_before=t.asked_before)


def _next_slot(t: _Turn) -> str | None:
    askable = _askable(t)
    return askable[0] if askable else None


def _substantive(t: _Turn) -> bool:
    retrieval = t.retrieval
    found = retrieval.looked_up is not None or retrieval.missing_code is not None
    return bool(t.learned or t.intents & _SUBSTANTIVE or found)


def _unclear(t: _Turn) -> bool:
    """Nothing understood: no intent, no slot and no listing code in a text message."""
    types = {m.type for m in t.context.new_messages}
    understood = t.intents - {"prompt_injection"} or t.learned or _substantive(t)
    return bool(t.context.text) and types <= _TEXT_TYPES and not understood


def _add_cards(d: _Draft, hits: Sequence[PropertyHit]) -> None:
    """Cards go in one message; the ones that do not fit in it are left for another turn."""
    for hit in hits:
        card = property_card(hit)
        if d.cards and not fits([*d.cards, card]):
            break
        d.cards.append(card)
        d.codes.append(hit.code)


def _fresh(t: _Turn) -> list[PropertyHit]:
    return fresh_properties(t.retrieval.properties, t.profile, shown_before=t.shown_before)


# --- the reply ---------------------------------------------------------------------------


def _finish(t: _Turn, d: _Draft) -> BrainReply:
    if not d.asked and not d.question_done and not d.follow_up:
        d.before = [phrases.AUDIO if p == phrases.AUDIO_THEN_QUESTION else p for p in d.before]
    return BrainReply(
        messages=lay_out(d.before, d.cards, d.after),
        profile=dict(t.profile),
        asked=d.asked,
        handoff_reason=d.handoff_reason,
        property_codes=list(d.codes),
        needs_broker_answer=d.needs_broker_answer,
    )
