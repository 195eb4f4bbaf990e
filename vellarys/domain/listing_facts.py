"""A listing's own facts, from its fields: "aceita pet?", "qual o IPTU?", "é um por andar?".

What the listing does not say is never guessed: the fact is named as unknown, so the planner can
promise a broker's answer and record the open question on the lead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from vellarys.domain.budget import format_brl
from vellarys.domain.cards import PropertyHit
from vellarys.domain.text import fold

# Which fact a question asks about, in asking order; patterns read folded text.
_ASKS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "transaction",
        re.compile(
            r"\b(?:e|eh|ta|esta) (?:pra|para|a) (?:venda|vender|alug\w*|locac\w*)"
            r"|\bvende ou aluga|\bpr[a]? venda\b|\bpara venda\b"
        ),
    ),
    (
        "pets",
        re.compile(r"\b(?:pets?|cachorr\w*|cao|caes|gat[oa]s?|animal|animais|bicho\w*|dog)\b"),
    ),
    ("iptu", re.compile(r"\biptu\b")),
    ("condo_fee", re.compile(r"\b(?:condominio|condo|cond)\b(?! fechado)")),
    (
        "units_per_floor",
        re.compile(r"\b(?:um|1|dois|2|quantos?) (?:ap\w* )?por andar\b|\bunidades? por andar\b"),
    ),
    ("floor", re.compile(r"\b(?:qual|que|em que|q) andar\b|\bandar (?:alto|baixo)\b|\bterreo\b")),
    ("parking", re.compile(r"\b(?:vagas?|garagem|estaciona\w*)\b")),
    ("area", re.compile(r"\b(?:metragem|metros|m2|m²|tamanho|area)\b")),
    ("bedrooms", re.compile(r"\b(?:quartos?|dorm\w*|suites?)\b")),
    (
        "features",
        re.compile(
            r"\b(?:lazer|piscina|academia|churrasq\w*|varanda|portaria|elevador|mobiliad\w*|sacada|playground|salao)\b"
        ),
    ),
)
_ANY_FACT = frozenset(fact for fact, _ in _ASKS)
_FLOOR = re.compile(r"\b(\d{1,2})\s*[ºo°]?\s*andar\b")
_UNITS_PER_FLOOR = re.compile(
    r"\b(um|uma|dois|duas|tres|quatro|seis|oito|\d)\s+(?:apartamentos?\s+|unidades?\s+)?por andar\b"
)
_NUMBER_WORDS = {
    "um": 1,
    "uma": 1,
    "dois": 2,
    "duas": 2,
    "tres": 3,
    "quatro": 4,
    "seis": 6,
    "oito": 8,
}
_PETS_YES = ("aceita pets", "pet friendly", "pet place", "espaço pet")
_PETS_NO = ("não aceita pets", "nao aceita pets")
_TRANSACTION_LABEL = {"sale": "à venda", "rent": "para alugar"}
_INTENT_TRANSACTION = {"buy": "sale", "invest": "sale", "rent": "rent"}


@dataclass(frozen=True, slots=True)
class FactAnswer:
    """Sentences about the listing, and the facts asked that the listing does not state."""

    lines: tuple[str, ...]
    unknown: tuple[str, ...] = ()


def asked_facts(text: str) -> list[str]:
    """The listing facts a message asks about, in a fixed order: ["pets", "iptu"]."""
    folded = fold(text)
    return [fact for fact, pattern in _ASKS if pattern.search(folded)]


def answer_facts(
    hit: PropertyHit,
    facts: Sequence[str],
    *,
    description: str = "",
    iptu_period: str = "year",
    question: str = "",
) -> FactAnswer:
    """One sentence per fact asked, read from the listing's fields, features and description."""
    lines: list[str] = []
    unknown: list[str] = []
    for fact in dict.fromkeys(facts):
        if fact not in _ANY_FACT:
            continue
        if fact == "features":
            line = _features(hit, description, question)
        else:
            line = _FACTS[fact](hit, description, iptu_period)
        if line:
            lines.append(line)
        else:
            unknown.append(fact)
    return FactAnswer(tuple(lines), tuple(unknown))


