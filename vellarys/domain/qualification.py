"""Qualification slots read from a lead's WhatsApp messages.

``extract`` reads one message and returns only the slots it states; ``merge`` folds them into
the stored profile (``leads.custom_data``); ``missing_slots`` says what to ask next.
"""

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from vellarys.domain import vocabulary as vocab
from vellarys.domain.budget import parse_budget
from vellarys.domain.numerals import Token, tokenize
from vellarys.domain.text import (
    find_affirmed,
    find_places,
    fold,
    is_close,
    is_negated,
    parsed_part,
)

LIST_SLOTS = ("neighborhoods", "payment")
BUDGET_SLOTS = ("budget_max", "budget_min")
ASK_ORDER = (
    "name",
    "intent",
    "property_type",
    "city",
    "neighborhoods",
    "budget_max",
    "bedrooms",
    "timeline",
    "payment",
)
_NO_ROOMS = frozenset({"commercial", "land"})

# The lookbehind starts a match only where a run of address characters starts: without it,
# every position of a long run was a new start scanned to its end (quadratic).
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_CLAUSES = re.compile(r"[,.;:!?\n]")
_IS = r"(?:é|e|eh)"
# Name triggers, strongest first; only the last one needs the name capitalized to trust it.
_NAME_TRIGGERS = (
    (re.compile(rf"\b(?:meu nome {_IS}|me chamo|pode me chamar de|nome:)\s+(.+)", re.I), False),
    (re.compile(rf"\b(?:sou|aqui {_IS}|quem fala {_IS})\s+(?:o|a)\s+(.+)", re.I), False),
    (re.compile(rf"\b(?:sou|aqui {_IS}|quem fala {_IS})\s+(.+)", re.I), True),
)
_BARE_NAME_PREFIX = frozenset({"e", "eh", "o", "a", "sou", "aqui"})
_PERIOD_BUCKETS = ((1, "now"), (3, "3_months"), (6, "6_months"), (12, "12_months"))
_NUMBER_NOUNS = vocab.BEDROOM_WORDS | vocab.PARKING_WORDS | set(vocab.TIME_UNITS)
_MAX_CUE = re.compile(r"\b(?:ate|maximo|max|teto|limite)\b")
_MONEY_WORDS = frozenset({"mil", "k", "mi", "milhao", "milhoes", "reais", "r$"})


