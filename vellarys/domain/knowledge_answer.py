"""A knowledge answer: the sentences of the agency's documents that answer the question, or none.

Retrieval ranks chunks; this picks, from the chunks similar enough to be trusted, the sentences
that share the question's words (never a whole chunk, never a sentence cut in two). A worked
example's sentences and table rows are left out: their numbers belong to the example, not to
the lead. Below the threshold the honest answer is that a broker will confirm.

``KNOWLEDGE_MIN_SCORE`` is calibrated on ``bench/data/knowledge_questions.json`` with
``python -m bench.knowledge_threshold`` (answerable questions above, unanswerable ones below).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from vellarys.domain.cards import KnowledgeHit
from vellarys.domain.excerpt import quote, shares_words, stems, units
from vellarys.domain.text import fold

KNOWLEDGE_MIN_SCORE = 0.85  # E5 cosine similarity under which a chunk is not trusted
# A second document's sentences are added only when its chunk is nearly as close as the first.
SECOND_DOCUMENT_MARGIN = 0.015


@dataclass(frozen=True, slots=True)
class KnowledgeAnswer:
    text: str
    documents: tuple[str, ...]
    framed: bool = False  # the text opens with its own title or lead-in ("Sem fiador, ...:")


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


MAX_SENTENCES = 3
MAX_CHARS = 480
# With sentence scores, sentences this far below the best one are not part of the answer.
SENTENCE_MARGIN = 0.04
SCORED_SENTENCES = 3
WORD_BONUS = 0.01
OPENING_BONUS = 0.005
# "qual a taxa?", "quanto custa?": a sentence with the figure answers; one without only talks.
VALUE_BONUS = 0.02
_ASKS_VALUE = re.compile(r"\b(?:qual|quanto|quanta|taxa|valor|preco|custa|percentual)\b")
_FIGURE = re.compile(r"\d")


def candidate_sentences(hits: Sequence[KnowledgeHit], question: str) -> list[str]:
    """The sentences an answer may quote, from the trusted hits (for the caller to score).

    A sentence that only announces a list ("... estas condições:") is left out: quoted alone,
    it is an answer cut in the middle.
    """
    found = _chosen_hits(trusted(hits, question))
    return list(
        dict.fromkeys(
            text
            for hit in found
            for _, _, text in units(hit.content)
            if not text.rstrip().endswith(":")
        )
    )


def _chosen_hits(found: Sequence[KnowledgeHit]) -> list[KnowledgeHit]:
    """The best hit, and a second document's only when it is nearly as close."""
    if not found:
        return []
    chosen = [found[0]]
    second = next((h for h in found[1:] if h.document != found[0].document), None)
    if second is not None and found[0].score - second.score <= SECOND_DOCUMENT_MARGIN:
        chosen.append(second)
    return chosen


def answer_question(
    hits: Sequence[KnowledgeHit],
    question: str,
    *,
    sentence_scores: Mapping[str, float] | None = None,
    sentences: int = SCORED_SENTENCES,
) -> KnowledgeAnswer | None:
    """The answering sentences, from the best chunk (and a close second document), or None.

    With ``sentence_scores`` (each candidate sentence's similarity to the question, from the
    embedder) the closest sentences are quoted; without, those sharing the most words.
    """
    found = trusted(hits, question)
    if not found:
        return None
    if sentence_scores:
        return _by_scores(_chosen_hits(found), sentence_scores, question, sentences)
    chosen = _chosen_hits(found)
    parts = [quote(hit.content, question) for hit in chosen]
    parts = [p for p in dict.fromkeys(parts) if p]
    if not parts:
        return None
    text = whatsapp_prose("\n".join(parts))
    return KnowledgeAnswer(text, tuple(h.document for h in chosen))


