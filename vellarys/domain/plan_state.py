"""The offline planner's working state: what retrieval found, the turn, and the reply drafted."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from vellarys.domain import handoff_promise
from vellarys.domain.cards import KnowledgeHit, PropertyHit
from vellarys.domain.conversation import ConversationContext
from vellarys.domain.knowledge_answer import KnowledgeAnswer


@dataclass(frozen=True, slots=True)
class Retrieval:
    """What the search found for this message; ``widened`` names the filters relaxed to find it."""

    knowledge: tuple[KnowledgeHit, ...] = ()
    properties: tuple[PropertyHit, ...] = ()
    widened: tuple[str, ...] = ()
    looked_up: PropertyHit | None = None
    missing_code: str | None = None
    # The listing the lead is talking about: a code they wrote, or the one just shown ("esse").
    focus: PropertyHit | None = None
    focus_description: str = ""
    focus_explicit: bool = False  # the lead named it (a code, "esse", "o primeiro")
    # One per question of the message, in order: (the act's kind, the answer or None).
    answers: tuple[tuple[str, KnowledgeAnswer | None, str], ...] = ()
    shown_before: tuple[str, ...] = ()  # every card sent in this conversation
    iptu_period: str = "year"
    itbi_rates: Mapping[str, Any] = field(default_factory=dict)
    no_listings: bool = False  # the agency has no listing at all (a new account, a paused feed)


@dataclass(frozen=True, slots=True)
class PlanTurn:
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
    def answer_by(self) -> str:
        """ " até hoje às 17h": when a broker's answer is promised (empty with no clock)."""
        when = handoff_promise.answer_by(self.context.settings, self.context.now)
        return f" {when}" if when else ""

    @property
    def name(self) -> str | None:
        full = self.profile.get("name") or self.context.lead_name
        return str(full).split()[0] if full else None


@dataclass(slots=True)
class Draft:
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
    open_question: str | None = None
    answered_kinds: set[str] = field(default_factory=set)  # facts / costs given from data
    route: str | None = None  # who takes the handoff: "listings", "support", or any broker
    note: str | None = None  # a line for the broker; the reply then also explains the handoff

    answers: list[str] = field(default_factory=list)  # put before the search's cards
    listings_at: int | None = None  # where in ``before`` the search results are introduced

    def say(self, text: str) -> None:
        (self.after if self.cards else self.before).append(text)

    def answer(self, text: str) -> None:
        """An answer to what the lead asked: before the listings a search found (the question
        first, in the order asked), after the card of a listing the lead named."""
        if self.listings_at is None:
            self.say(text)
        else:
            self.answers.append(text)

    def opening(self) -> list[str]:
        """``before`` with the answers placed ahead of the listings' introduction."""
        if self.listings_at is None:
            return list(self.before)
        at = self.listings_at
        return [*self.before[:at], *self.answers, *self.before[at:]]