def extract(
    text: str,
    *,
    known_neighborhoods: Sequence[str] = (),
    known_cities: Sequence[str] = (),
    asked: str | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """Slots stated in one message; keys absent when the message says nothing about them.

    ``asked`` is the slot the assistant just asked about, so that a bare answer ("Carlos",
    "3", "uns 600") can be read. ``today`` dates "até março"; without it a month is ~3 months.
    """
    text = parsed_part(text)
    email = _EMAIL.search(text)
    body = _EMAIL.sub(" ", text)
    folded, tokens = fold(body), tokenize(body)
    found: dict[str, Any] = {
        "email": email.group().lower() if email else None,
        "name": _name(body),
        "intent": _intent(folded),
        "property_type": _property_type(folded),
        "city": _city(body, known_cities),
        "neighborhoods": find_places(body, known_neighborhoods) or None,
        **_budget(body, asked),
        "bedrooms": _bedrooms(tokens, folded),
        "parking": _parking(tokens, folded),
        "timeline": _timeline(folded, tokens, today, relaxed=asked == "timeline"),
        "payment": _payment(folded) or None,
        "pets": _pets(folded),
        "wants_human": True if find_affirmed(folded, vocab.WANTS_HUMAN) is not None else None,
    }
    slots = {key: value for key, value in found.items() if value is not None}
    # A bare "Pinheiros" is a place, whether the question was the name or the city.
    named_place = asked in ("name", "city") and ("neighborhoods" in slots or "city" in slots)
    if asked and asked not in slots and not named_place:
        answer = _bare_answer(asked, body, tokens)
        if answer is not None:
            slots[asked] = answer
    return slots


def merge(profile: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """Fold a message's slots into the profile: later values correct earlier ones, lists add up."""
    merged = dict(profile)
    for key, value in update.items():
        if key in LIST_SLOTS:
            merged[key] = list(dict.fromkeys([*merged.get(key, []), *value]))
        else:
            merged[key] = value
    low, high = merged.get("budget_min"), merged.get("budget_max")
    if low is not None and high is not None and low > high:
        # "até 500 mil" then "acima de 600 mil": the new bound wins, the old one is stale.
        stale = "budget_max" if "budget_min" in update else "budget_min"
        merged.pop(stale, None)
    return merged


def missing_slots(profile: Mapping[str, Any]) -> list[str]:
    """Slots still unknown, in the order the assistant should ask about them."""
    return [slot for slot in ASK_ORDER if _is_missing(slot, profile)]


def _is_missing(slot: str, profile: Mapping[str, Any]) -> bool:
    if slot == "city":
        return not profile.get("city") and not profile.get("neighborhoods")
    if slot == "budget_max":
        return not any(profile.get(key) is not None for key in BUDGET_SLOTS)
    if slot == "bedrooms" and profile.get("property_type") in _NO_ROOMS:
        return False
    if slot == "payment" and profile.get("intent") == "rent":
        return False
    return profile.get(slot) in (None, "", [])


def _name(body: str) -> str | None:
    for pattern, needs_capital in _NAME_TRIGGERS:
        for match in pattern.finditer(body):
            name = _name_from(_CLAUSES.split(match.group(1))[0].split(), needs_capital)
            if name:
                return name
    return None


def _name_from(candidates: list[str], needs_capital: bool) -> str | None:
    """Up to three name words from the start of ``candidates``, "da"/"de"/"dos" kept inside."""
    parts: list[str] = []
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


def _bare_name(body: str) -> str | None:
    """A reply to "como posso te chamar?": "Carlos", "é o Carlos", "carlos silva aqui"."""
    for clause in _CLAUSES.split(body):
        candidates = clause.split()
        while candidates and fold(candidates[0]) in _BARE_NAME_PREFIX:
            candidates.pop(0)
        if candidates and fold(candidates[-1]) == "aqui":
            candidates.pop()
        if not candidates or all(fold(w) in vocab.NOT_NAMES for w in candidates):
            continue
        name = _name_from(candidates, needs_capital=False)
        if name and len(candidates) <= 4 and len(name.split()) == len(candidates):
            return name
        return None
    return None


def _intent(folded: str) -> str | None:
    positions = {
        intent: pos
        for intent, pattern in vocab.INTENT.items()
        if (pos := find_affirmed(folded, pattern)) is not None
    }
    if "invest" in positions:
        return "invest"
    if len(positions) == 2 and re.search(r"\b(?:compr\w*|alug\w*) ou (?:compr|alug)", folded):
        return None  # "comprar ou alugar": still undecided
    return max(positions, key=lambda intent: positions[intent], default=None)


def _property_type(folded: str) -> str | None:
    found: list[tuple[int, str]] = []
    for kind, pattern in vocab.PROPERTY_TYPES:
        for match in pattern.finditer(folded):
            start = match.start()
            if not _is_owned(folded, start, kind) and not is_negated(folded, start):
                found.append((match.start(), kind))
                break
    for word in set(folded.split()):
        for typo, kind in vocab.TYPE_TYPOS.items():
            if is_close(word, typo) and not _is_owned(folded, folded.find(word), kind):
                found.append((folded.find(word), kind))
    if any(kind == "condo_house" for _, kind in found):
        return "condo_house"  # "casa de condomínio" also says "casa"
    return min(found)[1] if found else None


def _is_owned(folded: str, start: int, kind: str) -> bool:
    """ "meu ap", "minha casa", "em casa": what they have or where they are, not what they want."""
    before = folded[:start].split()[-1:]
    excluded = vocab.POSSESSIVES | (vocab.HOUSE_IDIOMS if kind == "house" else frozenset())
    return bool(before) and before[0] in excluded


def _city(body: str, known_cities: Sequence[str]) -> str | None:
    aliases = {
        alias: city
        for alias, target in vocab.CITY_ALIASES.items()
        for city in known_cities
        if fold(city) == target
    }
    # "moro em Osasco mas quero em São Paulo": the last city named is the one they want.
    cities = find_places(body, known_cities, aliases)
    return cities[-1] if cities else None


def _budget(body: str, asked: str | None) -> dict[str, int]:
    budget = parse_budget(body, assume_money=asked in BUDGET_SLOTS)
    if budget is None:
        return {}
    found = {"budget_min": budget.minimum, "budget_max": budget.maximum}
    if asked == "budget_min" and budget.minimum is None and not _MAX_CUE.search(fold(body)):
        found = {"budget_min": budget.maximum}  # "uns 500" answers "a partir de quanto?"
    return {key: value for key, value in found.items() if value is not None}


def _bedrooms(tokens: list[Token], folded: str) -> int | None:
    """Minimum bedrooms: "dois dorms", "2 ou 3 qts" (2), "3 quartos sendo 1 suíte" (3)."""
    counts = _counts_before(tokens, _is_bedroom_word)
    if counts:
        return max(counts)
    return 1 if vocab.ONE_BEDROOM.search(folded) else None


def _parking(tokens: list[Token], folded: str) -> int | None:
    counts = _counts_before(tokens, lambda word: word in vocab.PARKING_WORDS)
    if counts:
        return max(counts)
    if vocab.NO_PARKING.search(folded):
        return 0
    return 1 if find_affirmed(folded, vocab.SOME_PARKING) is not None else None


def _counts_before(tokens: list[Token], is_noun: Callable[[str], bool]) -> list[int]:
    """Small whole numbers followed by a noun; a range "2 ou 3" counts as its lower end."""
    counts: list[int] = []
    i = 0
    while i < len(tokens):
        first, j = _small_count(tokens[i]), i + 1
        if first is not None and j + 1 < len(tokens) and tokens[j].text in {"ou", "a", "/", "-"}:
            j += 2 if _small_count(tokens[j + 1]) is not None else 0
        if first is not None and j < len(tokens) and is_noun(tokens[j].text):
            counts.append(first)
        i = max(j, i + 1) if first is not None else i + 1
    return counts


def _small_count(token: Token) -> int | None:
    value = token.value
    if value is None or token.grouped or value != int(value) or not 0 <= value <= 20:
        return None
    return int(value)


def _is_bedroom_word(word: str) -> bool:
    return word in vocab.BEDROOM_WORDS or any(is_close(word, w) for w in vocab.BEDROOM_TYPOS)


def _timeline(folded: str, tokens: list[Token], today: date | None, *, relaxed: bool) -> str | None:
    """When they want to move: a period ("em 3 meses"), a month ("até março") or a phrase."""
    months = _months_ahead(tokens, relaxed=relaxed)
    month_name = vocab.MONTH_PHRASE.search(folded)
    if months is None and month_name:
        month = vocab.MONTHS[month_name.group(1)]
        months = (month - today.month) % 12 if today else 3
    if months is not None:
        return next((label for limit, label in _PERIOD_BUCKETS if months <= limit), "browsing")
    for label, pattern in vocab.TIMELINE:
        if find_affirmed(folded, pattern) is not None:
            return label
    if relaxed and set(folded.split()) & {"ja", "agora", "logo", "imediato"}:
        return "now"
    return None


def _months_ahead(tokens: list[Token], *, relaxed: bool) -> int | None:
    # A time prefix is required so that "2 anos de contrato" is not a timeline.
    for i, token in enumerate(tokens[:-1]):
        unit = vocab.TIME_UNITS.get(tokens[i + 1].text)
        if token.value is None or unit is None:
            continue
        before = {t.text for t in tokens[max(0, i - 2) : i]}
        if relaxed or before & vocab.TIME_PREFIXES:
            return int(token.value * unit)
    return None


def _payment(folded: str) -> list[str]:
    found = []
    for method, pattern in vocab.PAYMENT.items():
        position = find_affirmed(folded, pattern)
        if position is not None:
            found.append((position, method))
    return [method for _, method in sorted(found)]


def _pets(folded: str) -> bool | None:
    if vocab.NO_PETS.search(folded):
        return False
    return True if find_affirmed(folded, vocab.PETS) is not None else None


def _bare_answer(asked: str, body: str, tokens: list[Token]) -> Any:
    """Read a reply that only makes sense as the answer to the question just asked."""
    words = fold(body).replace("?", " ").split()
    if asked == "name":
        return _bare_name(body)
    if asked == "city":
        return _bare_name(body)  # a short proper noun; city names capitalize like names
    if asked in ("bedrooms", "parking"):
        numbers = _bare_numbers(tokens)
        if numbers:
            return min(numbers)
    if asked in ("parking", "pets") and words:
        if words[0] in vocab.NO or "nenhuma" in words:
            return 0 if asked == "parking" else False
        if words[0] in vocab.YES:
            return 1 if asked == "parking" else True
    return None


def _bare_numbers(tokens: list[Token]) -> list[int]:
    """Counts given on their own ("3", "dois ou três"), ignoring ones attached to a noun."""
    counts = [
        (count, token.spelled)
        for i, token in enumerate(tokens)
        if (count := _small_count(token)) is not None
        and (i + 1 == len(tokens) or tokens[i + 1].text not in _NUMBER_NOUNS | _MONEY_WORDS)
    ]
    digits = [count for count, spelled in counts if not spelled]
    return digits or [count for count, _ in counts]
