"""What a property search asks of the database, built from the lead's profile, and how it widens.

Structured constraints (rent or sale, type, price, rooms, place, pets) become SQL filters;
embeddings only rank what passes them ("até 700 mil" means nothing to an embedding). When
nothing passes, the search widens one step at a time, in ``WIDENING_ORDER``, and says so.
"""

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from vellarys.domain import vicinity
from vellarys.domain.cards import PropertyHit

PRICE_FLOOR_TOLERANCE = 0.90  # budget_min * 0.90 ...
PRICE_CEILING_TOLERANCE = 1.05  # ... up to budget_max * 1.05
WIDENED_CEILING = 1.20  # after widening the budget: up to budget_max * 1.20
WIDENED_FLOOR = 0.80
# Neighbourhoods widen in rings: the bairros next door, the rest of the zone, the whole city.
WIDENING_ORDER = (
    "nearby",
    "zone",
    "neighborhoods",
    "budget",
    "parking",
    "bedrooms",
    "property_type",
)

PETS_WELCOME = "aceita pets"
PETS_REFUSED = "não aceita pets"

TRANSACTION_OF_INTENT = {"buy": "sale", "rent": "rent", "invest": "sale"}
TYPE_LABELS = {
    "apartment": "apartamento",
    "house": "casa",
    "condo_house": "casa em condomínio",
    "studio": "studio (kitnet)",
    "commercial": "imóvel comercial",
    "land": "terreno",
}
_INTENT_LABELS = {
    "buy": "para comprar",
    "rent": "para alugar",
    "invest": "para investir",
    "sell": "para vender",
    "rent_out": "para pôr para alugar",
    "support": "já cliente",
}
_TRANSACTION_LABELS = {"sale": "à venda", "rent": "para alugar"}


@dataclass(frozen=True, slots=True)
class PropertySearch:
    """The properties found, best first, and the constraints relaxed to find them (in order)."""

    hits: tuple[PropertyHit, ...]
    widened: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PropertyFilters:
    transaction: str | None = None
    property_type: str | None = None
    city: str | None = None
    neighborhoods: tuple[str, ...] = ()
    # After widening the neighborhoods away: stay in the cities these neighborhoods are in.
    cities_of: tuple[str, ...] = ()
    budget_min: int | None = None
    budget_max: int | None = None
    budget_widened: bool = False
    bedrooms: int = 0
    parking: int = 0
    pets: bool = False  # rent only: never "não aceita pets", "aceita pets" first
    # "3 mil com condomínio": the budget caps rent + condomínio, not the rent alone.
    includes_fees: bool = False
    exclude_codes: tuple[str, ...] = ()  # listings already shown ("mais opções" pages forward)

    @property
    def price_range(self) -> tuple[int | None, int | None]:
        floor, ceiling = PRICE_FLOOR_TOLERANCE, PRICE_CEILING_TOLERANCE
        if self.budget_widened:
            floor, ceiling = WIDENED_FLOOR, WIDENED_CEILING
        low = round(self.budget_min * floor) if self.budget_min else None
        high = round(self.budget_max * ceiling) if self.budget_max else None
        return low, high

    @property
    def price_target(self) -> int | None:
        """The price the lead has in mind, for ranking by closeness."""
        return self.budget_max or self.budget_min


def filters_from_profile(profile: Mapping[str, Any]) -> PropertyFilters:
    """The SQL filters a qualification profile (``leads.custom_data``) asks for."""
    transaction = TRANSACTION_OF_INTENT.get(str(profile.get("intent") or ""))
    property_type = profile.get("property_type")
    return PropertyFilters(
        transaction=transaction,
        property_type=property_type if property_type in TYPE_LABELS else None,
        city=_text(profile.get("city")),
        neighborhoods=_texts(profile.get("neighborhoods")),
        budget_min=_count(profile.get("budget_min")) or None,
        budget_max=_count(profile.get("budget_max")) or None,
        bedrooms=_count(profile.get("bedrooms")),
        parking=_count(profile.get("parking")),
        pets=profile.get("pets") is True and transaction == "rent",
        includes_fees=profile.get("rent_includes_fees") is True and transaction == "rent",
    )


