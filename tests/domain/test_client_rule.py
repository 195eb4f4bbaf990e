"""A current client's question answered from the agency's documents is the standard rule, not
their own contract, and bad news is not followed by "Entendi!" (scripts "inquilino quer sair
antes", "inquilina pergunta da multa")."""

from tests.domain.test_planner import everything, plan
from vellarys.domain import phrases
from vellarys.domain.cards import KnowledgeHit
from vellarys.domain.planner import Retrieval

RULE = (
    "Se o inquilino devolver o imóvel antes de terminar o prazo, paga uma multa de três"
    " aluguéis, proporcional ao tempo que falta para o fim do contrato."
)


def test_a_clients_contract_question_is_answered_as_the_standard_rule() -> None:
    found = Retrieval(knowledge=(KnowledgeHit("Multa", RULE, 0.95),))
    reply = plan(
        "sou inquilino de vcs e quero sair antes do fim do contrato, pago multa?",
        profile={"intent": "support"},
        stored={},
        retrieval=found,
    )
    said = everything(reply)
    assert "multa de três aluguéis" in said and phrases.SUPPORT_ANSWERED in said
    assert "Entendi!" not in said and reply.handoff_reason == "requested"
    # Nothing answered: the client is routed with the plain words.
    plain = plan("sou inquilino de vcs, preciso de ajuda", profile={"intent": "support"}, stored={})
    assert phrases.SUPPORT_ROUTE in everything(plain)
