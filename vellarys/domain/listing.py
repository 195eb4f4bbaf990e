"""Which retrieved properties to show a lead, how to introduce them, and what a loan would cost.

Only properties that retrieval returned are ever shown or priced: the brain never invents a
listing, a code or a price.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from vellarys.domain import phrases
from vellarys.domain.cards import PropertyHit

MAX_CARDS = 3
_TRANSACTION = {"rent": "rent", "buy": "sale", "invest": "sale"}


def ready_to_search(profile: Mapping[str, Any]) -> bool:
    """Enough to show properties: the intent, and a type, a neighborhood or a budget."""
    where_or_what = profile.get("property_type") or profile.get("neighborhoods")
    return bool(profile.get("intent") and (where_or_what or profile.get("budget_max")))


def fresh_properties(
    hits: Sequence[PropertyHit], profile: Mapping[str, Any], *, shown_before: frozenset[str]
) -> list[PropertyHit]:
    """Hits of the lead's transaction (sale or rent) not shown in the previous reply, best first."""
    wanted = _TRANSACTION.get(profile.get("intent") or "")
    fresh = [
        hit
        for hit in hits
        if hit.code not in shown_before and (wanted is None or hit.transaction == wanted)
    ]
    return fresh[:MAX_CARDS]


def properties_intro(
    count: int, profile: Mapping[str, Any], *, widened: Sequence[str], variant: int
) -> str:
    """One line before the cards; it says so when filters had to be relaxed."""
    if widened:
        criteria = phrases.widened_criteria(widened, profile)
        if criteria:
            return phrases.WIDENED_INTRO.format(criteria=criteria)
        return phrases.WIDENED_INTRO_GENERIC
    if count == 1:
        return phrases.PROPERTY_INTRO_ONE
    return phrases.PROPERTIES_INTRO[variant % len(phrases.PROPERTIES_INTRO)]


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
    fees = profile.get("rent_includes_fees") is True
    return [
        hit.code
        for hit in hits
        if hit.price + ((hit.condo_fee or 0) if fees and hit.transaction == "rent" else 0) > budget
    ]
