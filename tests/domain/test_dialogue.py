"""Dialogue rules: hot signals, shown cards, open questions and the handoff notice after hours."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from vellarys.domain import business_hours, dialogue
from vellarys.domain.conversation import Turn

SP = ZoneInfo("America/Sao_Paulo")
DEMO_HOURS = {
    "business_hours": {
        "mon": ["09:00", "18:00"],
        "tue": ["09:00", "18:00"],
        "wed": ["09:00", "18:00"],
        "thu": ["09:00", "18:00"],
        "fri": ["09:00", "18:00"],
        "sat": ["09:00", "13:00"],
        "sun": None,
    },
    "timezone": "America/Sao_Paulo",
}


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


def test_after_hours_on_saturday_night_the_notice_promises_monday_at_nine() -> None:
    hours = business_hours.from_settings(DEMO_HOURS)
    now = datetime(2026, 11, 28, 23, 40, tzinfo=SP)
    opening = business_hours.next_opening(hours, now)
    notice = dialogue.handoff_notice(
        "Juliana Ferraz", opening=opening, now=now, after_hours_message="Atendemos até as 18h."
    )
    assert "Juliana" in notice and "segunda às 9h" in notice
    assert "Atendemos até as 18h." in notice
    assert "em breve" not in notice


def test_friday_night_promises_tomorrow_and_open_hours_promise_soon() -> None:
    hours = business_hours.from_settings(DEMO_HOURS)
    friday = datetime(2026, 11, 27, 20, 30, tzinfo=SP)
    assert dialogue.when_text(business_hours.next_opening(hours, friday), friday) == (
        "amanhã às 9h"
    )
    wednesday = datetime(2026, 11, 25, 14, 0, tzinfo=SP)
    opening = business_hours.next_opening(hours, wednesday)
    assert "em breve" in dialogue.handoff_notice(None, opening=opening, now=wednesday)


def test_a_lead_ready_to_close_is_a_buyer_or_a_renter() -> None:
    assert dialogue.closing_intent("oi, meu credito foi aprovado e quero fechar o AP1601") == "buy"
    assert dialogue.closing_intent("quero fechar o aluguel do AP1102") == "rent"
    assert dialogue.closing_intent("quero comprar um ap em Moema") is None
