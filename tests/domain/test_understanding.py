"""The acts of one lead message, in the order written."""

import pytest

from vellarys.domain.understanding import UnderstandingContext, kinds, understand

CONTEXT = UnderstandingContext(
    staff_names=("Juliana Castro", "Ricardo Lima"),
    served_cities=("São Paulo",),
    last_shown_batch=("AP1001", "CA2002"),
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "oi! vcs aceitam pet? queria marcar visita",
            ["greeting", "listing_question", "visit_request"],
        ),
        ("quero vender meu apartamento", ["sell"]),
        ("tenho um ap pra alugar na mooca", ["rent_out"]),
        ("procuro um ap pra alugar na mooca", ["rent"]),
        ("vc é robô?", ["bot_question"]),
        ("sou inquilino de vcs e tem um vazamento no banheiro", ["support"]),
        ("tem ap em Curitiba?", ["out_of_area"]),
        ("parar", ["opt_out"]),
        ("na verdade sao 3 quartos", ["correction", "search"]),
        ("quanto fica o itbi desse ap?", ["cost_question"]),
        ("como funciona o seguro fiança? e precisa de fiador?", ["knowledge_question"]),
    ],
)
def test_message_acts_in_order(text: str, expected: list[str]) -> None:
    assert kinds(understand(text, CONTEXT)) == expected


def test_ordinal_reference_resolves_against_the_last_cards() -> None:
    (act,) = understand("o segundo aceita pet?", CONTEXT)
    assert (act.kind, act.listing_ref, act.listing_code, act.topic) == (
        "listing_question",
        "second",
        "CA2002",
        "pets",
    )


def test_named_staff_member_is_an_entity_of_ask_human() -> None:
    (act,) = understand("posso falar com a juliana?", CONTEXT)
    assert (act.kind, act.staff_name) == ("ask_human", "Juliana Castro")


def test_each_question_of_a_run_on_message_is_its_own_act() -> None:
    acts = understand("como funciona o seguro fiança? e precisa de fiador?", CONTEXT)
    assert [a.text for a in acts] == ["como funciona o seguro fiança?", "e precisa de fiador?"]


class _NearestSays:
    """A classifier at the port that places every clause among one kind's examples."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def classify(self, text: str) -> tuple[str, float]:
        return self.kind, 0.9


def test_a_statement_near_the_cost_questions_is_not_a_question_to_answer() -> None:
    near_costs = _NearestSays("cost_question")
    assert kinds(understand("tenho 80 mil de fgts", CONTEXT, classifier=near_costs)) == []
    asked = understand("e o fgts, da pra usar?", CONTEXT, classifier=near_costs)
    assert "cost_question" in kinds(asked)
