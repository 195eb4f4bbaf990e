"""Which retrieved properties to show a lead, how to introduce them, and what a loan would cost.

Only properties that retrieval returned are ever shown or priced: the brain never invents a
listing, a code or a price.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from vellarys.domain import phrases, vicinity
from vellarys.domain.budget import format_brl
from vellarys.domain.cards import PropertyHit
from vellarys.domain.text import fold

MAX_CARDS = 3
_TRANSACTION = {"rent": "rent", "buy": "sale", "invest": "sale"}


def ready_to_search(profile: Mapping[str, Any]) -> bool:
    """Enough to show properties: the intent, and a type, a neighborhood or a budget."""
    where_or_what = profile.get("property_type") or profile.get("neighborhoods")
    return bool(profile.get("intent") and (where_or_what or profile.get("budget_max")))


_PLACE_STEPS = frozenset({"nearby", "zone", "neighborhoods"})


def fresh_properties(
    hits: Sequence[PropertyHit],
    profile: Mapping[str, Any],
    *,
    shown_before: frozenset[str],
    widened: Sequence[str] = (),
) -> list[PropertyHit]:
    """Hits of the lead's transaction (sale or rent) not shown in the previous reply, best first.

    Once the search left the bairros asked, the nearest come first (by ``vicinity.distance``,
    never by a name that only looks alike). A card over the budget (``outside_budget``) is
    dropped while one inside it remains: never an over-budget card beside one that fits."""
    wanted = _TRANSACTION.get(profile.get("intent") or "")
    fresh = [
        hit
        for hit in hits
        if hit.code not in shown_before and (wanted is None or hit.transaction == wanted)
    ]
    if _PLACE_STEPS & set(widened):
        asked = [str(p) for p in profile.get("neighborhoods") or []]
        fresh.sort(key=lambda hit: vicinity.distance(hit.neighborhood, asked))
    above = outside_budget(fresh, profile)
    if len(above) < len(fresh):
        fresh = [hit for hit in fresh if hit.code not in above]
    return fresh[:MAX_CARDS]


def outside_budget(hits: Sequence[PropertyHit], profile: Mapping[str, Any]) -> set[str]:
    """Codes of the hits the lead's budget does not cover: a price over it, or a rent whose
    total with condomínio is. Such a card is shown only when nothing inside the budget is left."""
    return set(over_budget(hits, profile)) | {hit.code for hit in total_over_budget(hits, profile)}


def properties_intro(
    hits: Sequence[PropertyHit],
    profile: Mapping[str, Any],
    *,
    widened: Sequence[str],
    variant: int,
) -> str:
    """One line before the cards; it says so when filters had to be relaxed, and where the
    cards are: only bairros next to the one asked are called "vizinhos" (``domain.vicinity``)."""
    every_over = bool(hits) and len(outside_budget(hits, profile)) == len(hits)
    if widened and every_over:
        # Never "veja opções" for cards that are all over the budget: the closest, and where.
        places = " e ".join(
            vicinity.in_place(p) for p in dict.fromkeys(h.neighborhood for h in hits)
        )
        closest = phrases.WIDENED_CLOSEST if len(hits) == 1 else phrases.WIDENED_CLOSEST_MANY
        criteria = phrases.widened_criteria(widened, profile) or "o que você pediu"
        return closest.format(criteria=criteria, where=places)
    if widened:
        where = _where(hits, profile)
        criteria = phrases.widened_criteria(widened, profile)
        if criteria:
            return phrases.WIDENED_INTRO.format(criteria=criteria, where=where)
        return phrases.WIDENED_INTRO_GENERIC.format(where=where)
    if every_over:
        closest = phrases.CLOSEST_TO_BUDGET if len(hits) == 1 else phrases.CLOSEST_TO_BUDGET_MANY
        return closest.format(budget=format_brl(int(profile["budget_max"])))
    if len(hits) == 1:
        return phrases.PROPERTY_INTRO_ONE
    return phrases.PROPERTIES_INTRO[variant % len(phrases.PROPERTIES_INTRO)]


def _where(hits: Sequence[PropertyHit], profile: Mapping[str, Any]) -> str:
    asked = [str(p) for p in profile.get("neighborhoods") or []]
    places = {h.neighborhood for h in hits}
    if not asked or all(fold(p) in {fold(a) for a in asked} for p in places):
        return phrases.WIDENED_WHERE["same"]
    if all(vicinity.is_near(p, asked) for p in places):
        return phrases.WIDENED_WHERE["nearby"]
    zones = vicinity.zones(asked)
    if zones and all(vicinity.zones([p]) and vicinity.zones([p])[0] in zones for p in places):
        return phrases.WIDENED_WHERE["zone"].format(zone=" ou ".join(zones))
    found = vicinity.zones(dict.fromkeys(h.neighborhood for h in hits))
    if zones and found:
        # The zones are named so a far bairro is never read as a mix-up with the one asked.
        away = " ou ".join(("do " if z == "centro" else "da ") + z for z in zones)
        return phrases.WIDENED_WHERE["far"].format(
            away=away, found=" e ".join(vicinity.in_place(z) for z in found)
        )
    return phrases.WIDENED_WHERE["city"]


def financing_price(
    candidates: Sequence[PropertyHit], profile: Mapping[str, Any]
) -> tuple[int, str] | None:
    """The price to simulate, with where it came from: the first property for sale among
    ``candidates`` (asked about or shown), else the budget of a lead who is buying."""
    for hit in candidates:
        if hit.transaction == "sale" and hit.price > 0:
            return hit.price, phrases.CODE_SOURCE.format(code=hit.code)
    budget = profile.get("budget_max")
    if profile.get("intent") in ("buy", "invest") and isinstance(budget, int) and budget > 0:
        return budget, phrases.BUDGET_SOURCE
    return None


def over_budget(hits: Sequence[PropertyHit], profile: Mapping[str, Any]) -> list[str]:
    """Codes of the hits priced above the lead's budget (rent + condomínio when they said so)."""
    budget = profile.get("budget_max")
    if not isinstance(budget, int) or budget <= 0:
        return []
    return [hit.code for hit in hits if monthly_total(hit, profile) > budget]


