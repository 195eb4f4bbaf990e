"""Quote a knowledge chunk faithfully: pick its sentences that answer a question, word for word.

The offline brain never paraphrases the agency's knowledge (a reworded fee or deadline is a
wrong fee or deadline); it only chooses which sentences to show. Markdown headings are skipped
and list markers dropped, but every sentence returned is a substring of the chunk.
"""

import re
from functools import lru_cache
from typing import NamedTuple

from vellarys.domain.text import fold, word_set

_BOUNDARY = re.compile(r"(?<=[.!?…])\s+")
_HEADING = re.compile(r"^\s*#")
_TABLE_ROW = re.compile(r"^\s*\|")
_EXAMPLE = re.compile(r"\b(?:exemplo|por exemplo|ex)\b\s*[:,]?|\bexemplo\b")
_LIST_MARK = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+")
_KEYWORD = re.compile(r"[a-z0-9]+")
# A period after these does not end a sentence ("Av. Paulista", "Sr. Carlos").
_ABBREVIATIONS = word_set("av sr sra dr dra prof n no art etc ex aprox tel cel obs pg pag")
_STOPWORDS = word_set(
    "a o as os um uma uns umas de da do das dos em no na nos nas por para pra pro com sem que"
    " qual quais quanto quantos quanta quantas como quando onde e ou se eu voce voces vcs me meu"
    " minha seu sua isso esse essa este esta ele ela eles elas tem ter sao ser foi vai pode posso"
    " preciso precisa mais muito tambem ja nao sim sobre entre ate apos antes depois ao aos"
)
_STEM = 5  # "financiar" and "financiamento" share "finan"
# WhatsApp shorthand, read as the word it stands for.
_SHORTHAND = {
    "hj": "hoje",
    "qto": "quanto",
    "qdo": "quando",
    "tb": "tambem",
    "tbm": "tambem",
}
_HEADING_WEIGHT = 2
# A knowledge chunk is split and stemmed again for every question it may answer: remember the
# results for chunks and for sentences up to these sizes (a few MB at most), compute longer
# ones each time.
_REMEMBERED_MAX_CHARS = 4096
_REMEMBERED_STEMS_MAX_CHARS = 1024


class _Sentence(NamedTuple):
    section: int  # which heading it is under
    line: int
    text: str


def units(text: str) -> list[tuple[int, int, str]]:
    """(section, line, sentence) of each sentence a quote may use: no headings, no examples."""
    return [(s.section, s.line, s.text) for s in _sentences(text)]


def sentences(text: str) -> list[str]:
    """The chunk's sentences in order, each a verbatim substring; headings left out."""
    return [sentence.text for sentence in _sentences(text)]


def quote(text: str, question: str, *, max_sentences: int = 3, max_chars: int = 480) -> str:
    """The excerpt as one string: sentences of one line joined by a space, lines kept apart."""
    chosen = _choose(text, question, max_sentences, max_chars)
    parts = [
        ("\n" if i and chosen[i - 1].line != sentence.line else " ") + sentence.text
        for i, sentence in enumerate(chosen)
    ]
    return "".join(parts).strip()


def excerpt(text: str, question: str, *, max_sentences: int = 3, max_chars: int = 480) -> list[str]:
    """The chunk's sentences that share the most words with ``question``, in the chunk's order.

    When no sentence shares a word (the search matched on meaning), the opening ones are used.
    The best sentence is always kept, even when it alone is longer than ``max_chars``.
    """
    return [sentence.text for sentence in _choose(text, question, max_sentences, max_chars)]


def shares_words(text: str, question: str) -> bool:
    """Whether any sentence of ``text`` (or its section headings) shares a word with the question.

    A chunk the embedding found close but that shares nothing with the question is, on the
    project's question set, a passage on another subject.
    """
    keys = _stems(question)
    if any(keys & stems for stems in _heading_stems(text).values()):
        return True
    return any(keys & _stems(s.text) for s in _sentences(text))