def _by_scores(
    hits: Sequence[KnowledgeHit],
    scores: Mapping[str, float],
    question: str,
    sentences: int = SCORED_SENTENCES,
) -> KnowledgeAnswer | None:
    """The best sentences, in the documents' order, within the answer's size.

    A sentence's embedding similarity gets a small bonus per word it shares with the question
    and for opening its section (where documents state the rule before the details).
    """
    keys = stems(question)
    value = VALUE_BONUS if _ASKS_VALUE.search(fold(question)) else 0.0
    placed = []
    for h, hit in enumerate(hits):
        seen: set[int] = set()
        for section, line, text in units(hit.content):
            if text not in scores:
                continue
            bonus = (
                WORD_BONUS * len(keys & stems(text))
                + (value if _FIGURE.search(text) else 0.0)
                + (OPENING_BONUS if section not in seen else 0)
            )
            seen.add(section)
            placed.append((scores[text] + bonus, h, line, text))
    if not placed:
        return None
    best = max(score for score, *_ in placed)
    ranked = sorted((p for p in placed if p[0] >= best - SENTENCE_MARGIN), key=lambda p: -p[0])
    chosen: list[tuple[float, int, int, str]] = []
    size = 0
    for item in ranked[:sentences]:
        if chosen and size + len(item[3]) > MAX_CHARS:
            continue
        chosen.append(item)
        size += len(item[3]) + 1
    # The best sentence first (it answers), the rest in the documents' order.
    chosen = chosen[:1] + sorted(chosen[1:], key=lambda p: (p[1], p[2]))
    text = whatsapp_prose(" ".join(dict.fromkeys(p[3] for p in chosen)))
    documents = tuple(dict.fromkeys(hits[p[1]].document for p in chosen))
    return KnowledgeAnswer(text, documents)


# "**Taxa de administração:**" opens a line of a document; quoted in a sentence, the label in
# bold next to the value in bold reads as doubled bold on WhatsApp.
_BOLD_LABEL = re.compile(r"\*([^*\n]{1,60}:)\*")
_YES_NO = re.compile(
    r"^(?:e |mas )?(?:posso|pode|podem|da pra|da para|e possivel|tem como|vcs|voces|voce|vc"
    r"|aceita\w*|consigo|preciso|precisa|pago|tem|existe|fazem|faz|administram|trabalham"
    r"|cobra\w*|financia\w*|e obrigatori\w*)\b"
)
_WH = re.compile(r"\b(?:qual|quais|quanto|quanta|quantos|quantas|como|quando|onde|que|ou)\b")
_NEGATIVE = re.compile(r"\b(?:nao|nunca|proibid\w*|vedad\w*|impossivel|nenhum\w*)\b")


# A "yes" that costs the lead something is not cheered: a penalty asked about is "Infelizmente,
# sim."; a fee, a cost or a penalty the answer brings up gets a plain "Sim." (no "!").
_PENALTY = re.compile(
    r"\b(?:multa\w*|penalidade\w*|juros de mora|despejo|rescis\w*|atras\w*|protest\w*)\b"
)
_COST = re.compile(
    r"\b(?:taxa\w*|cobra\w*|custa\w*|custo\w*|pag(?:o|a|ar|amos|am)|despesa\w*|tarifa\w*"
    r"|reajust\w*|caucao|fiador|seguro)\b"
)


def whatsapp_prose(text: str) -> str:
    """A quoted passage as WhatsApp shows it: single-asterisk bold, no bold label lead-ins."""
    return _BOLD_LABEL.sub(r"\1", text.replace("**", "*"))


def yes_first(question: str, answer: str) -> str:
    """ "posso usar o FGTS na entrada?" answered "Sim! ..." when the passage says yes.

    Only a yes/no question (no "qual", "quanto", "ou") whose answer has no negation gets the
    "Sim!"; anything else is left as the passage says it. Bad news is not cheered: "pago
    multa?" is "Infelizmente, sim.", a fee or a penalty in the answer a plain "Sim.".
    """
    clauses = [c.strip() for c in re.split(r"[,.;!]|\?(?=.)", fold(question)) if c.strip()]
    last = clauses[-1] if clauses else ""
    if not _YES_NO.search(last) or _WH.search(last) or _NEGATIVE.search(fold(answer)):
        return answer
    if _PENALTY.search(last):
        return f"Infelizmente, sim. {answer}"
    if _COST.search(last) or _PENALTY.search(fold(answer)):
        return f"Sim. {answer}"
    return f"Sim! {answer}"
