"""What each part of a lead's message does: the ordered acts of one message (or burst).

``understand(text, context)`` splits the message into clauses and returns its acts in the order
the lead wrote them ("oi! vcs aceitam pet? queria marcar visita no AP1234" -> greeting,
listing_question, visit_request). Rules decide where they are exact (opt-out, listing codes,
"vc é robô?", a named staff member, owners' phrases); a clause no rule recognises is given the
kind of its nearest labelled examples when a ``NearestExamples`` classifier is passed in (the
domain never embeds: the caller hands a classifier built on an embed callable).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from vellarys.domain import act_vocabulary as av
from vellarys.domain.intent import is_opt_out, listing_codes
from vellarys.domain.qualification import extract
from vellarys.domain.text import find_affirmed, find_places, fold

# Every kind an act can have. "search" is a lead stating or asking for what they look for
# without saying buy or rent ("tem 2 quartos na Mooca?", "até 600 mil").
ACT_KINDS = (
    "buy",
    "rent",
    "invest",
    "sell",
    "rent_out",
    "support",
    "visit_request",
    "ask_human",
    "listing_question",
    "cost_question",
    "knowledge_question",
    "search",
    "greeting",
    "small_talk",
    "bot_question",
    "complaint",
    "out_of_area",
    "opt_out",
    "correction",
)
# A clause doing one of these is not also a search, whatever amounts or rooms it names.
_NOT_A_SEARCH = frozenset(
    {"sell", "rent_out", "support", "out_of_area", "visit_request", "complaint", "invest"}
)
_SEEKING_ACTS = frozenset({"buy", "rent", "invest"})
_SEARCH_SLOTS = frozenset(
    {"neighborhoods", "bedrooms", "parking", "budget_min", "budget_max", "pets"}
)
# The acts that say what the lead wants from the agency; they map onto profile ``intent``.
INTENT_ACTS = ("buy", "rent", "invest", "sell", "rent_out", "support")
_QUESTIONS = frozenset({"knowledge_question", "listing_question", "cost_question"})
# Never guessed from examples: stopping all messages or rewriting the profile needs a rule.
_RULE_ONLY = frozenset({"opt_out", "correction", "out_of_area"})
# Kinds a question can have on its own ("vc é robô?", "posso ver amanhã?", "tem outros?").
_ANSWERABLE_BY_KIND = frozenset(
    {"bot_question", "visit_request", "ask_human", "search", "support", "complaint"}
)
_ORDINALS = {
    "primeiro": 0,
    "primeira": 0,
    "1o": 0,
    "1a": 0,
    "segundo": 1,
    "segunda": 1,
    "2o": 1,
    "2a": 1,
    "terceiro": 2,
    "terceira": 2,
    "3o": 2,
    "3a": 2,
    "quarto": 3,
    "quarta": 3,
    "ultimo": -1,
    "ultima": -1,
}


@dataclass(frozen=True, slots=True)
class Act:
    """One thing the message does.

    ``start``/``end`` index the original text; ``text`` is that span. Entities, when present:
    ``listing_code`` (written, or resolved from ``listing_ref`` against the listings shown),
    ``listing_ref`` ("this" for "esse/este/ele", "first", "second", "third", "fourth", "last"),
    ``staff_name`` (a staff member the lead names, as spelled in the context), ``topic``
    (what a question is about: "pets", "iptu", "condominio", "itbi", "financing", ...).
    ``source`` is "rule" or "example"; ``score`` the example similarity (1.0 for rules).
    """

    kind: str
    text: str
    start: int
    end: int
    listing_code: str | None = None
    listing_ref: str | None = None
    staff_name: str | None = None
    topic: str | None = None
    source: str = "rule"
    score: float = 1.0


@dataclass(frozen=True, slots=True)
class UnderstandingContext:
    """What is known around the message.

    ``shown_codes``: listing codes the assistant showed, oldest first, the last reply's last
    ("o primeiro" is the first of the last reply's cards, "esse" the most recent one).
    ``last_shown_batch``: the codes of the last reply only, in order (for ordinals).
    ``staff_names``: names of agency staff a lead may ask for. ``served_cities``: cities the
    agency works in; ``known_neighborhoods``: places of its listings (both from its listings).
    """

    last_asked: str | None = None
    shown_codes: Sequence[str] = ()
    last_shown_batch: Sequence[str] = ()
    staff_names: Sequence[str] = ()
    served_cities: Sequence[str] = ()
    known_neighborhoods: Sequence[str] = ()


class ClauseClassifier(Protocol):
    """Gives a clause the kind of its nearest labelled examples, or None when none is close."""

    def classify(self, text: str) -> tuple[str, float] | None: ...


@dataclass(slots=True)
class _Clause:
    start: int
    end: int
    text: str
    folded: str = field(init=False)

    def __post_init__(self) -> None:
        self.folded = fold(self.text)


def understand(
    text: str,
    context: UnderstandingContext | None = None,
    *,
    classifier: ClauseClassifier | None = None,
) -> list[Act]:
    """The acts of ``text`` in the order written; empty for an empty message."""
    context = context or UnderstandingContext()
    if not text.strip():
        return []
    if is_opt_out(text):
        return [Act("opt_out", text.strip(), 0, len(text))]
    if not re.search(r"\w", text):
        return [Act("small_talk", text.strip(), 0, len(text))]  # "👍", "🙏🙏"
    acts: list[Act] = []
    for clause in clauses(text):
        found = _rule_acts(clause, context)
        if not _decisive(found) and not _only_courtesy(clause, found):
            found += _guessed(clause, classifier)
        acts.extend(_with_listing(a, clause, context) for a in found)
    return _ordered_unique(acts)


def _guessed(clause: _Clause, classifier: ClauseClassifier | None) -> list[Act]:
    """The nearest examples' kind for a clause no rule explains; a question by default."""
    guess = classifier.classify(clause.text) if classifier is not None else None
    question = _is_question(clause.folded)
    if guess is not None and guess[0] in _QUESTIONS and not question:
        # "tenho 80 mil de fgts" is near the FGTS questions, but states a fact: no answer due.
        return []
    if guess is not None and guess[0] not in _RULE_ONLY:
        kind = guess[0]
        # A question the examples place among statements is still a question to answer.
        if question and kind not in _QUESTIONS and kind not in _ANSWERABLE_BY_KIND:
            kind = "knowledge_question"
        return [_act(kind, clause, source="example", score=guess[1])]
    return [_act("knowledge_question", clause)] if question else []


def _only_courtesy(clause: _Clause, found: Sequence[Act]) -> bool:
    """ "oi tudo bem?", "ok obrigado": nothing left once the courtesy words are taken out."""
    if not found:
        return len(av.WORD.findall(clause.folded)) == 0
    rest = clause.folded
    for pattern in (av.GREETING, av.SMALL_TALK, av.FILLER):
        rest = pattern.sub(" ", rest)
    return len(av.WORD.findall(rest)) == 0


def kinds(acts: Sequence[Act]) -> list[str]:
    """The kinds of ``acts``, in order, once each."""
    return list(dict.fromkeys(a.kind for a in acts))


def profile_intent(acts: Sequence[Act]) -> str | None:
    """The profile ``intent`` the acts state: the last intent act, ``invest`` beating ``buy``."""
    stated = [a.kind for a in acts if a.kind in INTENT_ACTS]
    if "invest" in stated:
        return "invest"
    return stated[-1] if stated else None


def clauses(text: str) -> list[_Clause]:
    """Split at sentence punctuation, line breaks and discourse markers ("e tbm", "outra coisa")."""
    cuts = {0, len(text)}
    for match in av.CLAUSE_BREAK.finditer(text):
        cuts.add(match.end())  # the punctuation stays with its clause: "?" marks a question
    folded_positions = _fold_map(text)
    for match in av.DISCOURSE_MARKER.finditer(folded_positions[0]):
        cuts.add(folded_positions[1][match.start()])
    bounds = sorted(cuts)
    found = []
    for start, end in itertools.pairwise(bounds):
        piece = text[start:end]
        if re.search(r"\w", piece):
            lead = len(piece) - len(piece.lstrip())
            found.append(_Clause(start + lead, end, piece.strip()))
    return found


def _fold_map(text: str) -> tuple[str, list[int]]:
    """Folded text (same length rules as ``fold`` per character) and each char's source index."""
    out: list[str] = []
    index: list[int] = []
    for i, char in enumerate(text):
        for c in fold(char) if not char.isspace() else " ":
            out.append(c)
            index.append(i)
    index.append(len(text))
    return "".join(out), index


def _rule_acts(clause: _Clause, context: UnderstandingContext) -> list[Act]:
    folded = clause.folded
    found: list[Act] = []
    for kind, pattern in av.RULES:
        if find_affirmed(folded, pattern) is not None:
            found.append(_act(kind, clause))
    found = _owner_or_seeker(found, folded)
    staff = _staff_name(clause.text, context.staff_names)
    if staff and (av.STAFF_REQUEST.search(folded) or "?" in folded):
        found = [a for a in found if a.kind != "ask_human"]
        found.append(replace(_act("ask_human", clause), staff_name=staff))
    if _out_of_area(clause.text, context):
        found.append(_act("out_of_area", clause))
    if _searches(clause, context, found):
        found.append(_act("search", clause))
    topic = _topic(folded)
    if topic and _is_question(folded):
        if topic in av.COST_TOPICS:
            found.append(replace(_act("cost_question", clause), topic=topic))
        elif _about_a_listing(clause, context, found):
            found.append(replace(_act("listing_question", clause), topic=topic))
    if _asks_about_seeking(folded, found):
        found.append(_act("knowledge_question", clause))  # "da pra alugar sem fiador?"
    return found


def _asks_about_seeking(folded: str, found: Sequence[Act]) -> bool:
    """A question on how buying or renting works, rather than a search ("tem ap pra alugar?")."""
    kinds_found = {a.kind for a in found}
    return (
        bool(kinds_found & _SEEKING_ACTS)
        and kinds_found <= _SEEKING_ACTS | {"greeting"}
        and _is_question(folded)
        and bool(av.QUESTION_START.match(folded))
    )


def _about_a_listing(clause: _Clause, context: UnderstandingContext, found: Sequence[Act]) -> bool:
    """A fact question is about a listing when it names one, or cards are on the table and
    the lead is not describing a search of their own ("tem ap de 2 quartos na Mooca?")."""
    if listing_codes(clause.text) or _listing_ref(clause.folded):
        return True
    shown = context.shown_codes or context.last_shown_batch
    return bool(shown) and not any(a.kind == "search" for a in found)


def _searches(clause: _Clause, context: UnderstandingContext, found: Sequence[Act]) -> bool:
    """The clause states what the lead looks for (rooms, budget, place) or asks for more cards."""
    if av.MORE_OPTIONS.search(clause.folded):
        return True
    if av.SEARCH_WORDS.search(clause.folded) and not _is_question(clause.folded):
        return True
    if any(a.kind in _NOT_A_SEARCH for a in found) or _listing_ref(clause.folded):
        return False
    if listing_codes(clause.text) or (_topic(clause.folded) and _is_question(clause.folded)):
        return False
    slots = extract(clause.text, known_neighborhoods=context.known_neighborhoods)
    criteria = set(slots) & _SEARCH_SLOTS
    if not any(a.kind in INTENT_ACTS for a in found) and "property_type" in slots:
        criteria.add("property_type")
    return bool(criteria)


def _owner_or_seeker(found: list[Act], folded: str) -> list[Act]:
    """An owner's "alugar meu ap" is rent_out, not rent; "comprar pra alugar" is invest."""
    kinds_found = {a.kind for a in found}
    drop: set[str] = set()
    if "rent_out" in kinds_found:
        drop.add("rent")
    if "sell" in kinds_found and not av.BUY.search(av.SELL.sub(" ", folded)):
        drop.add("buy")  # "vender meu ap e comprar uma casa" is both
    if "invest" in kinds_found:
        drop |= {"buy", "rent"}
    if "bot_question" in kinds_found and "?" in folded:
        drop.add("ask_human")  # "vc é humano?" asks what we are, not for a person
    if "support" in kinds_found and not av.SEEKING.search(folded):
        drop |= {"rent", "buy"}
    return [a for a in found if a.kind not in drop]


def _decisive(found: Sequence[Act]) -> bool:
    return any(a.kind not in ("greeting", "small_talk") for a in found)


def _is_question(folded: str) -> bool:
    return (
        "?" in folded
        or bool(av.QUESTION_START.match(folded))
        or bool(av.QUESTION_CUE.search(folded))
    )


def _topic(folded: str) -> str | None:
    for topic, pattern in av.TOPICS:
        if pattern.search(folded):
            return topic
    return None


def _staff_name(text: str, staff_names: Sequence[str]) -> str | None:
    first_names = {fold(name).split()[0]: name for name in staff_names if name.strip()}
    for word in re.findall(r"\w+", fold(text)):
        if word in first_names:
            return first_names[word]
    return None


def _out_of_area(text: str, context: UnderstandingContext) -> bool:
    if not context.served_cities:
        return False
    served = {fold(c) for c in context.served_cities}
    named = find_places(text, av.OTHER_CITIES)
    places = find_places(text, context.known_neighborhoods)
    return any(fold(city) not in served for city in named) and not places


def _act(kind: str, clause: _Clause, *, source: str = "rule", score: float = 1.0) -> Act:
    return Act(kind, clause.text, clause.start, clause.end, source=source, score=score)


def _with_listing(act: Act, clause: _Clause, context: UnderstandingContext) -> Act:
    codes = listing_codes(clause.text)
    if codes:
        kind = "listing_question" if act.kind == "knowledge_question" else act.kind
        return replace(act, kind=kind, listing_code=codes[0])
    ref = _listing_ref(clause.folded)
    if ref is None:
        return act
    kind = "listing_question" if act.kind == "knowledge_question" else act.kind
    return replace(act, kind=kind, listing_ref=ref, listing_code=_resolve(ref, context))


def _listing_ref(folded: str) -> str | None:
    match = av.ORDINAL_REF.search(folded)
    if match:
        index = _ORDINALS[match.group(1)]
        return ("first", "second", "third", "fourth")[index] if index >= 0 else "last"
    return "this" if av.THIS_REF.search(folded) else None


def _resolve(ref: str, context: UnderstandingContext) -> str | None:
    batch = list(context.last_shown_batch) or list(context.shown_codes)
    if not batch:
        return None
    if ref == "this":
        return batch[0] if len(batch) == 1 else None
    index = {"first": 0, "second": 1, "third": 2, "fourth": 3, "last": -1}[ref]
    return batch[index] if -len(batch) <= index < len(batch) else None


def _ordered_unique(acts: list[Act]) -> list[Act]:
    seen: set[tuple[str, str | None, str | None, int]] = set()
    kept: list[Act] = []
    for act in sorted(acts, key=lambda a: a.start):
        # Two questions are two acts to answer; a repeated "quero comprar" is one.
        where = act.start if act.kind in _QUESTIONS else -1
        key = (act.kind, act.listing_code or act.listing_ref, act.topic, where)
        if key not in seen:
            seen.add(key)
            kept.append(act)
    return kept
