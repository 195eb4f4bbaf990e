"""Answers a document gives by its shape: a section's list, or the options the lead still has."""

from importlib.resources import files

from vellarys.domain.knowledge_lists import asks_for_structure, structured_answer


def _demo(name: str) -> str:
    return files("vellarys.demo").joinpath("data", "knowledge", name).read_text(encoding="utf-8")


def test_a_question_for_the_rental_documents_gets_the_whole_list_of_that_section() -> None:
    answer = structured_answer(
        _demo("documentos-locacao.md"), "quais documentos vcs pedem pra alugar?"
    )
    assert answer is not None
    assert answer.startswith("*Documentos do inquilino (pessoa física)*")
    assert "• RG e CPF, ou CNH dentro da validade." in answer
    assert "Comprovante de residência" in answer and "holerites" in answer
    assert "**" not in answer and "- " not in answer


def test_the_document_title_does_not_pick_the_section_the_other_words_do() -> None:
    answer = structured_answer(_demo("agendamento-visitas.md"), "o que preciso levar na visita?")
    assert answer is not None and answer.startswith("*O que levar*")
    assert "RG ou CNH" in answer


def test_a_lead_without_a_guarantor_gets_the_other_guarantees_not_the_definition() -> None:
    answer = structured_answer(_demo("garantias-locacao.md"), "nao tenho fiador, tem outra opcao?")
    assert answer is not None
    assert answer.splitlines()[0] == "Sem fiador, você tem estas opções:"
    for option in ("Seguro-fiança", "Caução em dinheiro", "Título de capitalização"):
        assert f"• *{option}*:" in answer
    assert "Fiador*" not in answer and "Comparação" not in answer  # the table compares them


def test_questions_that_are_not_about_a_list_are_left_to_the_sentence_picker() -> None:
    assert not asks_for_structure("quanto custa o seguro fiança?")
    assert structured_answer(_demo("garantias-locacao.md"), "o fiador precisa ter imóvel?") is None
    # "quais" alone is not enough: no list section is named by the question's words.
    assert structured_answer(_demo("garantias-locacao.md"), "quais bairros vcs atendem?") is None
