"""The agency's clock as the LLM reads it: now in the agency's time zone, open or closed, and
the dates of the coming week, so "amanhã" and "sábado" resolve to the right day."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from vellarys.domain import business_hours

_WEEKDAYS = ("segunda", "terça", "quarta", "quinta", "sexta", "sábado", "domingo")
_DAYS_AHEAD = 7


def clock_note(settings: Mapping[str, Any], now: datetime) -> str:
    """ "Agora: sábado, 28/11/2026, 14:32 (America/Sao_Paulo). A imobiliária está fechada…" """
    hours = business_hours.from_settings(settings)
    local = now.astimezone(hours.zone)
    lines = [
        f"Agora: {_WEEKDAYS[local.weekday()]}, {local:%d/%m/%Y}, {local:%H:%M} "
        f"(fuso {hours.zone.key}).",
        _open_line(hours, now),
        "Próximos dias: " + "; ".join(_day(local, n) for n in range(_DAYS_AHEAD + 1)) + ".",
    ]
    return "\n".join(lines)


def _open_line(hours: business_hours.BusinessHours, now: datetime) -> str:
    if hours.always_open:
        return "A imobiliária não definiu horário de atendimento."
    if business_hours.is_open(hours, now):
        return "A imobiliária está aberta agora."
    opening = business_hours.next_opening(hours, now)
    when = business_hours.describe_opening(hours, opening, now)
    return f"A imobiliária está fechada agora; os corretores voltam {when}."


def _day(local: datetime, ahead: int) -> str:
    day = local + timedelta(days=ahead)
    label = {0: "hoje", 1: "amanhã"}.get(ahead)
    name = f"{_WEEKDAYS[day.weekday()]} {day:%d/%m}"
    return f"{label}, {name}" if label else name
