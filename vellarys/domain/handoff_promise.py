"""What a lead is promised when a person takes over: who, and WHEN — a time that will hold.

Inside business hours the promise is the agency's own alert threshold (``handoff_alert_minutes``:
past it the manager is alerted, so "em até 15 minutos" is kept or escalated). When that moment
falls after closing, or the agency is closed, the promise is the next opening ("amanhã às 9h",
holidays and closed days skipped), with the agency's after-hours message. A day or hour the lead
named ("sábado de manhã", "amanhã depois das 18h") is repeated back, so it is not lost.

A lead who asks to be contacted at a time ("pode me ligar amanhã depois das 18h?") is promised
that time, not "em até 15 minutos"; when it falls outside the agency's hours they are told so and
offered the nearest time inside them. A call request is promised as a call ("te liga").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from vellarys.domain import business_hours, nudge
from vellarys.domain.text import fold, parsed_part
from vellarys.domain.visit_talk import Preference, preference, wanted_label

_DAY_NAMES = ("segunda", "terça", "quarta", "quinta", "sexta", "sábado", "domingo")
# "depois das 18h", "a partir das 19", "antes das 10": the lead's bound, kept in their words.
_BOUND = re.compile(
    r"\b(depois das|apos as|a partir das|antes das|ate as)\s+(\d{1,2})(?:(?::|h)(\d{2}))?"
)
_BOUND_WORDS = {
    "depois das": "depois das",
    "apos as": "após as",
    "a partir das": "a partir das",
    "antes das": "antes das",
}
_BOUND_WORDS["ate as"] = "até as"
_LATER = frozenset({"depois das", "apos as", "a partir das"})
_CALL = re.compile(r"\b(?:lig(?:ar|a|ue|uem)|telefon\w*|chamada de voz|videochamada)\b")
_CONTACT = re.compile(
    r"\b(?:falar com|fale comigo|fala comigo|me cham\w*|me retorn\w*|entr\w* em contato)\b"
)


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


# An answer a broker must confirm is promised within this much opening time, on the hour.
ANSWER_WITHIN = timedelta(hours=2)


def answer_by(settings: Mapping[str, Any], now: datetime | None) -> str:
    """When a question a broker must confirm will be answered: "até hoje às 17h", "até
    segunda às 11h" (closed hours skipped, rounded up to the hour); "" when the time is unknown."""
    if now is None:
        return ""
    hours = business_hours.from_settings(settings)
    local = now.astimezone(hours.zone)
    due = business_hours.add_open_time(hours, local, ANSWER_WITHIN)
    if due.minute or due.second or due.microsecond:
        due = due.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return f"até {when_text(due, local)}"


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


def _clock(moment: time) -> str:
    return f"{moment.hour}h" + (f"{moment.minute:02d}" if moment.minute else "")


def _day_name(day: date, now: datetime) -> str:
    days = (day - now.date()).days
    if days < 2:
        return ("hoje", "amanhã")[days]
    return _DAY_NAMES[day.weekday()] if days < 7 else f"em {day:%d/%m}"


def _asked_day(text: str, now: datetime) -> tuple[date, time | None, str] | None:
    """The day, hour and kind of bound ("depois das", "antes das", "às", "período") the lead
    asked to be contacted at, or None."""
    wanted = preference(text, now=now)
    if wanted is None:
        return None
    day = wanted.day
    if day is None and wanted.weekday is not None:
        day = now.date() + timedelta(days=(wanted.weekday - now.weekday()) % 7)
    day = day or now.date()
    bound = _BOUND.search(fold(parsed_part(text)))
    if bound is not None:
        at = time(int(bound.group(2)) % 24, int(bound.group(3) or 0) % 60)
        return day, at, bound.group(1)
    if wanted.at is not None:
        return day, wanted.at, "as"
    if wanted.period is not None:
        return day, wanted.period[0], "periodo"
    return day, None, ""


def _outside_hours(span: tuple[time, time], at: time | None, kind: str) -> tuple[str, time] | None:
    """("after"|"before", the closest clock inside ``span``) when the asked time misses it."""
    start, end = span
    if at is None:
        return None
    if kind in _LATER or kind == "as":
        if at >= end:
            return "after", end
        if kind == "as" and at < start:
            return "before", start
        return None
    if kind in ("antes das", "ate as") and at <= start:
        return "before", start
    if kind == "periodo" and at >= end:
        return "after", end
    return None


