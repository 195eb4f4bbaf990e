"""A listing's own facts, from its fields; what it does not say is named, never guessed."""

from __future__ import annotations

from vellarys.domain.cards import PropertyHit
from vellarys.domain.listing import over_budget_notes, total_over_budget_notes
from vellarys.domain.listing_facts import (
    answer_facts,
    asked_facts,
    monthly_cost,
    purpose_note,
)


def hit(**overrides: object) -> PropertyHit:
    base: dict[str, object] = {
        "code": "AP1402",
        "title": "Apartamento em Moema",
        "property_type": "apartment",
        "transaction": "rent",
        "price": 5600,
        "condo_fee": 1150,
        "iptu": 2600,
        "bedrooms": 2,
        "suites": 1,
        "parking": 1,
        "area_m2": 72,
        "neighborhood": "Moema",
        "city": "São Paulo",
        "features": ("aceita pets", "pet place", "piscina"),
    }
    base.update(overrides)
    return PropertyHit(**base)  # type: ignore[arg-type]


def test_questions_name_the_facts_they_ask() -> None:
    assert asked_facts("o AP aceita pet? qual o IPTU?") == ["pets", "iptu"]
    assert asked_facts("é um por andar?") == ["units_per_floor"]
    assert asked_facts("fica em que andar? tem vaga?") == ["floor", "parking"]
    assert asked_facts("esse é pra venda ou aluguel?") == ["transaction"]


def test_pets_iptu_with_its_period_and_condominio_come_from_the_fields() -> None:
    found = answer_facts(hit(), ["pets", "iptu", "condo_fee"])
    text = "\n".join(found.lines)
    assert "aceita pets" in text
    assert "R$ 2.600 por ano (cerca de R$ 217 por mês)" in text
    assert "R$ 1.150 por mês" in text
    assert not found.unknown
    monthly = answer_facts(hit(), ["iptu"], iptu_period="month").lines[0]
    assert "R$ 2.600 por mês" in monthly
    # A rental's monthly total has the IPTU in it, with the period it was read in.
    assert "Somando aluguel, condomínio e IPTU, dá cerca de R$ 6.967 por mês." in text
    assert "dá cerca de R$ 9.350 por mês" in monthly  # 5.600 + 1.150 + 2.600 a month
    sale = answer_facts(hit(transaction="sale", price=900_000), ["iptu"]).lines[0]
    assert "Somando" not in sale


def test_a_total_over_budget_says_the_iptu_too() -> None:
    renter = {"intent": "rent", "budget_max": 6000}
    note = total_over_budget_notes([hit(price=5200, condo_fee=980)], renter)[0]
    assert note == (
        "No AP1402, aluguel + condomínio dá R$ 6.180, acima dos R$ 6.000 que você falou;"
        " com o IPTU (R$ 217/mês, de R$ 2.600 por ano), fica R$ 6.397 por mês."
    )
    capped = {**renter, "rent_includes_fees": True}
    assert over_budget_notes([hit(price=5200, condo_fee=980, iptu=None)], capped) == [
        "No AP1402, aluguel + condomínio dá R$ 6.180, acima dos R$ 6.000 que você falou."
    ]


def test_a_listing_that_refuses_pets_says_so() -> None:
    refused = hit(features=("não aceita pets", "piscina"))
    assert "não aceita" in answer_facts(refused, ["pets"]).lines[0]


def test_facts_the_listing_does_not_state_are_unknown_not_guessed() -> None:
    found = answer_facts(hit(features=()), ["pets", "floor", "units_per_floor"])
    assert found.lines == ()
    assert found.unknown == ("pets", "floor", "units_per_floor")


def test_floor_and_units_per_floor_are_read_from_features_and_description() -> None:
    one = answer_facts(hit(features=("um por andar",)), ["units_per_floor"])
    assert one.lines == ("Sim, o AP1402 é um por andar.",)
    floor = answer_facts(hit(), ["floor"], description="Unidade no 12º andar, vista livre.")
    assert floor.lines == ("O AP1402 fica no 12º andar.",)


def test_a_specific_feature_is_confirmed_or_left_for_the_broker() -> None:
    assert answer_facts(hit(), ["features"], question="tem piscina?").lines == (
        "Sim, o AP1402 tem piscina.",
    )
    assert answer_facts(hit(), ["features"], question="tem academia?").unknown == ("features",)


def test_purpose_note_when_the_lead_wants_the_other_transaction() -> None:
    sale = hit(transaction="sale", price=895_000)
    assert "venda" in (purpose_note(sale, {"intent": "rent"}) or "")
    assert purpose_note(sale, {"intent": "buy"}) is None
    assert monthly_cost(hit()) == 5600 + 1150 + 217
