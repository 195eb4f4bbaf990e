"""Listings from far away wait for the lead's region (scripts "abreviações", "diz o nome",
"quanto consigo financiar com minha renda"), and a renter is never offered a visit to a
listing for sale ("quer alugar, pergunta de imóvel à venda")."""

from tests.domain.test_planner import HISTORY, everything, hit, plan
from vellarys.domain import phrases
from vellarys.domain.cards import property_card
from vellarys.domain.conversation import Turn
from vellarys.domain.planner import Retrieval

TATUAPE = hit("AP1703", transaction="rent", price=2_800, neighborhood="Tatuapé")
SANTANA = hit("AP1804", transaction="rent", price=3_200, neighborhood="Santana")
RENTER = {"intent": "rent", "property_type": "apartment", "bedrooms": 2, "budget_max": 4_000}
FAR = Retrieval(properties=(SANTANA, TATUAPE), widened=("nearby", "zone", "neighborhoods"))


def test_a_lead_with_no_place_is_asked_the_region_before_any_card() -> None:
    found = Retrieval(properties=(TATUAPE, SANTANA))
    reply = plan(
        "oi, meu nome é Carla e quero alugar um apartamento",
        profile=RENTER,
        stored={},
        retrieval=found,
    )
    assert reply.property_codes == [] and reply.asked == "city"
    assert everything(reply).endswith("?")
    # Passed over ("até 3500"): the cards go out; but not into an answer about the instalment.
    asked = (*HISTORY, Turn("user", "quero alugar"), Turn("assistant", "Qual região?"))
    later = plan(
        "até 4 mil",
        profile=RENTER,
        stored={**RENTER, "budget_max": None},
        retrieval=found,
        asked_before=["city"],
        history=asked,
    )
    assert later.property_codes == ["AP1703", "AP1804"]
    aside = plan(
        "qual seria a parcela?",
        profile={**RENTER, "intent": "buy"},
        retrieval=Retrieval(properties=(hit("AP1"),)),
        asked_before=["city"],
        history=asked,
    )
    assert aside.property_codes == []
    # Asking for options is asking for cards.
    wants = plan(
        "quero alugar um apartamento, me manda opções", profile=RENTER, stored={}, retrieval=found
    )
    assert wants.property_codes == ["AP1703", "AP1804"]


def test_nothing_in_the_bairro_or_its_zone_asks_before_sending_far_cards() -> None:
    renter = {**RENTER, "neighborhoods": ["Vila Mariana"]}
    reply = plan(
        "oi qro alugar ap 2 qts na vl mariana ate 4 mil", profile=renter, stored={}, retrieval=FAR
    )
    said = everything(reply)
    assert reply.property_codes == []
    assert said.endswith(
        "Na Vila Mariana e na zona sul não encontrei apartamento com 2 quartos até R$ 4.000/mês"
        " agora. O mais perto que tenho fica no Tatuapé (zona leste) e em Santana (zona norte)."
        " Você toparia ver em outra região?"
    )
    asked = (*HISTORY, Turn("user", "qro alugar"), Turn("assistant", said))
    yes = plan("pode ser", profile=renter, retrieval=FAR, history=asked)
    assert set(yes.property_codes) == {"AP1804", "AP1703"}
    assert everything(yes).startswith("Combinado! Veja o que tenho no Tatuapé e em Santana:")
    no = plan("não, prefiro lá mesmo", profile=renter, retrieval=FAR, history=asked)
    assert no.property_codes == [] and "te aviso por aqui" in everything(no)


def test_a_renter_is_offered_rentals_not_a_visit_to_a_listing_for_sale() -> None:
    sale = hit("AP1107", transaction="sale", price=895_000, condo_fee=920)
    renter = {"intent": "rent", "property_type": "apartment", "neighborhoods": ["Pinheiros"]}
    reply = plan(
        "e o AP1107, qual o condominio?",
        profile=renter,
        retrieval=Retrieval(looked_up=sale, focus=sale, focus_explicit=True),
    )
    said = everything(reply)
    assert "visita" not in said
    assert said.endswith("Quer que eu te mostre opções parecidas para alugar?")
    rental = hit("AP1102", transaction="rent", price=5_200, neighborhood="Pinheiros")
    asked = (*HISTORY, Turn("user", "e o AP1107?"), Turn("assistant", said))
    yes = plan("sim", profile=renter, retrieval=Retrieval(properties=(rental,)), history=asked)
    assert yes.property_codes == ["AP1102"]
    assert phrases.OTHER_DEAL_OFFER not in property_card(rental)