def monthly_total(hit: PropertyHit, profile: Mapping[str, Any]) -> int:
    """What the lead compares with their budget: rent + condomínio when they said "com
    condomínio", the price otherwise."""
    fees = profile.get("rent_includes_fees") is True and hit.transaction == "rent"
    return hit.price + ((hit.condo_fee or 0) if fees else 0)


def total_over_budget(hits: Sequence[PropertyHit], profile: Mapping[str, Any]) -> list[PropertyHit]:
    """Rentals whose rent fits the lead's monthly budget but rent + condomínio does not: "até 6
    mil por mês" against R$ 5.200 + cond. R$ 980 is R$ 6.180, never "dentro do que procura"."""
    budget = profile.get("budget_max")
    if not isinstance(budget, int) or budget <= 0 or profile.get("rent_includes_fees") is True:
        return []
    return [
        hit
        for hit in hits
        if hit.transaction == "rent" and hit.price <= budget < hit.price + (hit.condo_fee or 0)
    ]


def with_iptu(note: str, hit: PropertyHit, iptu_period: str) -> str:
    """A rental's monthly total with the IPTU too, its period said (the agency's listings give
    it per year or per month, ``iptu_period``): "...; com o IPTU (R$ 217/mês, de R$ 2.600 por
    ano), fica R$ 6.397 por mês." Unchanged when the listing has none."""
    if hit.transaction != "rent" or not hit.iptu:
        return note
    if iptu_period == "year":
        monthly = round(hit.iptu / 12)
        said = f"{format_brl(monthly)}/mês, de {format_brl(hit.iptu)} por ano"
    else:
        monthly, said = hit.iptu, f"{format_brl(hit.iptu)}/mês"
    total = hit.price + (hit.condo_fee or 0) + monthly
    return f"{note.removesuffix('.')}; com o IPTU ({said}), fica {format_brl(total)} por mês."


def total_over_budget_notes(
    hits: Sequence[PropertyHit], profile: Mapping[str, Any], *, iptu_period: str = "year"
) -> list[str]:
    """ "No AP1102, aluguel + condomínio dá R$ 6.180, acima dos R$ 6.000 que você falou;
    com o IPTU (R$ 217/mês, de R$ 2.600 por ano), fica R$ 6.397 por mês." """
    budget = profile.get("budget_max")
    return [
        with_iptu(
            phrases.OVER_BUDGET_WITH_FEES.format(
                code=hit.code,
                total=format_brl(hit.price + (hit.condo_fee or 0)),
                budget=format_brl(int(budget)),
            ),
            hit,
            iptu_period,
        )
        for hit in total_over_budget(hits, profile)
        if isinstance(budget, int)
    ]


def over_budget_notes(
    hits: Sequence[PropertyHit], profile: Mapping[str, Any], *, iptu_period: str = "year"
) -> list[str]:
    """ "No AP1703, aluguel + condomínio dá R$ 3.420, acima dos R$ 3.000 que você falou."
    A total the lead capped is always said with its figures, even after the budget widened."""
    above = over_budget(hits, profile)
    if not above:
        return []
    budget = format_brl(int(profile["budget_max"]))
    if profile.get("rent_includes_fees") is not True:
        return [
            phrases.OVER_BUDGET.format(
                code=h.code,
                price=format_brl(h.price) + ("/mês" if h.transaction == "rent" else ""),
                budget=budget,
            )
            for h in hits
            if h.code in above
        ]
    return [
        with_iptu(
            phrases.OVER_BUDGET_WITH_FEES.format(
                code=h.code, total=format_brl(monthly_total(h, profile)), budget=budget
            ),
            h,
            iptu_period,
        )
        for h in hits
        if h.code in above
    ]


def still_fit(
    still: Sequence[PropertyHit], profile: Mapping[str, Any], *, budget_learned: bool
) -> str:
    """ "Os que te mandei (ST1604, ST1203 e ST1903) cabem nos R$ 3.500 que você falou." """
    codes = [h.code for h in still]
    listed = ", ".join(codes[:-1]) + " e " + codes[-1] if len(codes) > 1 else codes[0]
    budget = profile.get("budget_max")
    if budget_learned and isinstance(budget, int) and budget > 0:
        fit = phrases.SHOWN_FIT_BUDGET if len(codes) == 1 else phrases.SHOWN_FIT_BUDGET_MANY
        return fit.format(codes=listed, budget=format_brl(budget))
    fit = phrases.SHOWN_STILL_FIT if len(codes) == 1 else phrases.SHOWN_STILL_FIT_MANY
    return fit.format(codes=listed)
