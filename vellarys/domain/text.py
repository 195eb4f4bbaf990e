"""Text normalization shared by the qualification parsers.

Leads type fast on phones: no accents, random case, doubled spaces, small typos. Every matcher
compares *folded* text (lowercase, no accents, single spaces) and tolerates typos by length.
"""

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"[a-z]+")
_CLAUSE_BREAK = re.compile(r"[,.;:!?\n()]")


# The most text one parse reads (two full inbound messages): every parser is linear, and
# this keeps "linear" small whatever a burst of messages adds up to.
PARSED_TEXT_MAX_CHARS = 8192


def parsed_part(text: str) -> str:
    """The part of ``text`` the parsers read: its last ``PARSED_TEXT_MAX_CHARS`` characters
    (in a burst, the newest messages say what the lead wants now)."""
    return text[-PARSED_TEXT_MAX_CHARS:]


def word_set(text: str) -> frozenset[str]:
    """A set of words written as one spaced string, so long vocabularies stay readable."""
    return frozenset(text.split())


# Words too common to identify a place on their own ("vila" alone is not "Vila Madalena").
_GENERIC_PLACE_WORDS = word_set(
    "vila jardim parque alto sao santo santa nova novo bela bom boa cidade centro chacara campo"
    " morro recanto residencial conjunto lago ponte praia porto rio barra jd vl"
)
# Abbreviations leads use in addresses.
_PLACE_ABBREVIATIONS = {
    "vl": "vila",
    "jd": "jardim",
    "jdm": "jardim",
    "pq": "parque",
    "sta": "santa",
}
NEGATIONS = frozenset({"nao", "sem", "nem", "nunca", "jamais"})


# The combining marks of Latin script (U+0300-U+036F) that NFKD leaves after "a", "c", "e"...
_LATIN_MARKS = re.compile(
    "[" + "".join(chr(c) for c in range(0x300, 0x370) if unicodedata.combining(chr(c))) + "]"
)
# Folded texts are remembered: one message folds the same texts (its own, the agency's places,
# the knowledge sentences it quotes) dozens of times. Long texts are folded each time.
_FOLDED_CACHE_MAX_CHARS = 1024  # with 4,096 entries: at most ~8 MB


def strip_accents(text: str) -> str:
    """Remove diacritics: "São Paulo" -> "Sao Paulo"."""
    if text.isascii():  # NFKD leaves ASCII as it is, and it has no combining marks
        return text
    decomposed = _LATIN_MARKS.sub("", unicodedata.normalize("NFKD", text))
    if decomposed.isascii():  # what leads write: nothing else left to look at
        return decomposed
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(text: str) -> str:
    """Lowercase, strip accents and collapse whitespace: the form every matcher compares."""
    if len(text) > _FOLDED_CACHE_MAX_CHARS:
        return _fold(text)
    return _fold_cached(text)


def _fold(text: str) -> str:
    return _SPACES.sub(" ", strip_accents(text).lower()).strip()


_fold_cached = lru_cache(maxsize=4096)(_fold)


def words(text: str) -> list[str]:
    """Folded alphabetic words of ``text``, punctuation and digits dropped."""
    return _WORD.findall(fold(text))


def edit_distance(a: str, b: str) -> int:
    """Optimal-string-alignment distance: a swapped pair of letters counts as one typo."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i]
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            best = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                best = min(best, prev2[j - 2] + 1)
            row.append(best)
        prev2, prev = prev, row
    return prev[-1]


def typo_tolerance(word: str) -> int:
    """Typos allowed when matching ``word``: none for short words, where one typo is a new word."""
    if len(word) <= 5:
        return 0
    return 1 if len(word) <= 9 else 2


def is_close(word: str, target: str) -> bool:
    """True when ``word`` is ``target`` give or take the typos its length allows."""
    if word == target:
        return True
    tolerance = typo_tolerance(target)
    # People rarely mistype the first letter; requiring it keeps "banheiros" from "Pinheiros".
    if not word or word[0] != target[0] or abs(len(word) - len(target)) > tolerance:
        return False
    return edit_distance(word, target) <= tolerance


def is_negated(folded: str, start: int) -> bool:
    """True when one of the two words before ``start`` in the same clause negates it."""
    clause = _CLAUSE_BREAK.split(folded[:start])[-1]
    return any(word in NEGATIONS for word in _WORD.findall(clause)[-2:])


def find_affirmed(folded: str, pattern: re.Pattern[str]) -> int | None:
    """Position of the first match of ``pattern`` that is not negated ("não quero alugar")."""
    for match in pattern.finditer(folded):
        if not is_negated(folded, match.start()):
            return match.start()
    return None


@dataclass(frozen=True)
class _PlaceHit:
    position: int
    length: int
    distance: int
    name: str


def find_places(
    text: str, names: Sequence[str], aliases: Mapping[str, str] | None = None
) -> list[str]:
    """Names from ``names`` mentioned in ``text``, in the caller's spelling, in order of mention.

    Matching is word by word, accent- and case-insensitive and typo-tolerant; ``aliases`` maps
    a folded alias ("sp") to one of the names.
    """
    tokens = [_PLACE_ABBREVIATIONS.get(w, w) for w in words(text)]
    hits: list[_PlaceHit] = []
    for name, variants in _all_variants(tuple(names)):
        for variant in variants:
            hits.extend(_scan(tokens, variant, name))
    for alias, name in (aliases or {}).items():
        hits.extend(_scan(tokens, alias.split(), name))
    return _without_overlaps(hits)


@lru_cache(maxsize=256)
def _all_variants(names: tuple[str, ...]) -> tuple[tuple[str, list[list[str]]], ...]:
    """Each name with its variants; an agency's places are the same from message to message."""
    return tuple((name, _variants(name, names)) for name in names)


def _variants(name: str, names: Sequence[str]) -> list[list[str]]:
    """The full name, plus a distinctive shorter form people use ("Itaim", "São Bernardo")."""
    parts = words(name)
    variants = [parts]
    others = [words(other) for other in names if other != name]
    if len(parts) >= 3:
        variants.append(parts[:2])
    elif len(parts) == 2 and parts[0] not in _GENERIC_PLACE_WORDS and len(parts[0]) >= 4:
        variants.append(parts[:1])
    return [v for v in variants if v == parts or all(o[: len(v)] != v for o in others)]


def _scan(tokens: list[str], parts: list[str], name: str) -> list[_PlaceHit]:
    hits = []
    for i in range(len(tokens) - len(parts) + 1):
        window = tokens[i : i + len(parts)]
        if all(is_close(w, p) for w, p in zip(window, parts, strict=True)):
            distance = sum(edit_distance(w, p) for w, p in zip(window, parts, strict=True))
            hits.append(_PlaceHit(i, len(parts), distance, name))
    return hits


def _without_overlaps(hits: list[_PlaceHit]) -> list[str]:
    # Best hits claim their words first: exact beats typo, longer beats shorter.
    taken: set[int] = set()
    kept: list[_PlaceHit] = []
    for hit in sorted(hits, key=lambda h: (h.distance, -h.length, h.position)):
        span = set(range(hit.position, hit.position + hit.length))
        if not span & taken:
            taken |= span
            kept.append(hit)
    ordered = [hit.name for hit in sorted(kept, key=lambda h: h.position)]
    return list(dict.fromkeys(ordered))