def widenings(filters: PropertyFilters) -> Iterator[tuple[str, PropertyFilters]]:
    """Each relaxation that changes something, cumulatively, in ``WIDENING_ORDER``.

    The transaction (rent or sale) is never relaxed.
    """
    current = filters
    for step in WIDENING_ORDER:
        widened = _widen(current, step, asked=filters.neighborhoods)
        if widened != current:
            current = widened
            yield step, current


def _widen(f: PropertyFilters, step: str, *, asked: tuple[str, ...] = ()) -> PropertyFilters:
    if step in ("nearby", "zone") and f.neighborhoods:
        ring = vicinity.neighbours(asked) if step == "nearby" else _zone_ring(asked)
        wider = tuple(dict.fromkeys([*f.neighborhoods, *ring]))
        if len(wider) == len(f.neighborhoods):
            return f
        return replace(f, neighborhoods=wider, cities_of=() if f.city else asked)
    if step == "neighborhoods" and f.neighborhoods:
        return replace(f, neighborhoods=(), cities_of=() if f.city else asked or f.neighborhoods)
    if step == "budget" and (f.budget_min or f.budget_max):
        return replace(f, budget_widened=True)
    if step == "parking" and f.parking:
        return replace(f, parking=0)
    if step == "bedrooms" and f.bedrooms:
        return replace(f, bedrooms=f.bedrooms - 1)
    if step == "property_type" and f.property_type:
        return replace(f, property_type=None)
    return f


def _zone_ring(asked: tuple[str, ...]) -> tuple[str, ...]:
    return vicinity.zone_places(vicinity.zones(asked))


def search_text(text: str, profile: Mapping[str, Any]) -> str:
    """What gets embedded as the query: the lead's words plus a summary of the profile."""
    return " ".join(part for part in (text.strip(), profile_summary(profile)) if part)


def profile_summary(profile: Mapping[str, Any]) -> str:
    """ "apartamento para alugar em Pinheiros, São Paulo, 2 quartos, 1 vaga, aceita pets"."""
    parts = [TYPE_LABELS.get(str(profile.get("property_type")), "imóvel")]
    intent = _INTENT_LABELS.get(str(profile.get("intent") or ""))
    if intent:
        parts.append(intent)
    places = [*_texts(profile.get("neighborhoods")), *_texts([profile.get("city")])]
    if places:
        parts.append("em " + ", ".join(places))
    summary = " ".join(parts)
    extras = []
    if bedrooms := _count(profile.get("bedrooms")):
        extras.append(f"{bedrooms} quarto" + ("s" if bedrooms > 1 else ""))
    if parking := _count(profile.get("parking")):
        extras.append(f"{parking} vaga" + ("s" if parking > 1 else ""))
    if profile.get("pets") is True:
        extras.append(PETS_WELCOME)
    if len(parts) == 1 and not extras:
        return ""
    return ", ".join([summary, *extras])


def passage_text(
    *,
    title: str,
    property_type: str,
    transaction: str,
    neighborhood: str,
    city: str,
    description: str,
    features: Sequence[str],
) -> str:
    """What gets embedded for a listing, in Portuguese."""
    kind = TYPE_LABELS.get(property_type, "imóvel").capitalize()
    deal = _TRANSACTION_LABELS.get(transaction, "")
    text = f"{title}. {kind} {deal} em {neighborhood}, {city}."
    if description.strip():
        text += f" {description.strip()}"
    if features:
        text += " Características: " + ", ".join(features) + "."
    return text


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _texts(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        return ()
    return tuple(t for v in value if (t := _text(v)))


def _count(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int | float):
        return max(0, int(value))
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return 0
