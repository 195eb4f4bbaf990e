"""Retrieval hits (properties and knowledge chunks) and the WhatsApp card of a property."""

import uuid
from dataclasses import dataclass

from vellarys.domain.budget import format_brl

# Bedrooms mean nothing for these; a "0 quartos" line would only confuse.
_NO_ROOMS = frozenset({"land", "commercial"})


@dataclass(frozen=True, slots=True)
class PropertyHit:
    """One property found for the lead; ``score`` is the search's relevance, higher is better."""

    code: str
    title: str
    property_type: str
    transaction: str  # sale | rent
    price: int
    condo_fee: int | None
    iptu: int | None
    bedrooms: int
    suites: int
    parking: int
    area_m2: int | None
    neighborhood: str
    city: str
    features: tuple[str, ...] = ()
    score: float = 0.0


@dataclass(frozen=True, slots=True)
class KnowledgeHit:
    """One knowledge-base chunk found for the lead's message; ``score`` is cosine similarity."""

    title: str
    content: str
    score: float
    document: str = ""
    document_id: uuid.UUID | None = None


def property_card(hit: PropertyHit) -> str:
    """The property as a short WhatsApp card: title, place, price, rooms and code, one per line."""
    lines = [f"*{hit.title}*", f"📍 {hit.neighborhood}, {hit.city}", f"💰 {price_text(hit)}"]
    rooms = _rooms_line(hit)
    if rooms:
        lines.append(rooms)
    lines.append(f"Código: {hit.code}")
    return "\n".join(lines)


def price_text(hit: PropertyHit) -> str:
    """ "R$ 650.000", "R$ 3.500/mês + cond. R$ 780"."""
    text = format_brl(hit.price) + ("/mês" if hit.transaction == "rent" else "")
    if hit.condo_fee:
        text += f" + cond. {format_brl(hit.condo_fee)}"
    return text


def _rooms_line(hit: PropertyHit) -> str:
    parts: list[str] = []
    if hit.property_type not in _NO_ROOMS and hit.bedrooms > 0:
        bedrooms = _count(hit.bedrooms, "quarto", "quartos")
        if hit.suites > 0:
            bedrooms += f" ({_count(hit.suites, 'suíte', 'suítes')})"
        parts.append(f"🛏 {bedrooms}")
    if hit.parking > 0:
        parts.append(f"🚗 {_count(hit.parking, 'vaga', 'vagas')}")
    if hit.area_m2:
        parts.append(f"📐 {hit.area_m2} m²")
    return " · ".join(parts)


def _count(number: int, singular: str, plural: str) -> str:
    return f"{number} {singular if number == 1 else plural}"
