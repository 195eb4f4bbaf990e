"""A stated budget is answered with what fits it: a card over the budget only when nothing
inside it is left, and then said against the lead's own number (script "mais opções")."""

from dataclasses import replace

from tests.domain.test_planner import HISTORY, everything, hit, plan
from vellarys.domain.cards import property_card
from vellarys.domain.conversation import Turn
from vellarys.domain.planner import Retrieval

STUDIO = hit("ST0", property_type="studio", transaction="rent", neighborhood="Perdizes")
ST1604 = replace(STUDIO, code="ST1604", price=2_700, condo_fee=560)  # total 3.260
ST1203 = replace(STUDIO, code="ST1203", price=2_900, condo_fee=580)  # total 3.480
ST1103 = replace(STUDIO, code="ST1103", price=3_100, condo_fee=620)  # total 3.720
ST1404 = replace(STUDIO, code="ST1404", price=3_300, condo_fee=650)  # total 3.950
ST1503 = replace(STUDIO, code="ST1503", price=2_600, condo_fee=540)  # total 3.140
RENTER = {"intent": "rent", "property_type": "studio"}
BUDGET = {**RENTER, "budget_max": 3_500}


def sent(*cards: object) -> tuple[Turn, ...]:
    return (*HISTORY, Turn("assistant", "\n\n".join(property_card(c) for c in cards)))  # type: ignore[arg-type]


def test_cards_that_fit_the_new_budget_are_said_to_fit_and_no_pricier_card_is_added() -> None:
    found = Retrieval(properties=(ST1604, ST1203, ST1103))
    reply = plan(
        "até 3500", profile=BUDGET, stored=RENTER, retrieval=found, history=sent(ST1604, ST1203)
    )
    said = everything(reply)
    assert reply.property_codes == []
    assert "Os que te mandei (ST1604 e ST1203) cabem nos R$ 3.500 que você falou." in said
    assert "ST1103" not in said


def test_more_options_lead_with_the_ones_inside_the_budget() -> None:
    found = Retrieval(properties=(ST1404, ST1503))
    reply = plan(
        "tem mais opções?",
        profile=BUDGET,
        stored=BUDGET,
        retrieval=found,
        history=sent(ST1604, ST1203),
    )
    assert reply.property_codes == ["ST1503"]
    assert "acima dos R$ 3.500" not in everything(reply)


def test_over_the_budget_only_when_nothing_inside_is_left_and_said_against_its_number() -> None:
    found = Retrieval(properties=(ST1404,))
    reply = plan(
        "tem mais opções?",
        profile=BUDGET,
        stored=BUDGET,
        retrieval=found,
        history=sent(ST1604, ST1203),
    )
    said = everything(reply)
    assert reply.property_codes == ["ST1404"]
    assert said.startswith("O mais próximo dos R$ 3.500 que você falou é este:")
    assert "aluguel + condomínio dá R$ 3.950, acima dos R$ 3.500 que você falou" in said


def test_a_widened_search_with_only_cards_over_the_budget_never_says_they_fit() -> None:
    mooca = {**RENTER, "property_type": "apartment", "neighborhoods": ["Mooca"]}
    profile = {**mooca, "budget_max": 3_000, "rent_includes_fees": True}
    tatuape = hit("AP1703", transaction="rent", price=2_800, condo_fee=620, neighborhood="Tatuapé")
    found = Retrieval(properties=(tatuape,), widened=("nearby", "budget"))
    said = everything(
        plan("pago no max 3 mil com condominio", profile=profile, stored=mooca, retrieval=found)
    )
    assert said.startswith(
        "Não encontrei exatamente na Mooca até R$ 3.000/mês; o mais próximo que tenho é este, no Tatuapé:"
    )
    assert "veja opções" not in said
    assert "No AP1703, aluguel + condomínio dá R$ 3.420, acima dos R$ 3.000" in said
