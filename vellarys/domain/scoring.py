"""Lead score, temperature, stage and the handoff rule.

The score is 0–100: up to 80 points from what the profile says (how complete, how ready to
close) and up to 20 from engagement (how many messages the lead has sent).
"""

from collections.abc import Mapping
from typing import Any, Literal

from vellarys.domain.glossary import Stage, values

Temperature = Literal["cold", "warm", "hot"]
HandoffReason = Literal["hot", "requested"]

WARM_THRESHOLD = 40
HOT_THRESHOLD = 70

STAGES = values(Stage)
# Set by people ("lost", "won") or by the handoff service ("handed_off"); never left automatically.
MANUAL_STAGES = frozenset({"handed_off", "lost", "won"})

_TIMELINE_POINTS = {"now": 15, "3_months": 12, "6_months": 8, "12_months": 4, "browsing": 0}
# Cash closes fastest; a trade or a consortium letter needs the most paperwork.
_PAYMENT_POINTS = {"cash": 10, "financing": 6, "fgts": 6, "consortium": 5, "trade": 4}
_BROWSING_PENALTY = 10
_POINTS_PER_MESSAGE = 2
_MAX_ENGAGEMENT = 20


def score(profile: Mapping[str, Any], *, inbound_messages: int) -> int:
    """Score a lead 0–100 from its qualification profile and its number of inbound messages."""
    points = _profile_points(profile)
    if profile.get("timeline") == "browsing":
        points -= _BROWSING_PENALTY  # "só olhando" is a reason to wait, not just a missing answer
    points += min(max(inbound_messages, 0) * _POINTS_PER_MESSAGE, _MAX_ENGAGEMENT)
    return max(0, min(100, points))


def _profile_points(profile: Mapping[str, Any]) -> int:
    points = 10 if profile.get("intent") else 0
    points += 10 if profile.get("property_type") else 0
    points += 10 if profile.get("neighborhoods") else 5 if profile.get("city") else 0
    has_budget = profile.get("budget_max") is not None or profile.get("budget_min") is not None
    points += 15 if has_budget else 0
    points += 5 if profile.get("bedrooms") is not None else 0
    points += _TIMELINE_POINTS.get(profile.get("timeline", ""), 0)
    payment = profile.get("payment") or []
    points += max((_PAYMENT_POINTS.get(method, 0) for method in payment), default=0)
    points += 5 if profile.get("name") else 0
    return points


def temperature(score: int, *, hot_threshold: int = HOT_THRESHOLD) -> Temperature:
    """cold below 40, hot from ``hot_threshold`` (70 unless the agency changed it), warm between."""
    if score >= hot_threshold:
        return "hot"
    return "warm" if score >= WARM_THRESHOLD else "cold"


def is_qualified(profile: Mapping[str, Any]) -> bool:
    """Enough to search and to brief a broker: intent, type or location, and a budget."""
    where_or_what = any(profile.get(key) for key in ("property_type", "city", "neighborhoods"))
    has_budget = profile.get("budget_max") is not None or profile.get("budget_min") is not None
    return bool(profile.get("intent")) and where_or_what and has_budget


def next_stage(
    current: str, profile: Mapping[str, Any], *, score: int, hot_threshold: int = HOT_THRESHOLD
) -> str:
    """The stage after a message: new -> qualifying -> qualified; it never moves backwards.

    A hot lead counts as qualified, so that no lead reaches a broker without passing
    "qualified" in the funnel. Stages set by people or by the handoff service stay as they are.
    """
    if current not in STAGES:
        raise ValueError(f"unknown stage {current!r}; expected one of {', '.join(STAGES)}")
    if current in MANUAL_STAGES or current == "qualified":
        return current
    if is_qualified(profile) or score >= hot_threshold:
        return "qualified"
    if current == "qualifying" or any(value not in (None, "", []) for value in profile.values()):
        return "qualifying"
    return "new"


def should_hand_off(
    profile: Mapping[str, Any], *, score: int, hot_threshold: int = HOT_THRESHOLD
) -> HandoffReason | None:
    """Why the lead should go to a broker now: they asked for a person, or they are hot."""
    if profile.get("wants_human"):
        return "requested"
    if score >= hot_threshold:
        return "hot"
    return None