def purpose_note(hit: PropertyHit, profile: Mapping[str, Any]) -> str | None:
    """ "Esse é para venda" when the lead wants to rent (and the other way round)."""
    wanted = _INTENT_TRANSACTION.get(str(profile.get("intent") or ""))
    if wanted is None or wanted == hit.transaction:
        return None
    if hit.transaction == "sale":
        return f"Só um detalhe: o {hit.code} é para *venda*, não para locação."
    return f"Só um detalhe: o {hit.code} é para *locação*, não está à venda."


def monthly_cost(hit: PropertyHit, *, iptu_period: str = "year") -> int | None:
    """Rent + condomínio + IPTU per month, for a rental; None for a sale."""
    if hit.transaction != "rent":
        return None
    iptu = hit.iptu or 0
    monthly_iptu = round(iptu / 12) if iptu_period == "year" else iptu
    return hit.price + (hit.condo_fee or 0) + monthly_iptu


UNKNOWN_LABELS = {
    "pets": "se aceita pets",
    "iptu": "o IPTU",
    "condo_fee": "o condomínio",
    "units_per_floor": "quantos apartamentos há por andar",
    "floor": "o andar",
    "parking": "as vagas",
    "area": "a metragem",
    "bedrooms": "os quartos",
    "features": "esse item de lazer",
    "transaction": "a finalidade",
}


def _transaction(hit: PropertyHit, _: str, __: str) -> str:
    return f"O {hit.code} está {_TRANSACTION_LABEL.get(hit.transaction, hit.transaction)}."


def _pets(hit: PropertyHit, description: str, _: str) -> str | None:
    said = [fold(f) for f in hit.features] + [fold(description)]
    if any(fold(no) in s for s in said for no in _PETS_NO):
        return f"O {hit.code} *não aceita* pets, infelizmente."
    if any(fold(yes) in s for s in said for yes in _PETS_YES):
        return f"Sim, o {hit.code} aceita pets. 🐾"
    return None


_BIG_DOG = re.compile(
    r"\b(?:(?:cachorr\w*|cao|caes|dog\w*|pet) (?:de )?(?:grande|porte grande)|cachorrao)\b"
)


def big_dog_note(hits: Sequence[PropertyHit], text: str) -> str | None:
    """A lead with a big dog is told that "aceita pets" in a listing says nothing of size."""
    if not _BIG_DOG.search(fold(text)):
        return None
    for hit in hits:
        said = [fold(f) for f in (hit.title, *hit.features)]
        if any(fold(no) in s for s in said for no in _PETS_NO):
            return f"O {hit.code} *não aceita* pets, infelizmente."
        if any(fold(yes) in s for s in said for yes in _PETS_YES):
            return (
                f"Sobre o seu cachorro grande: o anúncio do {hit.code} diz que aceita pets, mas"
                " não informa o porte, então vale confirmar com o corretor."
            )
    return None


_TRANSIT_ASKED = re.compile(
    r"\b(?:perto|proximo|pertinho|ao lado|colado|a \w+ minutos?) d[oa]s? (?:metro|estac\w*|trem)\b"
)
_TRANSIT_SAID = re.compile(r"\b(?:metro|estacao|estacoes|linha \d|cptm|trem)\b")


def asks_transit(text: str) -> bool:
    """ "perto do metrô", "próximo da estação": the lead wants public transport nearby."""
    return bool(_TRANSIT_ASKED.search(fold(text)))


def mentions_transit(hit: PropertyHit) -> bool:
    """Whether the listing's title or features name a metrô or train station."""
    return any(_TRANSIT_SAID.search(fold(s)) for s in (hit.title, *hit.features))


def transit_note(hits: Sequence[PropertyHit], *, when: str = "") -> tuple[str | None, list[str]]:
    """What the listings say about the metrô the lead asked for, and the codes whose listing
    does not say (a broker confirms those, ``when`` " até hoje às 17h"): a listing's silence is
    never "perto do metrô"."""
    near = [h.code for h in hits if mentions_transit(h)]
    silent = [h.code for h in hits if not mentions_transit(h)]
    said = ""
    if near:
        verb = "fica" if len(near) == 1 else "ficam"
        said = f"🚇 Pelo anúncio, {_codes(near)} {verb} perto do metrô"
    if not silent:
        return (said + "." if said else None), []
    which = f"o anúncio do {silent[0]}" if len(silent) == 1 else f"os anúncios de {_codes(silent)}"
    verb = "não diz" if len(silent) == 1 else "não dizem"
    confirm = f"confirmo a distância até a estação com o corretor e te respondo{when}."
    if said:
        return f"{said}; {which} {verb}, então {confirm}", silent
    return f"🚇 {which[0].upper()}{which[1:]} {verb} se fica perto do metrô; {confirm}", silent


