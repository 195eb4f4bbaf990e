"""Dialogue rules: hot signals, shown cards and open questions."""

from __future__ import annotations

from vellarys.domain import dialogue
from vellarys.domain.conversation import Turn


def test_closing_signals_are_hot() -> None:
    for text in (
        "meu crédito foi aprovado",
        "quero fechar",
        "quero fazer uma proposta de 850 mil",
        "fui aprovada no banco",
    ):
        assert dialogue.closing_signal(text), text
    assert not dialogue.closing_signal("não quero fechar nada ainda")
    assert not dialogue.closing_signal("quero comprar um apartamento")


def test_more_options_pages_forward() -> None:
    assert dialogue.wants_more("tem mais opções?")
    assert dialogue.wants_more("manda outras opcoes")
    assert not dialogue.wants_more("quero um ap com mais quartos")


def test_every_card_shown_in_the_conversation_is_remembered() -> None:
    history = [
        Turn("assistant", "a", media={"properties": ["AP1", "AP2"]}),
        Turn("user", "mais"),
        Turn("assistant", "b", media={"properties": ["AP3"], "asked": "budget_max"}),
    ]
    assert dialogue.shown_codes(history) == ["AP1", "AP2", "AP3"]
    assert dialogue.last_shown(history) == "AP3"
    assert dialogue.last_asked(history) == "budget_max"


def test_open_questions_are_added_once() -> None:
    profile = dialogue.add_open_question({}, "vcs fazem mudança?")
    profile = dialogue.add_open_question(profile, "vcs fazem mudança?")
    assert profile["open_questions"] == ["vcs fazem mudança?"]


def test_a_lead_ready_to_close_is_a_buyer_or_a_renter() -> None:
    assert dialogue.closing_intent("oi, meu credito foi aprovado e quero fechar o AP1601") == "buy"
    assert dialogue.closing_intent("quero fechar o aluguel do AP1102") == "rent"
    assert dialogue.closing_intent("quero comprar um ap em Moema") is None
