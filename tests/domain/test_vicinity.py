"""Only bairros that are near are called near; a total capped "com condomínio" is never hidden."""

from __future__ import annotations

from tests.domain.test_planner import everything, hit, plan
from vellarys.domain import phrases, vicinity
from vellarys.domain.conversation import Turn
from vellarys.domain.plan_state import Retrieval
from vellarys.domain.property_search import filters_from_profile, widenings

VILA_MARIANA = {
    "name": "Ana",
    "intent": "rent",
    "property_type": "apartment",
    "neighborhoods": ["Vila Mariana"],
    "budget_max": 4000,
}
WIDENED = ("nearby", "zone", "neighborhoods")


def rental(code: str, neighborhood: str, price: int, condo: int = 600) -> object:
    return hit(code, neighborhood=neighborhood, transaction="rent", price=price, condo_fee=condo)


def test_neighbours_come_from_the_table_both_ways_and_never_across_the_city() -> None:
    assert {"Moema", "Paraíso", "Saúde"} <= set(vicinity.neighbours(["Vila Mariana"]))
    assert "Vila Mariana" in vicinity.neighbours(["moema"])  # symmetric, folded
    far = {"Vila Madalena", "Tatuapé", "Santana"}
    assert not far & set(vicinity.neighbours(["Vila Mariana"]))
    assert vicinity.zones(["Vila Mariana", "Perdizes"]) == ("zona sul", "zona oeste")
    assert vicinity.neighbours(["Bairro Que Não Existe"]) == ()


def test_the_search_widens_to_the_neighbours_then_the_zone_then_the_city() -> None:
    steps = list(widenings(filters_from_profile(VILA_MARIANA)))
    assert [s for s, _ in steps][:4] == ["nearby", "zone", "neighborhoods", "budget"]
    nearby, zone, city = (f for _, f in steps[:3])
    assert "Moema" in nearby.neighborhoods and "Santo Amaro" not in nearby.neighborhoods
    assert "Santo Amaro" in zone.neighborhoods and "Tatuapé" not in zone.neighborhoods
    assert city.neighborhoods == () and city.cities_of == ("Vila Mariana",)


def test_far_bairros_are_not_offered_as_near() -> None:
    far = Retrieval(
        properties=(rental("AP1205", "Vila Madalena", 3900), rental("AP1703", "Tatuapé", 2800)),
        widened=WIDENED,
    )
    reply = plan("tem algo?", profile=VILA_MARIANA, retrieval=far)
    text = everything(reply)
    # Far, said to be far, and asked about before any card goes out.
    assert reply.property_codes == [] and "fica no Tatuapé (zona leste)" in text
    assert "próxima" not in text and "vizinho" not in text
    near = Retrieval(properties=(rental("AP1402", "Moema", 3000),), widened=WIDENED[:1])
    assert "bairros vizinhos" in everything(plan("tem algo?", profile=VILA_MARIANA, retrieval=near))
    zone = Retrieval(properties=(rental("AP9001", "Santo Amaro", 3000),), widened=WIDENED[:2])
    assert "mesma região (zona sul)" in everything(
        plan("tem algo?", profile=VILA_MARIANA, retrieval=zone)
    )


def test_a_total_over_a_budget_with_condo_is_said_with_its_figures() -> None:
    profile = {
        **VILA_MARIANA,
        "neighborhoods": ["Mooca"],
        "budget_max": 3000,
        "rent_includes_fees": True,
    }
    found = Retrieval(
        properties=(rental("AP1703", "Tatuapé", 2800, condo=620),),
        widened=("nearby", "zone", "neighborhoods", "budget"),
    )
    text = everything(plan("pago no max 3 mil com condominio", profile=profile, retrieval=found))
    assert "aluguel + condomínio dá R$ 3.420, acima dos R$ 3.000" in text


def test_far_widening_goes_nearest_first_and_never_over_budget_when_one_fits() -> None:
    # "Vila Madalena" looks like "Vila Mariana" but is across the city (zona oeste).
    assert vicinity.distance("Vila Madalena", ["Vila Mariana"]) == 3
    assert vicinity.distance("Moema", ["Vila Mariana"]) == 1
    assert vicinity.distance("Santo Amaro", ["Vila Mariana"]) == 2
    assert vicinity.distance("Santana", ["Vila Mariana"]) == vicinity.FAR
    far = Retrieval(
        properties=(
            rental("AP1205", "Vila Madalena", 4200, condo=850),  # over "até 4 mil"
            rental("AP1804", "Santana", 3200),
            rental("AP1703", "Tatuapé", 2800),
        ),
        widened=WIDENED,
    )
    # The far cards go out once the lead said another region is fine.
    asked = (Turn("user", "oi"), Turn("assistant", phrases.FAR_QUESTION))
    reply = plan("pode ser", profile=VILA_MARIANA, retrieval=far, history=asked)
    text = everything(reply)
    assert reply.property_codes == ["AP1703", "AP1804"]  # the zona leste borders the zona sul
    assert "AP1205" not in text
    assert "Veja o que tenho no Tatuapé e em Santana" in text
    # Every card over the budget: shown, but each said with its price against the budget.
    over = Retrieval(
        properties=(rental("AP1205", "Vila Madalena", 4200, condo=850),), widened=WIDENED
    )
    text = everything(plan("pode ser", profile=VILA_MARIANA, retrieval=over, history=asked))
    assert "O AP1205 sai por R$ 4.200/mês, um pouco acima dos R$ 4.000 que você falou" in text
    assert "na Vila Madalena" in text