def _codes(codes: Sequence[str]) -> str:
    return codes[0] if len(codes) == 1 else ", ".join(codes[:-1]) + " e " + codes[-1]


def _iptu(hit: PropertyHit, _: str, period: str) -> str | None:
    if not hit.iptu:
        return None
    if period == "year":
        monthly = format_brl(round(hit.iptu / 12))
        total = format_brl(hit.iptu)
        line = f"O IPTU do {hit.code} é de {total} por ano (cerca de {monthly} por mês)."
    else:
        line = f"O IPTU do {hit.code} é de {format_brl(hit.iptu)} por mês."
    month = monthly_cost(hit, iptu_period=period)
    if month is None:
        return line
    # A tenant pays the three: the monthly total is said with the IPTU in it, never without.
    return f"{line} Somando aluguel, condomínio e IPTU, dá cerca de {format_brl(month)} por mês."


def _condo(hit: PropertyHit, _: str, __: str) -> str | None:
    if hit.condo_fee:
        return f"O condomínio do {hit.code} é de {format_brl(hit.condo_fee)} por mês."
    if hit.property_type in ("house", "land"):
        return f"O {hit.code} não tem condomínio."
    return None


def _units_per_floor(hit: PropertyHit, description: str, _: str) -> str | None:
    said = " ".join([*(fold(f) for f in hit.features), fold(description)])
    found = _UNITS_PER_FLOOR.search(said)
    if found:
        count = _NUMBER_WORDS.get(found.group(1)) or int(found.group(1))
        if count == 1:
            return f"Sim, o {hit.code} é um por andar."
        return f"O prédio do {hit.code} tem {count} apartamentos por andar."
    return None


def _floor(hit: PropertyHit, description: str, _: str) -> str | None:
    found = _FLOOR.search(fold(description))
    if found:
        return f"O {hit.code} fica no {found.group(1)}º andar."
    if any(fold(f) == "andar alto" for f in hit.features):
        return f"O {hit.code} fica em andar alto."
    if any(fold(f) == "casa terrea" for f in hit.features):
        return f"O {hit.code} é uma casa térrea."
    return None


def _parking(hit: PropertyHit, _: str, __: str) -> str:
    if hit.parking == 0:
        return f"O {hit.code} não tem vaga de garagem."
    plural = "vaga" if hit.parking == 1 else "vagas"
    return f"O {hit.code} tem {hit.parking} {plural} de garagem."


def _area(hit: PropertyHit, _: str, __: str) -> str | None:
    return f"O {hit.code} tem {hit.area_m2} m²." if hit.area_m2 else None


def _bedrooms(hit: PropertyHit, _: str, __: str) -> str | None:
    if hit.property_type in ("land", "commercial"):
        return None
    rooms = f"{hit.bedrooms} quarto" + ("s" if hit.bedrooms != 1 else "")
    if hit.suites:
        rooms += f", sendo {hit.suites} suíte" + ("s" if hit.suites > 1 else "")
    return f"O {hit.code} tem {rooms}."


def _features(hit: PropertyHit, description: str, question: str) -> str | None:
    """ "tem piscina?": yes when the listing says so; the whole list for "e o lazer?"."""
    asked = _FEATURE_WORDS.findall(fold(question))
    said = [f for f in hit.features if fold(f) not in {fold(n) for n in _PETS_NO}]
    specific = [w for w in asked if w != "lazer"]
    if specific:
        found = [f for f in said if any(w[:6] in fold(f) for w in specific)]
        found += [w for w in specific if w[:6] in fold(description) and not found]
        return f"Sim, o {hit.code} tem {', '.join(found)}." if found else None
    return f"O {hit.code} tem: " + ", ".join(said) + "." if said else None


_FEATURE_WORDS = re.compile(
    r"\b(lazer|piscina|academia|churrasq\w*|varanda|portaria|elevador|mobiliad\w*|sacada"
    r"|playground|salao)\b"
)
_FACTS = {
    "transaction": _transaction,
    "pets": _pets,
    "iptu": _iptu,
    "condo_fee": _condo,
    "units_per_floor": _units_per_floor,
    "floor": _floor,
    "parking": _parking,
    "area": _area,
    "bedrooms": _bedrooms,
}
