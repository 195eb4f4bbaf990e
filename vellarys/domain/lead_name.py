"""The lead's name, read only where it is surely a name.

From an explicit phrase ("meu nome é", "sou a", "aqui é", "(vc) fala com o") when the word is a
common Brazilian first name or a capitalised word that is no common word; from a bare reply to
"como posso te chamar?" only when it starts with a common first name. "Prazer, Poxa!" gives
nothing; "Obrigado, Marcos" thanks someone else.
"""

import re

from vellarys.domain import vocabulary as vocab
from vellarys.domain.first_names import FIRST_NAMES
from vellarys.domain.text import fold

_CLAUSES = re.compile(r"[,.;:!?\n]")
_IS = r"(?:é|e|eh)"
# Name triggers, strongest first; only the last one needs the name capitalized to trust it.
_NAME_TRIGGERS = (
    (re.compile(rf"\b(?:meu nome {_IS}|me chamo|pode me chamar de|nome:)\s+(.+)", re.I), False),
    (re.compile(rf"\b(?:sou|aqui {_IS}|quem fala {_IS})\s+(?:o|a)\s+(.+)", re.I), False),
    # "(vc) fala com o Carlos" introduces the lead; "quero falar com o Carlos" asks for staff.
    # (At most three spaces after the punctuation: an unbounded run there made it quadratic.)
    (
        re.compile(
            r"(?:^\s*|[.!,\n][ \t]{0,3}|\b(?:vc|voce|você)\s+)fala com (?:o|a)\s+(.+)", re.I
        ),
        False,
    ),
    (re.compile(rf"\b(?:sou|aqui {_IS}|quem fala {_IS})\s+(.+)", re.I), True),
)
_BARE_NAME_PREFIX = frozenset({"e", "eh", "o", "a", "sou", "aqui"})
_TITLES = frozenset({"dr", "dra", "sr", "sra", "srta", "prof", "profa", "doutor", "doutora"})
_TITLE_DOT = re.compile(r"\b(dra?|sra?|srta|profa?)\.", re.I)
# "Obrigado, Marcos": a name after thanks is who is thanked, not the lead.
_THANKS = frozenset({"obrigado", "obrigada", "valeu", "vlw", "brigado", "brigada", "obg"})


def name_in(body: str) -> str | None:
    """A name after an explicit phrase ("meu nome é", "sou a"), if it is plausibly one."""
    for pattern, needs_capital in _NAME_TRIGGERS:
        for match in pattern.finditer(body):
            candidates = _CLAUSES.split(_TITLE_DOT.sub(r"\1 ", match.group(1)))[0].split()
            while candidates and fold(candidates[0]) in _TITLES:
                candidates = candidates[1:]
            if not candidates or not _plausible_first_name(candidates[0]):
                continue
            name = _name_from(candidates, needs_capital)
            if name:
                return name
    return None


def _plausible_first_name(word: str) -> bool:
    """A common Brazilian first name, or a capitalised word that is no common word."""
    folded = fold(word)
    return folded in FIRST_NAMES or (word[:1].isupper() and folded not in vocab.NOT_NAMES)


def _name_from(candidates: list[str], needs_capital: bool) -> str | None:
    """Up to three name words from the start of ``candidates``, "da"/"de"/"dos" kept inside."""
    parts: list[str] = []
    while candidates and fold(candidates[0]).rstrip(".") in _TITLES:
        candidates = candidates[1:]
    for word in candidates:
        folded = fold(word)
        if parts and folded in vocab.NAME_PARTICLES - {"e"}:
            parts.append(folded)
            continue
        if not word.isalpha() or folded in vocab.NOT_NAMES:
            break
        if needs_capital and not word[0].isupper():
            break
        parts.append(word[:1].upper() + word[1:].lower())
        if sum(part not in vocab.NAME_PARTICLES for part in parts) == 3:
            break
    while parts and parts[-1] in vocab.NAME_PARTICLES:
        parts.pop()
    return " ".join(parts) or None


def bare_name(body: str, *, person: bool = True) -> str | None:
    """A reply to "como posso te chamar?": "Carlos", "é o Carlos", "carlos silva aqui".

    A person's name must start with a common first name; a place (``person=False``) need not.
    """
    for clause in _CLAUSES.split(body):
        candidates = clause.split()
        while candidates and fold(candidates[0]) in _BARE_NAME_PREFIX:
            candidates.pop(0)
        if candidates and fold(candidates[-1]) == "aqui":
            candidates.pop()
        if candidates and fold(candidates[0]) in _THANKS:
            return None
        if not candidates or all(fold(w) in vocab.NOT_NAMES for w in candidates):
            continue
        if person and fold(candidates[0]) not in FIRST_NAMES:
            return None
        name = _name_from(candidates, needs_capital=False)
        if name and len(candidates) <= 4 and len(name.split()) == len(candidates):
            return name
        return None
    return None
