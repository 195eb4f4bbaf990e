"""Qualification slots read from a lead's WhatsApp messages.

``extract`` reads one message and returns only the slots it states; ``merge`` folds them into
the stored profile (``leads.custom_data``); ``missing_slots`` says what to ask next.
"""

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from vellarys.domain import act_vocabulary as av
from vellarys.domain import vocabulary as vocab
from vellarys.domain.amounts import rent_includes_fees, typed_amounts
from vellarys.domain.budget import parse_budget
from vellarys.domain.lead_name import bare_name, name_in
from vellarys.domain.numerals import Token, tokenize
from vellarys.domain.text import (
    find_affirmed,
    find_places,
    fold,
    is_close,
    is_negated,
    parsed_part,
    word_set,
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
_OWNER_INTENTS = frozenset({"sell", "rent_out"})
_SEEKER_ONLY = frozenset({"budget_max", "bedrooms", "timeline", "payment"})
_NOT_SEEKING = (("sell", av.SELL), ("rent_out", av.RENT_OUT), ("support", av.SUPPORT))

# The lookbehind starts a match only where a run of address characters starts: without it,
# every position of a long run was a new start scanned to its end (quadratic).
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PERIOD_BUCKETS = ((1, "now"), (3, "3_months"), (6, "6_months"), (12, "12_months"))
_NUMBER_NOUNS = vocab.BEDROOM_WORDS | vocab.PARKING_WORDS | set(vocab.TIME_UNITS)
_GUARANTEE = re.compile(r"\b(?:fiador\w*|seguro.?fianca|caucao|titulo de capitaliza\w*)\b")
_MAX_CUE = re.compile(r"\b(?:ate|maximo|max|teto|limite)\b")
_MONEY_WORDS = frozenset({"mil", "k", "mi", "milhao", "milhoes", "reais", "r$"})
_MONTHLY = re.compile(r"\b(?:por mes|ao mes|mensais|mensal|mensalmente)\b|/ ?mes\b")
_TYPED_AMOUNTS = (
    "down_payment",
    "fgts_balance",
    "monthly_income",
    "monthly_instalment",
    "offer_amount",
)
_MONTHLY_CEILING = 50_000  # no property costs this little; a monthly amount is under it
# Words that may follow a bare count without making it count something else ("3 ou 4", "2 ta bom").
_BARE_FOLLOWERS = word_set(
    "ou e a so mesmo apenas no na pelo minimo maximo ja ta esta bom serve basta seria talvez"
)


def extract(
    text: str,
    *,
    known_neighborhoods: Sequence[str] = (),
    known_cities: Sequence[str] = (),
    asked: str | None = None,
    today: date | None = None,
    intent: str | None = None,
    name_allowed: bool = True,
) -> dict[str, Any]:
    """Slots stated in one message; keys absent when the message says nothing about them.

    ``asked`` is the slot the assistant just asked about, so that a bare answer ("Carlos",
    "3", "uns 600") can be read. ``today`` dates "até março"; without it a month is ~3 months.
    ``intent`` is the profile's, so a buyer's "3 mil por mês" is an instalment, not a budget.
    ``name_allowed`` is False for a button title or a fixed flow reply: never a name.
    """
    text = parsed_part(text)
    email = _EMAIL.search(text)
    body = _EMAIL.sub(" ", text)
    folded, tokens = fold(body), tokenize(body)
    found: dict[str, Any] = {
        "email": email.group().lower() if email else None,
        "name": name_in(body) if name_allowed else None,
        "intent": _intent(folded),
        "property_type": _property_type(folded),
        "city": _city(body, known_cities),
        "neighborhoods": find_places(body, known_neighborhoods) or None,
        **_budget(body, asked),
        **typed_amounts(body),
        "bedrooms": _bedrooms(tokens, folded),
        "parking": _parking(tokens, folded),
        "timeline": _timeline(folded, tokens, today, relaxed=asked == "timeline"),
        "payment": _payment(folded) or None,
        "pets": _pets(folded),
        "wants_human": True if find_affirmed(folded, vocab.WANTS_HUMAN) is not None else None,
    }
    slots = {key: value for key, value in found.items() if value is not None}
    _not_the_budget(slots)
    _type_monthly(slots, folded, intent=slots.get("intent") or intent)
    # A bare "Pinheiros" is a place, whether the question was the name or the city.
    named_place = asked in ("name", "city") and ("neighborhoods" in slots or "city" in slots)
    if asked == "name" and not name_allowed:
        named_place = True  # a button's title answers nothing about the name
    if asked and asked not in slots and not named_place:
        answer = _bare_answer(asked, body, tokens)
        if answer is not None:
            slots[asked] = answer
    return slots


def _not_the_budget(slots: dict[str, Any]) -> None:
    """An amount typed as FGTS, down payment, income or instalment never sets the budget."""
    typed = {slots[key] for key in _TYPED_AMOUNTS if key in slots}
    for key in BUDGET_SLOTS:
        if slots.get(key) in typed:
            del slots[key]


def _type_monthly(slots: dict[str, Any], folded: str, *, intent: str | None) -> None:
    """A buyer's monthly amount is an instalment; a renter's says whether fees are in it."""
    budget = slots.get("budget_max")
    if budget is None:
        return
    if intent in ("buy", "invest") and budget < _MONTHLY_CEILING and _MONTHLY.search(folded):
        slots.setdefault("monthly_instalment", slots.pop("budget_max"))
        return
    fees = rent_includes_fees(folded)
    if fees is not None and intent not in ("buy", "invest"):
        slots["rent_includes_fees"] = fees


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
    intent = profile.get("intent")
    if intent == "support" and slot != "name":
        return False  # a current client is helped, not qualified
    if intent in _OWNER_INTENTS and slot in _SEEKER_ONLY:
        return False  # an owner's budget, rooms and payment are not a search
    if slot == "city":
        return not profile.get("city") and not profile.get("neighborhoods")
    if slot == "budget_max":
        return not any(profile.get(key) is not None for key in BUDGET_SLOTS)
    if slot == "bedrooms" and profile.get("property_type") in (*_NO_ROOMS, "studio"):
        return False
    if slot == "payment" and profile.get("intent") == "rent":
        return False
    return profile.get(slot) in (None, "", [])


def _intent(folded: str) -> str | None:
    """What the lead wants: owners (sell, rent_out) and current clients (support) come first."""
    for intent, pattern in _NOT_SEEKING:
        match = pattern.search(folded)
        if match is None or is_negated(folded, match.start()):
            continue
        # "vender minha casa e comprar um ap": the seller is also a buyer, and buying is ours.
        seeking = _seeking_intent(folded[: match.start()] + " " + folded[match.end() :])
        if seeking is None and (intent != "support" or not av.SEEKING.search(folded)):
            return intent
        return seeking or intent
    seeking = _seeking_intent(folded)
    if seeking is None and _GUARANTEE.search(folded):
        return "rent"  # "não tenho fiador": only a tenant needs a guarantee, said or lacked
    return seeking


def _seeking_intent(folded: str) -> str | None:
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
    before = folded[:start].split()[-2:]
    if not before:
        return False
    if kind == "house" and before[-1] == "de" and before[0] in vocab.KIND_NOUNS:
        return False  # "mais opções de casa"
    excluded = vocab.POSSESSIVES | (vocab.HOUSE_IDIOMS if kind == "house" else frozenset())
    return before[-1] in excluded


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
        return bare_name(body)
    if asked == "city":
        return bare_name(body, person=False)  # a short proper noun, spelled like a name
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


def _bare_follower(word: str) -> bool:
    """ "3", "3 ou 4", "2!" are bare counts; "vi 3 imóveis" counts listings, not rooms."""
    if word in _NUMBER_NOUNS | _MONEY_WORDS:
        return False
    return not word.isalpha() or word in _BARE_FOLLOWERS


def _bare_numbers(tokens: list[Token]) -> list[int]:
    """Counts given on their own ("3", "dois ou três"), ignoring ones attached to a noun."""
    counts = [
        (count, token.spelled)
        for i, token in enumerate(tokens)
        if (count := _small_count(token)) is not None
        and (i + 1 == len(tokens) or _bare_follower(tokens[i + 1].text))
    ]
    digits = [count for count, spelled in counts if not spelled]
    return digits or [count for count, _ in counts]
