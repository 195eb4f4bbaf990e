"""Who gets a lead: the distribution rules, as a pure function over the team's state.

In order: the listing's own broker (when the lead asks about a listing that has one), then
the broker whose areas and specialities fit the lead best, then the least busy broker, all
under their daily cap; then a manager (an admin when the agency has none). A broker who is
unavailable or on vacation gets nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from vellarys.domain.glossary import Role, Speciality
from vellarys.domain.text import fold

# From these prices a lead or a listing is "alto padrão".
HIGH_END_SALE = Decimal(1_500_000)
HIGH_END_RENT = Decimal(10_000)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A staff member as routing sees them; the sequence order is the round robin (longest
    without a lead first). ``today`` is how many leads they got today."""

    key: str
    role: str
    neighborhoods: tuple[str, ...] = ()
    cities: tuple[str, ...] = ()
    specialities: frozenset[str] = frozenset()
    cap: int | None = None
    available: bool = True
    away: tuple[date | None, date | None] = (None, None)
    today: int = 0


@dataclass(frozen=True, slots=True)
class Wanted:
    """What the lead is after: the listing's broker, the places and the kinds of deal."""

    listing_broker: str | None = None
    neighborhoods: tuple[str, ...] = ()
    city: str | None = None
    specialities: frozenset[str] = frozenset()


def on_vacation(candidate: Candidate, day: date) -> bool:
    start, end = candidate.away
    if start is None and end is None:
        return False
    return (start is None or start <= day) and (end is None or day <= end)


def takes_leads(candidate: Candidate, day: date) -> bool:
    return candidate.available and not on_vacation(candidate, day)


def under_cap(candidate: Candidate) -> bool:
    return candidate.cap is None or candidate.today < candidate.cap


def route(candidates: Sequence[Candidate], wanted: Wanted, day: date) -> Candidate | None:
    """The one who gets the lead, or None when nobody can take it."""
    open_brokers = [
        c for c in candidates if c.role == Role.BROKER and takes_leads(c, day) and under_cap(c)
    ]
    own = next((c for c in open_brokers if c.key == wanted.listing_broker), None)
    if own is not None:
        return own
    fitting = [(fit(c, wanted), c) for c in open_brokers]
    best = max((score for score, _ in fitting), default=0)
    if best > 0:
        return _least_busy([c for score, c in fitting if score == best])
    if open_brokers:
        return _least_busy(open_brokers)
    return _fallback(candidates, day)


def fit(candidate: Candidate, wanted: Wanted) -> int:
    """How well a broker's areas and specialities match: a neighbourhood counts most, then
    the city, then each shared speciality."""
    score = 0
    wanted_places = {fold(n) for n in wanted.neighborhoods}
    if wanted_places & {fold(n) for n in candidate.neighborhoods}:
        score += 4
    elif wanted.city and fold(wanted.city) in {fold(c) for c in candidate.cities}:
        score += 2
    return score + len(wanted.specialities & candidate.specialities)


def _least_busy(candidates: Sequence[Candidate]) -> Candidate:
    # min() keeps the first of equals: the round-robin order breaks ties.
    return min(candidates, key=lambda c: c.today)


def _fallback(candidates: Sequence[Candidate], day: date) -> Candidate | None:
    for role in (Role.MANAGER, Role.ADMIN):
        found = next((c for c in candidates if c.role == role and takes_leads(c, day)), None)
        if found is not None:
            return found
    return None


def wanted_specialities(
    profile: Mapping[str, Any], listing: Mapping[str, Any] | None = None
) -> frozenset[str]:
    """The kinds of deal a lead (and the listing they asked about) call for."""
    found: set[str] = set()
    intent = profile.get("intent")
    transaction = (listing or {}).get("transaction")
    if intent == "rent" or transaction == "rent":
        found.add(Speciality.RENT)
    if intent in ("buy", "invest") or transaction == "sale":
        found.add(Speciality.SALE)
    if "commercial" in (profile.get("property_type"), (listing or {}).get("property_type")):
        found.add(Speciality.COMMERCIAL)
    if _high_end(profile, listing, rent=Speciality.RENT in found):
        found.add(Speciality.HIGH_END)
    return frozenset(found)


def _high_end(profile: Mapping[str, Any], listing: Mapping[str, Any] | None, *, rent: bool) -> bool:
    line = HIGH_END_RENT if rent else HIGH_END_SALE
    for amount in (profile.get("budget_max"), (listing or {}).get("price")):
        money = isinstance(amount, int | float | Decimal) and not isinstance(amount, bool)
        if money and Decimal(str(amount)) >= line:
            return True
    return False