def _named_time_promise(
    who: str, verb: str, text: str, hours: business_hours.BusinessHours, now: datetime
) -> str | None:
    """The promise for a contact at the time the lead named, honest about the agency's hours."""
    asked = _asked_day(text, now)
    named = lead_named_when(text, now)
    if asked is None or named is None or asked[0] < now.date():
        return None
    day, at, kind = asked
    day_name = _day_name(day, now)
    span = business_hours.day_span(hours, day) if not hours.always_open else None
    if hours.always_open:
        return f"Vou passar seu atendimento para {who} que {verb} *{named}*, como você pediu."
    if span is None:
        opening = business_hours.next_opening(hours, datetime.combine(day, time(), hours.zone))
        return (
            f"Não abrimos {day_name}, então *{named}* fica fora do nosso horário. Vou passar "
            f"seu atendimento para {who} que {verb} {when_text(opening, now)}, "
            "o horário mais próximo do que você pediu."
        )
    missed = _outside_hours(span, at, kind)
    if missed is None:
        return f"Vou passar seu atendimento para {who} que {verb} *{named}*, como você pediu."
    hours_said = f"Nosso expediente {day_name} vai das {_clock(span[0])} às {_clock(span[1])}"
    if missed[0] == "after":
        # The lead cannot take a call before their time: the closing hour sharp, never "até".
        return (
            f"{hours_said}. Deixei anotado que você prefere *{named}* e vou passar seu "
            f"atendimento para {who} que {verb} {day_name} às {_clock(span[1])} em ponto, o mais "
            "perto do que você pediu. Se esse horário não der, é só responder esta mensagem para "
            "combinar outro."
        )
    return (
        f"{hours_said}, então *{named}* fica fora do nosso horário. Vou passar seu atendimento "
        f"para {who} que {verb} {day_name} às {_clock(span[0])}, o horário mais próximo do que "
        "você pediu."
    )


def contact_time(text: str, now: datetime, settings: Mapping[str, Any] | None = None) -> str | None:
    """The time a lead asked to be called or contacted at, dated for the broker who reads it
    later ("quinta, 26/11, depois das 18h"), or None when they named none."""
    if settings is not None:
        now = now.astimezone(business_hours.from_settings(settings).zone)
    folded = fold(text)
    if not (_CALL.search(folded) or _CONTACT.search(folded)):
        return None
    asked = _asked_day(text, now)
    named = lead_named_when(text, now)
    if asked is None or named is None:
        return None
    day = asked[0]
    dated = f"{_DAY_NAMES[day.weekday()]}, {day:%d/%m}"
    bound = _BOUND.search(fold(parsed_part(text)))
    if bound is not None:
        hour = f"{int(bound.group(2))}h" + (bound.group(3) or "")
        return f"{dated}, {_BOUND_WORDS[bound.group(1)]} {hour}"
    wanted = preference(text, now=now)
    detail = wanted_label(Preference(period=wanted.period, at=wanted.at), now=now) if wanted else ""
    return f"{dated}, {detail}" if detail else dated


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
    folded = fold(lead_text)
    call = bool(_CALL.search(folded))
    verb = "te liga" if call else "te chama por aqui"
    if call or _CONTACT.search(folded):
        promise = _named_time_promise(who, verb, lead_text, hours, local)
        if promise is not None:
            return promise + " 🙂"
    minutes = nudge.policy(settings).handoff_alert_minutes
    due = business_hours.add_open_time(hours, local, timedelta(minutes=minutes))
    if due.date() == local.date() and business_hours.is_open(hours, local):
        text = f"Vou passar seu atendimento para {who} que {verb} em até {minutes} minutos."
        after_hours = None
    else:
        # Closed, or closing before the alert would fire: the first opening of the day it lands.
        start = business_hours.next_opening(hours, due.replace(hour=0, minute=0, second=0))
        text = (
            f"Vou passar seu atendimento para {who} que {verb.removesuffix(' por aqui')} "
            f"{when_text(start, local)}, "
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