def _choose(text: str, question: str, limit: int, max_chars: int) -> list[_Sentence]:
    candidates = _sentences(text)
    keys = _stems(question)
    # A heading that names what was asked ("Documentos do inquilino") vouches for its section.
    titled = {n: len(keys & stems) for n, stems in _heading_stems(text).items()}
    heading = [titled.get(sentence.section, 0) for sentence in candidates]
    overlap = [
        len(keys & _stems(s.text)) + _HEADING_WEIGHT * h
        for s, h in zip(candidates, heading, strict=True)
    ]
    if not any(overlap):
        return _fill(candidates, list(range(len(candidates))), limit, max_chars)
    best = max(range(len(candidates)), key=lambda i: (overlap[i], heading[i], -i))
    # Another heading's section is another topic, even when it shares words with the question.
    topic = [i for i, c in enumerate(candidates) if c.section == candidates[best].section]
    ranked = sorted((i for i in topic if overlap[i]), key=lambda i: (-overlap[i], abs(i - best)))
    chosen = _fill(candidates, ranked, limit, max_chars)
    if len(chosen) == 1 and best + 1 in topic:
        chosen = _fill(candidates, [best, best + 1], 2, max_chars)  # a little context
    return chosen


def _heading_stems(text: str) -> dict[int, frozenset[str]]:
    if len(text) > _REMEMBERED_MAX_CHARS:
        return _find_heading_stems(text)
    return dict(_heading_stems_cached(text))


def _find_heading_stems(text: str) -> dict[int, frozenset[str]]:
    found: dict[int, frozenset[str]] = {}
    section = 0
    for line in text.splitlines():
        if _HEADING.match(line):
            section += 1
            # The document's title ("# ...") speaks for every section, so it tells none apart.
            if line.lstrip().startswith("##"):
                found[section] = _stems(line)
    return found


def _sentences(text: str) -> list[_Sentence]:
    if len(text) > _REMEMBERED_MAX_CHARS:
        return _find_sentences(text)
    return list(_sentences_cached(text))


def _find_sentences(text: str) -> list[_Sentence]:
    found: list[_Sentence] = []
    section = 0
    example = False
    for number, line in enumerate(text.splitlines()):
        if _HEADING.match(line):
            section += 1
            example = _is_example(line)  # "## Exemplo para um apartamento de R$ 600 mil"
        elif line.strip() and not example and not _TABLE_ROW.match(line):
            body = _LIST_MARK.sub("", line, count=1).strip()
            found += [
                _Sentence(section, number, part) for part in _split(body) if not _is_example(part)
            ]
    return found


def _is_example(sentence: str) -> bool:
    """A worked example's numbers are the example's, never the lead's: leave it out."""
    return bool(_EXAMPLE.search(fold(sentence)))


def _fill(
    candidates: list[_Sentence], ranked: list[int], limit: int, max_chars: int
) -> list[_Sentence]:
    """Take sentences in ``ranked`` order while they fit, and return them in the text's order."""
    chosen: list[int] = []
    total = 0
    for i in ranked[:limit]:
        if chosen and total + len(candidates[i].text) > max_chars:
            continue
        chosen.append(i)
        total += len(candidates[i].text) + 1
    return [candidates[i] for i in sorted(chosen)]


def _split(line: str) -> list[str]:
    parts: list[str] = []
    start = 0
    for boundary in _BOUNDARY.finditer(line):
        before, after = line[start : boundary.start()], line[boundary.end() :]
        last_word = fold(before).rsplit(" ", 1)[-1].rstrip(".")
        if last_word in _ABBREVIATIONS or after[:1].islower():
            continue  # "Av. Paulista", "11% a.a. e mais TR": the sentence goes on
        parts.append(before.strip())
        start = boundary.end()
    parts.append(line[start:].strip())
    return [part for part in parts if part]


def stems(text: str) -> frozenset[str]:
    """The word stems of ``text`` that carry meaning (no stopwords, no short words)."""
    return _stems(text)


def _stems(text: str) -> frozenset[str]:
    if len(text) > _REMEMBERED_STEMS_MAX_CHARS:
        return _find_stems(text)
    return _stems_cached(text)


def _find_stems(text: str) -> frozenset[str]:
    words = (_SHORTHAND.get(word, word) for word in _KEYWORD.findall(fold(text)))
    return frozenset(
        _singular(word)[:_STEM] for word in words if len(word) >= 3 and word not in _STOPWORDS
    )


@lru_cache(maxsize=512)
def _sentences_cached(text: str) -> tuple[_Sentence, ...]:
    return tuple(_find_sentences(text))


_heading_stems_cached = lru_cache(maxsize=512)(_find_heading_stems)
_stems_cached = lru_cache(maxsize=4096)(_find_stems)


def _singular(word: str) -> str:
    """ "taxas" and "taxa", "anuncios" and "anuncio" share a stem."""
    return word[:-1] if len(word) > 4 and word.endswith("s") else word
