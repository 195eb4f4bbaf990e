"""What a lead says about a visit: a preferred day, period or hour ("sábado de manhã",
"amanhã às 10"), a choice among offered slots ("pode ser o primeiro"), or an act on a booked
visit ("não vou conseguir", "quero remarcar", "cancela a visita"). Rules only; no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from vellarys.domain.text import fold, parsed_part

_WEEKDAYS = {
    "segunda": 0, "seg": 0, "terca": 1, "ter": 1, "quarta": 2, "qua": 2, "quinta": 3,
    "qui": 3, "sexta": 4, "sex": 4, "sabado": 5, "sab": 5, "domingo": 6, "dom": 6,
}  # fmt: skip
_WEEKDAY = re.compile(r"\b(segunda|terca|quarta|quinta|sexta|sabado|domingo|sab|dom)\b")
_RELATIVE = re.compile(r"\b(hoje|amanha|depois de amanha)\b")
_DAY_MONTH = re.compile(r"\b(?:dia )?(\d{1,2})/(\d{1,2})\b|\bdia (\d{1,2})\b")
_PERIODS = {
    "manha": (time(6), time(12)),
    "tarde": (time(12), time(18)),
    "noite": (time(18), time(23, 59)),
}
_PERIOD = re.compile(r"\b(manha|tarde|noite)\b")
_GREETINGS = re.compile(r"\b(?:bom dia|boa tarde|boa noite)\b")
_AT = re.compile(
    r"\b(?:as|a partir das|depois das|umas|por volta das|pelas)\s+(\d{1,2})(?:(?::|h)(\d{2})?)?\b"
)
_CLOCK = re.compile(r"\b(\d{1,2})(?::(\d{2})|h(\d{2})?|\s?horas?)(?!\d)")
_NOON = re.compile(r"\bmeio[- ]dia\b")
_ORDINALS = (
    (re.compile(r"\b(?:o |a )?(?:primeir[oa]|1[ºo°a]?|opcao 1|op 1)\b|^\s*1\s*$"), 0),
    (re.compile(r"\b(?:o segundo|segunda opcao|2[ºo°a] opcao|opcao 2|op 2)\b|^\s*2\s*$"), 1),
    (re.compile(r"\b(?:o |a )?(?:terceir[oa]|3[ºo°a]|opcao 3|op 3)\b|^\s*3\s*$"), 2),
    (re.compile(r"\b(?:o |a )?ultim[oa]\b"), -1),
)
_ANY = re.compile(r"\b(?:qualquer (?:um|uma|horario|dia)|tanto faz|o que (?:for|tiver) primeiro)\b")
_AGREE = re.compile(
    r"^\s*(?:sim|pode ser|pode|ok|fechado|combinado|perfeito|beleza|blz|otimo|esse mesmo)\W*$"
)
_CANCEL = re.compile(
    r"\b(?:cancel\w*|desmarc\w*|nao vou mais|desisti\w*|nao quero mais (?:a |ir|visitar|ver))"
)
_CANT = re.compile(
    r"\b(?:nao vou (?:conseguir|poder)"
    r"|nao (?:consigo|posso) (?:mais )?(?:ir|comparecer|nesse|neste|nessa|nesta)"
    r"|nao vai dar|tive um imprevisto|surgiu um imprevisto)\b"
)
_RESCHEDULE = re.compile(
    r"\b(?:remarc\w*|reagend\w*|adiar|mudar (?:o |a )?(?:horario|dia|data|visita)"
    r"|trocar (?:o |a )?(?:horario|dia|data)|outro (?:horario|dia)|outra (?:data|hora))\b"
)
_REJECT = re.compile(
    r"\b(?:nenhum\w*|nao (?:posso|consigo|da) (?:nesses|nesse|em nenhum)|esses nao|nao da)\b"
)
_WEEKDAY_NAMES = ("segunda", "terça", "quarta", "quinta", "sexta", "sábado", "domingo")


@dataclass(frozen=True, slots=True)
class Preference:
    """When the lead wants to go; any part may be missing."""

    day: date | None = None
    weekday: int | None = None
    period: tuple[time, time] | None = None
    at: time | None = None

    def matches(self, slot: datetime) -> bool:
        clock = slot.time().replace(tzinfo=None)
        if self.day is not None and slot.date() != self.day:
            return False
        if self.weekday is not None and slot.weekday() != self.weekday:
            return False
        if self.period is not None and not self.period[0] <= clock < self.period[1]:
            return False
        return self.at is None or clock == self.at


def preference(text: str, *, now: datetime) -> Preference | None:
    """The day, period and hour ``text`` names (``now`` in the agency's zone), or None."""
    folded = _GREETINGS.sub(" ", fold(parsed_part(text)))
    day, weekday = _day(folded, now.date())
    period_match = _PERIOD.search(folded)
    period = _PERIODS[period_match.group(1)] if period_match else None
    at = _hour(folded, period)
    if day is None and weekday is None and period is None and at is None:
        return None
    return Preference(day=day, weekday=weekday, period=period, at=at)


def _day(folded: str, today: date) -> tuple[date | None, int | None]:
    relative = _RELATIVE.search(folded)
    if relative:
        offsets = {"hoje": 0, "amanha": 1, "depois de amanha": 2}
        return today + timedelta(days=offsets[relative.group(1)]), None
    named = _WEEKDAY.search(folded)
    if named:
        return None, _WEEKDAYS[named.group(1)]
    found = _DAY_MONTH.search(folded)
    if found:
        return _date_of(found, today), None
    return None, None


def _date_of(found: re.Match[str], today: date) -> date | None:
    day = int(found.group(1) or found.group(3))
    month = int(found.group(2)) if found.group(2) else today.month
    for year in (today.year, today.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            return None
        if candidate >= today:
            return candidate
        if not found.group(2):  # "dia 3" after the 3rd: next month
            month = month % 12 + 1
            year_shift = 1 if month == 1 else 0
            try:
                return date(today.year + year_shift, month, day)
            except ValueError:
                return None
    return None


def _hour(folded: str, period: tuple[time, time] | None) -> time | None:
    if _NOON.search(folded):
        return time(12)
    found = _AT.search(folded) or _CLOCK.search(folded)
    if found is None:
        return None
    hour = int(found.group(1))
    minute = int(next((g for g in found.groups()[1:] if g), "0"))
    if hour < 8 and (period is None or period[0] >= time(12)):
        hour += 12  # "às 3" is three in the afternoon
    return time(hour, minute) if hour < 24 and minute < 60 else None


def choice(
    text: str, offered: Sequence[datetime], *, now: datetime, just_offered: bool = True
) -> int | None:
    """Which offered slot ``text`` picks (index), or None when it picks none of them.

    "o primeiro" and "pode ser" count only right after the offer (``just_offered``): later
    they may be about something else, such as a listing card."""
    folded = fold(parsed_part(text))
    if just_offered and offered:
        for pattern, index in _ORDINALS:
            if pattern.search(folded):
                return index % len(offered)
        if _ANY.search(folded) or (_AGREE.match(folded) and len(offered) == 1):
            return 0
    wanted = preference(text, now=now)
    if wanted is None:
        return None
    hits = [i for i, slot in enumerate(offered) if wanted.matches(slot)]
    if len(hits) == 1 or (hits and wanted.at is not None):
        return hits[0]
    return None


def agrees(text: str) -> bool:
    """ "sim", "pode ser", "qualquer dia": yes, with no day or period of its own."""
    folded = fold(parsed_part(text))
    return bool(_AGREE.match(folded) or _ANY.search(folded) or folded.startswith("sim"))


def act(text: str) -> str | None:
    """``cancel``, ``cant_make_it``, ``reschedule`` or ``reject`` (none of the offered), or None."""
    folded = fold(parsed_part(text))
    if _CANT.search(folded):
        return "cant_make_it"
    if _CANCEL.search(folded):
        return "cancel"
    if _RESCHEDULE.search(folded):
        return "reschedule"
    if _REJECT.search(folded):
        return "reject"
    return None


def slot_label(slot: datetime, *, now: datetime) -> str:
    """ "sábado (05/12) às 10h", "amanhã (01/12) às 9h30", "hoje às 15h" (both in one zone)."""
    clock = f"{slot.hour}h" + (f"{slot.minute:02d}" if slot.minute else "")
    days = (slot.date() - now.date()).days
    if days == 0:
        return f"hoje às {clock}"
    if days == 1:
        return f"amanhã ({slot:%d/%m}) às {clock}"
    return f"{_WEEKDAY_NAMES[slot.weekday()]} ({slot:%d/%m}) às {clock}"


def wanted_label(wanted: Preference, *, now: datetime) -> str:
    """The lead's preference as a phrase ("sábado à noite"), for "não tenho horário ..."."""
    parts: list[str] = []
    if wanted.day is not None:
        days = (wanted.day - now.date()).days
        parts.append("hoje" if days == 0 else "amanhã" if days == 1 else f"em {wanted.day:%d/%m}")
    elif wanted.weekday is not None:
        parts.append(_WEEKDAY_NAMES[wanted.weekday])
    if wanted.at is not None:
        parts.append(
            f"às {wanted.at.hour}h" + (f"{wanted.at.minute:02d}" if wanted.at.minute else "")
        )
    elif wanted.period is not None:
        names = {time(6): "de manhã", time(12): "à tarde", time(18): "à noite"}
        parts.append(names[wanted.period[0]])
    return " ".join(parts)
