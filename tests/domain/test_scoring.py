from typing import Any

import pytest

from vellarys.domain.glossary import TEMPERATURE_LABELS
from vellarys.domain.scoring import (
    HOT_THRESHOLD,
    WARM_THRESHOLD,
    next_stage,
    score,
    should_hand_off,
    temperature,
)

READY_BUYER: dict[str, Any] = {
    "name": "Ana",
    "intent": "buy",
    "property_type": "apartment",
    "city": "São Paulo",
    "neighborhoods": ["Moema"],
    "budget_max": 900_000,
    "bedrooms": 2,
    "timeline": "now",
    "payment": ["cash"],
}


def test_score_of_an_empty_profile_comes_from_engagement_only() -> None:
    assert score({}, inbound_messages=0) == 0
    assert score({}, inbound_messages=3) == 6


def test_score_caps_engagement_so_chatting_alone_never_makes_a_lead_hot() -> None:
    assert score({}, inbound_messages=500) == 20


def test_score_ignores_a_negative_message_count() -> None:
    assert score({}, inbound_messages=-4) == 0


def test_score_of_a_complete_ready_buyer_is_the_maximum() -> None:
    assert score(READY_BUYER, inbound_messages=10) == 100


def test_score_makes_a_complete_ready_buyer_hot_after_a_few_messages() -> None:
    assert temperature(score(READY_BUYER, inbound_messages=3)) == "hot"


@pytest.mark.parametrize(
    ("timeline", "expected"),
    [("now", 86), ("3_months", 83), ("6_months", 79), ("12_months", 75), ("browsing", 61)],
)
def test_score_falls_as_the_move_gets_further_away(timeline: str, expected: int) -> None:
    # 65 profile points without timeline, plus 6 for three messages.
    assert score({**READY_BUYER, "timeline": timeline}, inbound_messages=3) == expected


def test_score_penalizes_a_browsing_lead_below_one_that_gave_no_timeline() -> None:
    profile = {key: v for key, v in READY_BUYER.items() if key != "timeline"}
    browsing = score({**profile, "timeline": "browsing"}, inbound_messages=3)
    assert browsing < score(profile, inbound_messages=3)


@pytest.mark.parametrize(
    ("payment", "points"),
    [(["cash"], 10), (["financing"], 6), (["fgts", "financing"], 6), (["trade"], 4), ([], 0)],
)
def test_score_values_cash_above_financing(payment: list[str], points: int) -> None:
    base = score({"intent": "buy"}, inbound_messages=0)
    assert score({"intent": "buy", "payment": payment}, inbound_messages=0) == base + points


def test_score_counts_neighborhoods_above_a_bare_city() -> None:
    with_city = score({"city": "Osasco"}, inbound_messages=0)
    with_neighborhood = score({"neighborhoods": ["Moema"]}, inbound_messages=0)
    assert (with_city, with_neighborhood) == (5, 10)


def test_score_accepts_a_minimum_budget_as_a_budget() -> None:
    assert score({"budget_min": 1_000_000}, inbound_messages=0) == 15


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, "cold"), (39, "cold"), (40, "warm"), (69, "warm"), (70, "hot"), (100, "hot")],
)
def test_temperature_uses_the_default_thresholds(value: int, expected: str) -> None:
    assert temperature(value) == expected


def test_temperature_thresholds_are_40_and_70() -> None:
    assert (WARM_THRESHOLD, HOT_THRESHOLD) == (40, 70)


def test_temperature_honours_an_agency_hot_threshold() -> None:
    assert temperature(75, hot_threshold=80) == "warm"
    assert temperature(60, hot_threshold=60) == "hot"


def test_temperature_labels_are_portuguese() -> None:
    assert TEMPERATURE_LABELS == {"cold": "frio", "warm": "morno", "hot": "quente"}


QUALIFIED = {"intent": "buy", "property_type": "house", "budget_max": 700_000}


@pytest.mark.parametrize(
    ("current", "profile", "lead_score", "expected"),
    [
        ("new", {}, 2, "new"),
        ("new", {"name": "Ana"}, 7, "qualifying"),
        ("qualifying", {}, 4, "qualifying"),
        ("new", QUALIFIED, 41, "qualified"),
        ("qualifying", QUALIFIED, 41, "qualified"),
        (
            "qualifying",
            {"intent": "rent", "neighborhoods": ["Moema"], "budget_max": 3000},
            45,
            "qualified",
        ),
        ("qualifying", {"intent": "buy", "budget_max": 700_000}, 35, "qualifying"),
        ("qualifying", {"intent": "buy", "property_type": "house"}, 30, "qualifying"),
        ("qualifying", {"property_type": "house", "budget_max": 700_000}, 35, "qualifying"),
        ("qualifying", {"intent": "buy"}, 75, "qualified"),
        ("qualified", {}, 0, "qualified"),
        ("handed_off", QUALIFIED, 90, "handed_off"),
        ("lost", QUALIFIED, 90, "lost"),
        ("won", {}, 0, "won"),
    ],
)
def test_next_stage_moves_forward_only_and_leaves_manual_stages_alone(
    current: str, profile: dict[str, Any], lead_score: int, expected: str
) -> None:
    assert next_stage(current, profile, score=lead_score) == expected


def test_next_stage_never_hands_off_by_itself() -> None:
    assert next_stage("qualified", READY_BUYER, score=100) == "qualified"


def test_next_stage_uses_the_agency_hot_threshold() -> None:
    assert next_stage("qualifying", {"intent": "buy"}, score=75, hot_threshold=80) == "qualifying"


def test_next_stage_rejects_an_unknown_stage() -> None:
    with pytest.raises(ValueError, match="unknown stage 'negotiating'"):
        next_stage("negotiating", {}, score=0)


@pytest.mark.parametrize(
    ("profile", "lead_score", "expected"),
    [
        ({}, 10, None),
        ({}, 69, None),
        ({}, 70, "hot"),
        ({"wants_human": True}, 5, "requested"),
        ({"wants_human": True}, 95, "requested"),
        ({"wants_human": False}, 10, None),
    ],
)
def test_should_hand_off_when_asked_or_hot(
    profile: dict[str, Any], lead_score: int, expected: str | None
) -> None:
    assert should_hand_off(profile, score=lead_score) == expected


def test_should_hand_off_honours_an_agency_hot_threshold() -> None:
    assert should_hand_off({}, score=75, hot_threshold=80) is None
    assert should_hand_off({}, score=80, hot_threshold=80) == "hot"
