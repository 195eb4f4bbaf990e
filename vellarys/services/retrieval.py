"""What the offline brain needs to answer a message: knowledge, the listing in focus, listings.

Every lookup is an optional step: it runs in a savepoint and, when it fails, is logged and
skipped, so the lead still gets an answer and the lead's message is never rolled back.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextvars import ContextVar
from typing import Any, TypeVar

import numpy as np
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.db.queries import knowledge as knowledge_queries
from vellarys.db.queries import property as property_queries
from vellarys.domain import dialogue
from vellarys.domain.cards import KnowledgeHit, PropertyHit
from vellarys.domain.conversation import Turn
from vellarys.domain.cost_answer import search_ceiling
from vellarys.domain.intent import listing_codes
from vellarys.domain.knowledge_answer import (
    SCORED_SENTENCES,
    KnowledgeAnswer,
    answer_question,
    candidate_sentences,
    trusted,
)
from vellarys.domain.knowledge_lists import asks_for_structure, structured_answer
from vellarys.domain.listing import ready_to_search
from vellarys.domain.listing_facts import asked_facts
from vellarys.domain.planner import Retrieval
from vellarys.domain.ports import Embedder
from vellarys.domain.understanding import Act
from vellarys.errors import VellarysError
from vellarys.services import knowledge, property_search
from vellarys.services.deps import PipelineDeps

log = logging.getLogger(__name__)
T = TypeVar("T")
# What an optional step may raise and still be skipped (a bug elsewhere must surface).
OPTIONAL_FAILURES = (SQLAlchemyError, VellarysError, OSError, TimeoutError, ValueError)
# Set while ``optional_group`` runs its steps under its one savepoint.
_GROUPED: ContextVar[bool] = ContextVar("optional_grouped", default=False)
_LISTING_TALK = frozenset({"question", "financing_question", "listing_question", "cost_question"})


async def optional_step(
    session: AsyncSession,
    name: str,
    step: Callable[[], Awaitable[T]],
    default: T,
    *,
    sql: bool = True,
) -> T:
    """Run ``step`` in a savepoint; on failure log, undo only its own writes, return ``default``.

    ``sql=False`` (a step that runs no SQL this time) skips the savepoint's two round trips,
    and so does a step inside ``optional_group`` (the group's savepoint covers it)."""
    if _GROUPED.get():
        return await step()
    try:
        if not sql:
            return await step()
        async with session.begin_nested():
            return await step()
    except OPTIONAL_FAILURES as exc:
        log.warning("optional step skipped", extra={"step": name, "error": str(exc)[:300]})
        return default


async def optional_group(session: AsyncSession, name: str, steps: Callable[[], Awaitable[T]]) -> T:
    """Run ``steps`` (which call ``optional_step``) under one savepoint instead of one each.

    When one of them fails, the whole group is undone and run again with a savepoint per
    step, so the result is what the steps would give each in its own savepoint: the failing
    one skipped, the others kept. The steps must be reads, safe to run twice, that need none of
    the session's pending changes."""
    token = _GROUPED.set(True)
    try:
        # A savepoint of the connection, not of the session: it flushes nothing, so what the
        # turn changed so far is written once at its end; no read here autoflushes either,
        # so undoing the group never undoes a write the session thinks is done.
        connection = await session.connection()
        with session.no_autoflush:
            async with connection.begin_nested():
                return await steps()
    except OPTIONAL_FAILURES as exc:
        log.warning(
            "optional group retried step by step", extra={"step": name, "error": str(exc)[:300]}
        )
    finally:
        _GROUPED.reset(token)
    return await steps()


async def places_of(session: AsyncSession, tenant_id: uuid.UUID) -> tuple[list[str], list[str]]:
    """The agency's neighborhoods and cities (empty when the lookup fails)."""
    empty: tuple[list[str], list[str]] = ([], [])
    return await optional_step(
        session, "places", lambda: property_search.known_places(session, tenant_id), empty
    )


async def retrieve(
    session: AsyncSession,
    deps: PipelineDeps,
    *,
    tenant_id: uuid.UUID,
    profile: Mapping[str, Any],
    text: str,
    intents: frozenset[str],
    history: Sequence[Turn],
    acts: Sequence[Act] = (),
    settings: Mapping[str, Any] | None = None,
) -> Retrieval:
    """Knowledge for questions, the listing being talked about, and matching listings."""
    settings = settings or {}
    neighborhoods, cities = await places_of(session, tenant_id)
    base = Retrieval(
        shown_before=tuple(dialogue.shown_codes(history)),
        iptu_period=str(settings.get("iptu_period") or "year"),
        itbi_rates=dict(settings.get("itbi_rates") or {}),
        no_listings=not neighborhoods and not cities,
    )
    if not text:
        return base
    codes = listing_codes(text) or [a.listing_code for a in acts if a.listing_code]
    found = await _lookup(session, tenant_id, codes[0]) if codes else None
    looked_up = found[0] if found else None
    focus, description = await _focus(session, tenant_id, text, intents, found, history)
    none: Answers = ()
    answers = await optional_step(
        session, "answers", lambda: _answers(session, deps, tenant_id, text, intents, acts), none
    )
    hits = [] if answers else await _knowledge(session, deps, tenant_id, text, intents)
    search = await _search(session, deps, tenant_id, profile, text, intents, base.shown_before)
    return Retrieval(
        knowledge=tuple(hits),
        properties=tuple(search.hits) if search else (),
        widened=tuple(search.widened) if search else (),
        looked_up=looked_up,
        missing_code=codes[0] if codes and looked_up is None else None,
        focus=focus,
        focus_description=description,
        focus_explicit=looked_up is not None
        or dialogue.points_at_listing(text)
        or (focus is not None and focus.code == dialogue.named_listing(history)),
        answers=answers,
        shown_before=base.shown_before,
        iptu_period=base.iptu_period,
        itbi_rates=base.itbi_rates,
        no_listings=base.no_listings,
    )


Found = tuple[PropertyHit, str]  # a listing looked up by code, and its description


async def _lookup(session: AsyncSession, tenant_id: uuid.UUID, code: str) -> Found | None:
    """The available listing with this code and its description, in one trip."""

    async def found() -> Found | None:
        prop = await property_queries.available_by_code(session, tenant_id, code)
        return (property_search.to_hit(prop, score=1.0), prop.description or "") if prop else None

    return await optional_step(session, "lookup", found, None)


async def _focus(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    text: str,
    intents: frozenset[str],
    looked_up: Found | None,
    history: Sequence[Turn],
) -> tuple[PropertyHit | None, str]:
    """The listing a question is about: the code written, else the card just sent ("esse")."""
    talks = bool(intents & _LISTING_TALK) or bool(asked_facts(text))
    if not talks:
        return None, ""
    focus = looked_up
    if focus is None:
        recent = dialogue.last_shown(history)
        focus = await _lookup(session, tenant_id, recent) if recent else None
    return focus if focus is not None else (None, "")


async def _knowledge(
    session: AsyncSession,
    deps: PipelineDeps,
    tenant_id: uuid.UUID,
    text: str,
    intents: frozenset[str],
) -> list[KnowledgeHit]:
    embedder = deps.embedder
    if embedder is None or not intents & {"question", "financing_question"}:
        return []
    return await optional_step(
        session,
        "knowledge",
        lambda: knowledge.search_knowledge(session, embedder, tenant_id=tenant_id, query=text, k=3),
        [],
    )


Answers = tuple[tuple[str, KnowledgeAnswer | None, str], ...]
_QUESTION_ACTS = ("knowledge_question", "cost_question", "listing_question")
MAX_QUESTIONS = 3


async def _answers(
    session: AsyncSession,
    deps: PipelineDeps,
    tenant_id: uuid.UUID,
    text: str,
    intents: frozenset[str],
    acts: Sequence[Act],
) -> Answers:
    """Each question of the message answered from the documents, sentence by sentence.

    One question: the whole message is the query (its context counts: "não tenho fiador, tem
    outra opção?"). Several: each clause is asked on its own, in the order written.
    """
    embedder = deps.embedder
    if embedder is None or "question" not in intents:
        return ()
    asked = [(a.kind, a.text) for a in acts if a.kind in _QUESTION_ACTS][:MAX_QUESTIONS]
    if len(asked) <= 1:
        asked = [(asked[0][0] if asked else "knowledge_question", text)]
    found: list[tuple[str, KnowledgeAnswer | None, str]] = []
    for kind, question in asked:
        hits = await knowledge.search_knowledge(
            session, embedder, tenant_id=tenant_id, query=question, k=3
        )
        shaped = await _structured(session, tenant_id, hits, question)
        if shaped is not None:
            found.append((kind, shaped, question))
            continue
        scores = await asyncio.to_thread(_sentence_scores, embedder, hits, question)
        # Several questions in one message: each gets its one best sentence, in order.
        most = 1 if len(asked) > 1 else SCORED_SENTENCES
        found.append(
            (
                kind,
                answer_question(hits, question, sentence_scores=scores, sentences=most),
                question,
            )
        )
    return tuple(found)


async def _structured(
    session: AsyncSession, tenant_id: uuid.UUID, hits: Sequence[KnowledgeHit], question: str
) -> KnowledgeAnswer | None:
    """A list or the other options, from the whole document of the best trusted chunk."""
    best = trusted(hits, question)
    if not best or best[0].document_id is None or not asks_for_structure(question):
        return None
    document = await knowledge_queries.get_document(session, tenant_id, best[0].document_id)
    text = structured_answer(document.content, question) if document else None
    return KnowledgeAnswer(text, (best[0].document,), framed=True) if text else None


def _sentence_scores(
    embedder: Embedder, hits: Sequence[KnowledgeHit], question: str
) -> dict[str, float]:
    """Each candidate sentence's cosine similarity to the question (E5 query vs passage)."""
    candidates = candidate_sentences(hits, question)
    if not candidates:
        return {}
    query = embedder.query(question)
    vectors = embedder.passages(candidates)
    return {
        text: float(np.dot(query, vector) / (np.linalg.norm(query) * np.linalg.norm(vector)))
        for text, vector in zip(candidates, vectors, strict=True)
    }


async def _search(
    session: AsyncSession,
    deps: PipelineDeps,
    tenant_id: uuid.UUID,
    profile: Mapping[str, Any],
    text: str,
    intents: frozenset[str],
    shown: Sequence[str],
) -> property_search.PropertySearch | None:
    """Listings for the profile, never the ones already sent (a card is not sent twice)."""
    embedder = deps.embedder
    if embedder is None or not ready_to_search(profile):
        return None
    if profile.get("intent") in ("sell", "rent_out", "support"):
        return None
    # "mais opções" pages past every card sent, and never widens into something else.
    more = "more" in intents
    ceiling = search_ceiling(profile, text)
    if ceiling:
        profile = {**profile, "budget_max": ceiling}
    return await optional_step(
        session,
        "properties",
        lambda: property_search.search_properties(
            session,
            embedder,
            tenant_id=tenant_id,
            profile=profile,
            text=text,
            k=3,
            exclude_codes=tuple(shown) if more else (),
            widen=not more,
        ),
        None,
    )
