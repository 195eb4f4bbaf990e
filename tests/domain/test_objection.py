"""A lead cooling off ("vou pensar", "está caro", "vou ver com minha esposa") gets one useful
step and one question at most, never a bare goodbye (script "agradece e vai pensar")."""

from dataclasses import replace

from tests.domain.test_planner import HISTORY, everything, hit, plan, question_count
from vellarys.domain import phrases
from vellarys.domain.cards import property_card
from vellarys.domain.conversation import Turn
from vellarys.domain.planner import Retrieval

AP1402 = hit("AP1402", transaction="rent", price=5_600, condo_fee=1_150)
CHEAPER = replace(AP1402, code="AP1405", price=4_300, condo_fee=900)
RENTER = {"intent": "rent", "property_type": "apartment", "neighborhoods": ["Moema"]}
SENT = (*HISTORY, Turn("assistant", property_card(AP1402)))


def test_a_lead_who_wants_to_think_is_offered_an_alert_with_their_own_numbers() -> None:
    for text in ("obrigado, vou pensar", "vou ver com minha esposa e te falo"):
        reply = plan(
            text,
            profile={**RENTER, "budget_max": 6_000},
            retrieval=Retrieval(properties=(AP1402,)),
            history=SENT,
        )
        said = everything(reply)
        assert said.startswith(phrases.COOLING_THINKING)
        assert (
            "te aviso por aqui quando entrar um apartamento para alugar em Moema até R$ 6.000/mês"
            in said
        )
        assert question_count(reply) == 1 and reply.property_codes == []
    # The offer answered: agreed or not, a short closing and nothing more.
    offered = (*SENT, Turn("user", "vou pensar"), Turn("assistant", said))
    agreed = plan("pode sim, obrigado", profile=RENTER, history=offered)
    assert everything(agreed) == phrases.ALERT_AGREED
    declined = plan("não precisa", profile=RENTER, history=offered)
    assert everything(declined) == phrases.ALERT_DECLINED


def test_a_price_objection_gets_a_cheaper_listing_or_the_price_question() -> None:
    found = Retrieval(properties=(AP1402, CHEAPER))
    reply = plan("achei caro", profile=RENTER, retrieval=found, history=SENT)
    assert reply.property_codes == ["AP1405"]
    assert phrases.CHEAPER_INTRO in everything(reply) and everything(reply).count("?") == 1
    alone = plan(
        "ta meio caro", profile=RENTER, retrieval=Retrieval(properties=(AP1402,)), history=SENT
    )
    assert everything(alone).endswith(phrases.PRICE_RANGE_QUESTION)
    assert alone.asked == "budget_max"  # "uns 4 mil" next is read as the budget
    # The budget is known: never asked again; the alert is offered at that number.
    known = plan(
        "ta caro",
        profile={**RENTER, "budget_max": 6_000},
        retrieval=Retrieval(properties=(AP1402,)),
        history=SENT,
    )
    assert "até R$ 6.000/mês" in everything(known) and "Até quanto" not in everything(known)
