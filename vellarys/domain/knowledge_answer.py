"""A knowledge answer: the sentences of the agency's documents that answer the question, or none.

Retrieval ranks chunks; this picks, from the chunks similar enough to be trusted, the sentences
that share the question's words (never a whole chunk, never a sentence cut in two). A worked
example's sentences and table rows are left out: their numbers belong to the example, not to
the lead. Below the threshold the honest answer is that a broker will confirm.

``KNOWLEDGE_MIN_SCORE`` is calibrated on ``tests/data/knowledge_questions.json`` with
``python -m bench.knowledge_threshold`` (answerable questions above, unanswerable ones below).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from vellarys.domain.cards import KnowledgeHit
from vellarys.domain.excerpt import quote, shares_words

KNOWLEDGE_MIN_SCORE = 0.85  # E5 cosine similarity under which a chunk is not trusted
# A second document's sentences are added only when its chunk is nearly as close as the first.
SECOND_DOCUMENT_MARGIN = 0.015


@dataclass(frozen=True, slots=True)
class KnowledgeAnswer:
    text: str
    documents: tuple[str, ...]


def trusted(hits: Sequence[KnowledgeHit], question: str | None = None) -> list[KnowledgeHit]:
    """Hits at or above the threshold (sharing a word with ``question``, if given), best first."""
    kept = [
        h
        for h in hits
        if h.score >= KNOWLEDGE_MIN_SCORE
        and (question is None or shares_words(h.content, question))
    ]
    return sorted(kept, key=lambda h: -h.score)


def best_knowledge(hits: Sequence[KnowledgeHit]) -> KnowledgeHit | None:
    """The most similar chunk, if it is similar enough to be trusted as the answer."""
    found = trusted(hits)
    return found[0] if found else None


def answer_question(hits: Sequence[KnowledgeHit], question: str) -> KnowledgeAnswer | None:
    """The answering sentences, from the best chunk (and a close second document), or None."""
    found = trusted(hits, question)
    if not found:
        return None
    chosen = [found[0]]
    second = next((h for h in found[1:] if h.document != found[0].document), None)
    if second is not None and found[0].score - second.score <= SECOND_DOCUMENT_MARGIN:
        chosen.append(second)
    parts = [quote(hit.content, question) for hit in chosen]
    parts = [p for p in dict.fromkeys(parts) if p]
    if not parts:
        return None
    # Documents are Markdown; WhatsApp bolds with one asterisk.
    text = "\n".join(parts).replace("**", "*")
    return KnowledgeAnswer(text, tuple(h.document for h in chosen))
