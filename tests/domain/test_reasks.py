"""Nothing the context already answers is asked: the listing's purpose, a budget's size, a
bairro an owner gave, a question passed over once; an agency with no listings hands over."""

from __future__ import annotations

from dataclasses import replace

from tests.domain.test_planner import AP1234, everything, plan
from vellarys.domain import phrases
from vellarys.domain.plan_state import Retrieval
from vellarys.domain.text import fold


def asks_buy_or_rent(text: str) -> bool:
    return "comprar ou alugar" in fold(text) or "comprar ou para alugar" in fold(text)


def test_a_question_about_a_rental_listing_is_a_renter_not_asked_buy_or_rent() -> None:
    rental = replace(AP1234, transaction="rent", price=5600)
    found = Retrieval(looked_up=rental, focus=rental, focus_explicit=True)
    reply = plan("o AP1234 aceita pet?", profile={}, retrieval=found)
    assert not asks_buy_or_rent(everything(reply))
    assert reply.profile["intent"] == "rent"


def test_a_budget_of_hundreds_of_thousands_is_a_purchase() -> None:
    reply = plan("até 800 mil", profile={"budget_max": 800_000}, stored={})
    assert not asks_buy_or_rent(everything(reply))
    assert reply.profile["intent"] == "buy"
    assert plan("até 4 mil", profile={"budget_max": 4000}, stored={}).profile["intent"] == "rent"


def test_an_agency_with_no_listings_hands_over_instead_of_qualifying() -> None:
    empty = Retrieval(no_listings=True)
    reply = plan("até 800 mil", profile={"budget_max": 800_000}, stored={}, retrieval=empty)
    assert phrases.NO_LISTINGS_HANDOFF in everything(reply)
    assert reply.handoff_reason == "requested" and reply.asked is None
    assert reply.handoff_note  # the broker reads why; the lead keeps the explanation


def test_an_owner_who_named_the_bairro_is_asked_only_the_street() -> None:
    owner = {"intent": "sell", "property_type": "apartment", "neighborhoods": ["Mooca"]}
    text = everything(plan("quero vender meu apartamento na mooca", profile=owner, stored={}))
    assert "endereço do imóvel na Mooca (rua e número)" in text
    assert "bairro" not in fold(text)


def test_a_question_passed_over_once_is_not_asked_again() -> None:
    buyer = {
        "name": "Ana",
        "intent": "buy",
        "property_type": "apartment",
        "neighborhoods": ["Vila Mariana"],
        "bedrooms": 2,
        "budget_max": 700_000,
    }
    reply = plan(
        "vou financiar e usar o fgts",
        profile={**buyer, "payment": ["financing", "fgts"]},
        stored=buyer,
        last_asked="timeline",
        asked_before=["parking", "timeline"],
    )
    assert reply.asked != "parking" and "vaga" not in fold(everything(reply))
