"""Which São Paulo neighbourhoods are near which: a small curated table, and the city's zones.

Listings carry a neighbourhood name, not coordinates. When nothing fits in the bairro the lead
named, the search tries its NEIGHBOURS first (bairros that share a border or are a short ride
apart, as a São Paulo broker would offer them), then the rest of its ZONE (zona sul, oeste,
leste, norte, centro), and only then the whole city. The reply says which: "bairros vizinhos",
"mesma região (zona sul)" or "outros bairros" — only the first is called "próximas".

Names are matched folded (no accents, lower case); the table answers in its own spelling,
which is how the demo agency and most portals spell them. Unknown bairros have no neighbours.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from vellarys.domain.text import fold

ZONES: dict[str, tuple[str, ...]] = {
    "zona sul": (
        "Vila Mariana", "Moema", "Saúde", "Ipiranga", "Paraíso", "Vila Clementino", "Campo Belo",
        "Brooklin", "Jabaquara", "Santo Amaro", "Chácara Klabin", "Indianópolis", "Cursino",
        "Vila Olímpia",
    ),
    "zona oeste": (
        "Pinheiros", "Vila Madalena", "Perdizes", "Pompeia", "Lapa", "Butantã",
        "Alto de Pinheiros", "Itaim Bibi", "Vila Leopoldina", "Barra Funda", "Água Branca",
        "Sumaré", "Morumbi", "Rio Pequeno", "Jaguaré", "Vila Sônia", "Jardim Paulista",
        "Jardins",
    ),
    "zona leste": (
        "Mooca", "Tatuapé", "Belém", "Brás", "Água Rasa", "Vila Prudente", "Carrão",
        "Anália Franco", "Penha", "Vila Formosa",
    ),
    "zona norte": (
        "Santana", "Tucuruvi", "Casa Verde", "Vila Guilherme", "Mandaqui", "Jaçanã",
        "Vila Maria", "Parada Inglesa", "Carandiru",
    ),
    "centro": (
        "Sé", "República", "Bela Vista", "Consolação", "Liberdade", "Cambuci", "Santa Cecília",
        "Bom Retiro", "Higienópolis", "Aclimação",
    ),
}  # fmt: skip

# Each bairro and those a broker offers as "pertinho"; the table is made symmetric below.
_NEIGHBOURS: dict[str, tuple[str, ...]] = {
    "Vila Mariana": (
        "Moema", "Paraíso", "Vila Clementino", "Aclimação", "Saúde", "Ipiranga", "Chácara Klabin",
    ),
    "Moema": (
        "Vila Clementino", "Campo Belo", "Itaim Bibi", "Vila Olímpia", "Indianópolis", "Brooklin",
        "Saúde",
    ),
    "Pinheiros": (
        "Vila Madalena", "Alto de Pinheiros", "Itaim Bibi", "Jardim Paulista", "Jardins",
        "Butantã", "Perdizes", "Sumaré",
    ),
    "Vila Madalena": ("Alto de Pinheiros", "Perdizes", "Sumaré"),
    "Perdizes": ("Pompeia", "Sumaré", "Higienópolis", "Barra Funda", "Água Branca", "Lapa"),
    "Itaim Bibi": ("Vila Olímpia", "Jardim Paulista", "Jardins", "Brooklin"),
    "Butantã": ("Alto de Pinheiros", "Morumbi", "Rio Pequeno", "Jaguaré", "Vila Sônia"),
    "Mooca": ("Tatuapé", "Belém", "Brás", "Cambuci", "Ipiranga", "Água Rasa", "Vila Prudente"),
    "Tatuapé": ("Carrão", "Anália Franco", "Belém", "Água Rasa", "Vila Formosa", "Penha"),
    "Santana": (
        "Tucuruvi", "Casa Verde", "Vila Guilherme", "Mandaqui", "Parada Inglesa", "Carandiru",
    ),
    "Lapa": ("Pompeia", "Vila Leopoldina", "Água Branca", "Barra Funda"),
    "Ipiranga": ("Saúde", "Cursino", "Cambuci", "Aclimação", "Vila Prudente"),
    "Campo Belo": ("Brooklin", "Santo Amaro", "Jabaquara"),
    "Jardim Paulista": ("Jardins", "Consolação", "Bela Vista", "Paraíso"),
    "Higienópolis": ("Santa Cecília", "Consolação"),
}  # fmt: skip


@cache
def _adjacency() -> dict[str, frozenset[str]]:
    pairs: dict[str, set[str]] = {}
    for place, near in _NEIGHBOURS.items():
        for other in near:
            pairs.setdefault(fold(place), set()).add(other)
            pairs.setdefault(fold(other), set()).add(place)
    return {k: frozenset(v) for k, v in pairs.items()}


@cache
def _zone_of() -> dict[str, str]:
    return {fold(place): zone for zone, places in ZONES.items() for place in places}


def neighbours(places: Iterable[str]) -> tuple[str, ...]:
    """The bairros next to ``places`` (not ``places`` themselves), in a stable order."""
    wanted = {fold(p) for p in places}
    found = {n for p in wanted for n in _adjacency().get(p, ())}
    return tuple(sorted((n for n in found if fold(n) not in wanted), key=fold))


def zones(places: Iterable[str]) -> tuple[str, ...]:
    """The zones ``places`` are in ("zona sul"), in the order of ``places``."""
    found = (_zone_of().get(fold(p)) for p in places)
    return tuple(dict.fromkeys(z for z in found if z))


def zone_places(zone_names: Iterable[str]) -> tuple[str, ...]:
    return tuple(p for z in zone_names for p in ZONES.get(z, ()))


# Zones that share a border: a lead in the zona sul can cross into the oeste or the centro more
# easily than into the zona norte. The centro touches every zone.
_ZONE_BORDERS: dict[str, frozenset[str]] = {
    "zona sul": frozenset({"zona oeste", "centro", "zona leste"}),
    "zona oeste": frozenset({"zona sul", "centro", "zona norte"}),
    "zona leste": frozenset({"zona sul", "centro", "zona norte"}),
    "zona norte": frozenset({"zona oeste", "centro", "zona leste"}),
    "centro": frozenset({"zona sul", "zona oeste", "zona leste", "zona norte"}),
}
FAR = 4


def distance(place: str, of: Iterable[str]) -> int:
    """How far ``place`` is from the bairros asked, in rings: 0 one of them, 1 next door,
    2 the same zone, 3 a bordering zone, 4 (``FAR``) anywhere else or unknown.

    Names never count: "Vila Madalena" is as far from "Vila Mariana" as the zones make it."""
    asked = list(of)
    if not asked:
        return FAR
    if fold(place) in {fold(p) for p in asked}:
        return 0
    if is_near(place, asked):
        return 1
    own = _zone_of().get(fold(place))
    wanted = zones(asked)
    if own is None or not wanted:
        return FAR
    if own in wanted:
        return 2
    return 3 if any(own in _ZONE_BORDERS.get(z, ()) for z in wanted) else FAR


def is_near(place: str, of: Iterable[str]) -> bool:
    """Whether ``place`` is one of ``of`` or next to one of them."""
    folded = [fold(p) for p in of]
    return fold(place) in folded or fold(place) in {fold(n) for n in neighbours(of)}


# "na Mooca", "no Tatuapé", "em Moema": São Paulo says most bairros with an article.
_FEMININE = frozenset(
    fold(p)
    for p in (
        "Mooca", "Saúde", "Lapa", "Penha", "Aclimação", "Liberdade", "Consolação", "Bela Vista",
        "Barra Funda", "Água Branca", "Água Rasa", "Pompeia", "Casa Verde", "Sé", "República",
        "Chácara Klabin", "Zona Sul", "Zona Oeste", "Zona Leste", "Zona Norte",
    )
)  # fmt: skip
_MASCULINE = frozenset(
    fold(p)
    for p in (
        "Tatuapé", "Butantã", "Itaim Bibi", "Brooklin", "Morumbi", "Ipiranga", "Paraíso",
        "Cambuci", "Brás", "Belém", "Carrão", "Jabaquara", "Campo Belo", "Bom Retiro",
        "Jaguaré", "Rio Pequeno", "Mandaqui", "Jaçanã", "Tucuruvi", "Sumaré", "Centro",
        "Alto de Pinheiros", "Jardim Paulista",
    )
)  # fmt: skip


def in_place(place: str) -> str:
    """ "na Vila Mariana", "no Butantã", "em Pinheiros"."""
    folded = fold(place)
    if folded.startswith(("vila ", "chacara ")) or folded in _FEMININE:
        return f"na {place}"
    if folded.startswith("jardim ") or folded in _MASCULINE:
        return f"no {place}"
    if folded == "jardins":
        return f"nos {place}"
    return f"em {place}"
