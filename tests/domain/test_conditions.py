"""A yes that depends on conditions says them: "posso usar o FGTS na entrada?" is answered with
who may use it (script "duas perguntas numa mensagem")."""

from tests.domain.test_planner import everything, plan
from vellarys.domain.cards import KnowledgeHit
from vellarys.domain.knowledge_answer import KnowledgeAnswer, with_conditions
from vellarys.domain.planner import Retrieval

FGTS = (
    "# Uso do FGTS na compra do imóvel\n\n"
    "O saldo do FGTS é uma das formas mais usadas pelos nossos clientes para completar a entrada"
    " ou diminuir o financiamento.\n\n## Quem pode usar\n\n"
    "- **Três anos de trabalho sob o regime do FGTS**, ou seja, com carteira assinada.\n"
    "- **Não ter outro imóvel residencial**, pronto ou em construção, no município.\n"
)
SECOND = "## Quem pode usar\n- **Usar o imóvel para morar.** O FGTS não pode ser usado para..."


def test_a_yes_to_fgts_lists_who_may_use_it() -> None:
    hits = (
        KnowledgeHit("FGTS", FGTS, 0.9, document="fgts"),
        KnowledgeHit("FGTS", SECOND, 0.8, document="fgts"),
    )
    question = "posso usar o fgts pra dar entrada?"
    said = "O saldo do FGTS é uma das formas mais usadas pelos nossos clientes."
    answer = KnowledgeAnswer(said, ("fgts",))
    found = Retrieval(knowledge=hits, answers=(("knowledge_question", answer, question),))
    reply = everything(plan(question, profile={}, retrieval=found))
    assert "Sim, se você cumprir as regras. O saldo do FGTS" in reply
    assert (
        "• Três anos de trabalho sob o regime do FGTS\n• Não ter outro imóvel residencial" in reply
    )
    assert "• Usar o imóvel para morar" in reply and "Sim!" not in reply
    # A yes with no conditions listed stays as it was; so does any answer that is not a yes.
    plain = (KnowledgeHit("Pets", "Aceita pets de pequeno porte.", 0.9, document="pets"),)
    assert with_conditions("Sim! Aceita pets.", plain, ("pets",)) == "Sim! Aceita pets."
    assert with_conditions("Depende do banco.", hits, ("fgts",)) == "Depende do banco."
