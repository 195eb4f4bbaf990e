"""What a lead is promised when a person takes over: who, and WHEN — a time that will hold.

Inside business hours the promise is the agency's own alert threshold (``handoff_alert_minutes``:
past it the manager is alerted, so "em até 15 minutos" is kept or escalated). When that moment
falls after closing, or the agency is closed, the promise is the next opening ("amanhã às 9h",
holidays and closed days skipped), with the agency's after-hours message. A day or hour the lead
named ("sábado de manhã", "amanhã depois das 18h") is repeated back, so it is not lost.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from vellarys.domain import business_hours, nudge
from vellarys.domain.text import fold, parsed_part
from vellarys.domain.visit_talk import Preference, preference, wanted_label

_DAY_NAMES = ("segunda", "terça", "quarta", "quinta", "sexta", "sábado", "domingo")
# "depois das 18h", "a partir das 19", "antes das 10": the lead's bound, kept in their words.
_BOUND = re.compile(r"\b(depois das|a partir das|antes das|ate as)\s+(\d{1,2})(?:(?::|h)(\d{2}))?")
_BOUND_WORDS = {
    "depois das": "depois das",
    "a partir das": "a partir das",
    "antes das": "antes das",
}
_BOUND_WORDS["ate as"] = "até as"


def when_text(opening: datetime, now: datetime) -> str:
    """ "amanhã às 9h", "segunda às 9h", "hoje às 14h30" in the agency's zone."""
    local_now = now.astimezone(opening.tzinfo)
    days = (opening.date() - local_now.date()).days
    hour = f"{opening.hour}h" + (f"{opening.minute:02d}" if opening.minute else "")
    if days == 0:
        return f"hoje às {hour}"
    if days == 1:
        return f"amanhã às {hour}"
    if days < 7:
        return f"{_DAY_NAMES[opening.weekday()]} às {hour}"
    return f"em {opening:%d/%m} às {hour}"


def lead_named_when(text: str, now: datetime) -> str | None:
    """The day and time the lead named, as they said it ("sábado de manhã", "amanhã depois
    das 18h"), or None. ``now`` is in the agency's zone."""
    wanted = preference(text, now=now)
    if wanted is None:
        return None
    bound = _BOUND.search(fold(parsed_part(text)))
    if bound is None:
        return wanted_label(wanted, now=now) or None
    day = wanted_label(Preference(day=wanted.day, weekday=wanted.weekday), now=now)
    hour = f"{int(bound.group(2))}h" + (bound.group(3) or "")
    return " ".join(p for p in (day, _BOUND_WORDS.get(bound.group(1), bound.group(1)), hour) if p)


def handoff_notice(
    broker_name: str | None,
    *,
    settings: Mapping[str, Any],
    now: datetime,
    lead_text: str = "",
) -> str:
    """What the lead reads when a person takes over: who, when, and the time they asked for."""
    who = f"{broker_name.split()[0]}, do nosso time," if broker_name else "um de nossos corretores"
    hours = business_hours.from_settings(settings)
    local = now.astimezone(hours.zone)
    minutes = nudge.policy(settings).handoff_alert_minutes
    due = business_hours.add_open_time(hours, local, timedelta(minutes=minutes))
    if due.date() == local.date() and business_hours.is_open(hours, local):
        text = (
            f"Vou passar seu atendimento para {who} que te chama por aqui em até {minutes} minutos."
        )
        after_hours = None
    else:
        # Closed, or closing before the alert would fire: the first opening of the day it lands.
        start = business_hours.next_opening(hours, due.replace(hour=0, minute=0, second=0))
        text = (
            f"Vou passar seu atendimento para {who} que te chama {when_text(start, local)}, "
            "quando nosso expediente começa."
        )
        after_hours = settings.get("after_hours_message")
    named = lead_named_when(lead_text, local) if lead_text else None
    if named:
        text += f" Já deixei anotado que você prefere *{named}*."
    text += " 🙂"
    if isinstance(after_hours, str) and after_hours.strip():
        text += "\n\n" + after_hours.strip()
    return text
