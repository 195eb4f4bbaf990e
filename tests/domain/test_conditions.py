"""A yes that depends on conditions says them: "posso usar o FGTS na entrada?" is answered with
who may use it (script "duas perguntas numa mensagem")."""

from tests.domain.test_planner import everything, plan
from vellarys.domain.cards import KnowledgeHit
from vellarys.domain.excerpt import sentences
from vellarys.domain.knowledge_answer import answer_question, with_conditions
from vellarys.domain.planner import Retrieval

FGTS = (
    "# Uso do FGTS na compra do imóvel\n\n"
    "O saldo do FGTS é uma das formas mais usadas pelos nossos clientes para completar a entrada"
    " ou diminuir o financiamento.\n\n## Quem pode usar\n\n"
    "- **Três anos de trabalho sob o regime do FGTS**, ou seja, com carteira assinada.\n"
    "- **Não ter outro imóvel residencial**, pronto ou em construção, no município.\n"
    "- **Usar o imóvel para morar.** O FGTS não pode ser usado para imóvel comercial.\n"
)
QUESTION = "posso usar o fgts pra dar entrada?"


def test_a_yes_to_fgts_lists_who_may_use_it() -> None:
    hits = (KnowledgeHit("FGTS", FGTS, 0.9, document="fgts"),)
    opening = sentences(FGTS)[0]
    scores = {s: (0.9 if s == opening else 0.5) for s in sentences(FGTS)}
    answer = answer_question(hits, QUESTION, sentence_scores=scores, sentences=1)
    assert answer is not None and answer.conditions == (
        "Três anos de trabalho sob o regime do FGTS",
        "Não ter outro imóvel residencial",
        "Usar o imóvel para morar",
    )
    found = Retrieval(answers=(("knowledge_question", answer, QUESTION),))
    reply = everything(plan(QUESTION, profile={}, retrieval=found))
    assert "Sim, se você cumprir as regras. O saldo do FGTS" in reply and "Sim!" not in reply
    assert (
        "As regras:\n• Três anos de trabalho sob o regime do FGTS\n"
        "• Não ter outro imóvel residencial\n• Usar o imóvel para morar" in reply
    )
    # A yes with no conditions stays as it was; so does any answer that is not a yes.
    assert with_conditions("Sim! Aceita pets.", ()) == "Sim! Aceita pets."
    assert with_conditions("Depende do banco.", answer.conditions) == "Depende do banco."
