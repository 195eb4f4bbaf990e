"""What a lead is promised at a handoff: a time that holds, and the day they asked for."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from vellarys.domain.handoff_promise import contact_time, handoff_notice, lead_named_when

SP = ZoneInfo("America/Sao_Paulo")
DEMO = {
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
    "after_hours_message": "Atendemos até as 18h.",
}
WEDNESDAY = datetime(2026, 11, 25, 14, 0, tzinfo=SP)


def test_after_hours_the_notice_promises_the_next_opening_never_soon() -> None:
    saturday_night = datetime(2026, 11, 28, 23, 40, tzinfo=SP)
    notice = handoff_notice("Juliana Ferraz", settings=DEMO, now=saturday_night)
    assert "Juliana" in notice and "segunda às 9h" in notice
    assert "Atendemos até as 18h." in notice
    assert "em breve" not in notice and "agora" not in notice
    friday_night = datetime(2026, 11, 27, 20, 30, tzinfo=SP)
    assert "amanhã às 9h" in handoff_notice(None, settings=DEMO, now=friday_night)
    # Five minutes before closing the alert would fire tomorrow: promise tomorrow's opening.
    closing = datetime(2026, 11, 25, 17, 55, tzinfo=SP)
    assert "amanhã às 9h" in handoff_notice(None, settings=DEMO, now=closing)
    # Christmas Eve is a Thursday; the 25th is a holiday: the next opening is the 26th (Saturday).
    christmas_eve = datetime(2026, 12, 24, 19, 0, tzinfo=SP)
    assert "sábado às 9h" in handoff_notice(None, settings=DEMO, now=christmas_eve)


def test_in_hours_the_notice_promises_the_agencys_alert_time() -> None:
    notice = handoff_notice(None, settings=DEMO, now=WEDNESDAY)
    assert "em até 15 minutos" in notice and "em breve" not in notice
    assert "Atendemos" not in notice
    quicker = handoff_notice(None, settings={**DEMO, "handoff_alert_minutes": 5}, now=WEDNESDAY)
    assert "em até 5 minutos" in quicker


def test_the_day_and_time_the_lead_named_are_repeated_back() -> None:
    assert lead_named_when("posso ir ver no sábado de manhã?", WEDNESDAY) == "sábado de manhã"
    assert lead_named_when("me liga amanhã depois das 18h", WEDNESDAY) == "amanhã depois das 18h"
    assert lead_named_when("boa tarde, quero falar com um corretor", WEDNESDAY) is None
    notice = handoff_notice(
        None, settings=DEMO, now=WEDNESDAY, lead_text="pode me ligar amanhã depois das 18h?"
    )
    assert "*amanhã depois das 18h*" in notice


def test_a_call_at_a_named_time_is_promised_then_and_honestly_outside_the_hours() -> None:
    def notice(text: str) -> str:
        return handoff_notice("Marcos Toledo", settings=DEMO, now=WEDNESDAY, lead_text=text)

    late = notice("quero falar com um corretor, pode me ligar amanhã depois das 18h?")
    assert "minutos" not in late and "por aqui" not in late
    # Never "até as 18h", the hours the lead cannot take a call: 18h sharp, their time noted.
    assert "Marcos" in late and "te liga amanhã às 18h em ponto" in late
    assert "até as 18h" not in late and "prefere *amanhã depois das 18h*" in late
    assert "das 9h às 18h" in late
    assert "te liga amanhã às 18h em ponto" in notice("me liga amanhã após as 19h")
    assert "te liga amanhã às 18h em ponto" in notice("pode me ligar amanhã à noite?")
    assert "te liga *amanhã à tarde*, como você pediu" in notice("me liga amanhã à tarde")
    inside = notice("me liga amanhã às 10h")
    assert "te liga *amanhã às 10h*, como você pediu" in inside and "fora" not in inside
    sunday = notice("pode me ligar domingo de manhã?")
    assert "Não abrimos domingo" in sunday and "te liga segunda às 9h" in sunday
    early = notice("me liga sexta antes das 8h")
    assert "te liga sexta às 9h" in early and "fora do nosso horário" in early
    # A call with no time: a call, within the alert time.
    assert "te liga em até 15 minutos" in notice("pode me ligar?")
    # A visit day is not a contact time: it is noted, the promise stays the alert time.
    visit = notice("posso ir ver no sábado de manhã?")
    assert "em até 15 minutos" in visit and "*sábado de manhã*" in visit


def test_the_time_a_lead_asks_to_be_called_is_dated_for_the_broker() -> None:
    assert contact_time("pode me ligar amanhã depois das 18h?", WEDNESDAY) == (
        "quinta, 26/11, depois das 18h"
    )
    assert contact_time("me liga após as 19h", WEDNESDAY) == "quarta, 25/11, após as 19h"
    assert contact_time("me liga antes das 10h sexta", WEDNESDAY) == "sexta, 27/11, antes das 10h"
    assert contact_time("me chama amanhã de manhã", WEDNESDAY) == "quinta, 26/11, de manhã"
    assert contact_time("pode me ligar à noite?", WEDNESDAY) == "quarta, 25/11, à noite"
    # A visit day is not a contact time; a call with no time has none.
    assert contact_time("posso ir ver no sábado de manhã?", WEDNESDAY) is None
    assert contact_time("pode me ligar?", WEDNESDAY) is None
