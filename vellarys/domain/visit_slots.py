"""When a broker can take a visit: weekly availability, blocked times, visits already held.

A broker's week is stored as ``{"mon": [["09:00", "12:00"], ["14:00", "18:00"]], ...}``. A
broker with no week of their own works the agency's business hours, or, when the agency set
none, ``DEFAULT_WEEK``. Slots sit on a grid from each span's opening, one visit plus its
travel buffer apart, so two leads offered the same broker's afternoon are offered the same
starts (and a race for one start is settled by the database's unique key).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from vellarys.domain.business_hours import DAYS, BusinessHours, is_holiday

Span = tuple[time, time]
Week = tuple[tuple[Span, ...], ...]  # index = date.weekday()

DEFAULT_VISIT_MINUTES = 45
DEFAULT_BUFFER_MINUTES = 15
DEFAULT_NOTICE_HOURS = 2
HORIZON_DAYS = 21
_NINE_TO_SIX = ((time(9), time(18)),)
DEFAULT_WEEK: Week = (*(_NINE_TO_SIX,) * 5, ((time(9), time(13)),), ())


@dataclass(frozen=True, slots=True)
class VisitRules:
    """How long a visit lasts, the travel buffer after it and the least notice a lead gives."""

    minutes: int = DEFAULT_VISIT_MINUTES
    buffer_minutes: int = DEFAULT_BUFFER_MINUTES
    notice_hours: int = DEFAULT_NOTICE_HOURS

    @property
    def length(self) -> timedelta:
        return timedelta(minutes=self.minutes)

    @property
    def step(self) -> timedelta:
        return timedelta(minutes=self.minutes + self.buffer_minutes)


def rules_from_settings(settings: Mapping[str, Any]) -> VisitRules:
    """The agency's visit rules from ``tenants.settings``; bad values fall back to defaults."""
    return VisitRules(
        minutes=_bounded(settings.get("visit_minutes"), DEFAULT_VISIT_MINUTES, 15, 240),
        buffer_minutes=_bounded(
            settings.get("visit_buffer_minutes"), DEFAULT_BUFFER_MINUTES, 0, 180
        ),
        notice_hours=_bounded(settings.get("visit_notice_hours"), DEFAULT_NOTICE_HOURS, 0, 72),
    )


def _bounded(value: Any, default: int, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if low <= number <= high else default


def parse_spans(text: str) -> tuple[Span, ...]:
    """ "09:00-12:00, 14:00-18:00" -> spans; raises ValueError with a message for the form."""
    spans: list[Span] = []
    for part in filter(None, (p.strip() for p in text.replace(";", ",").split(","))):
        pieces = [p.strip() for p in part.replace("–", "-").split("-")]
        try:
            opens, closes = (time.fromisoformat(_padded(p)) for p in pieces)
        except ValueError:
            raise ValueError(f"Horário inválido: “{part[:40]}”. Use 09:00-12:00.") from None
        if opens >= closes:
            raise ValueError(f"O início deve ser antes do fim: “{part[:40]}”.")
        spans.append((opens, closes))
    spans.sort()
    for (_, closes), (opens, _) in itertools.pairwise(spans):
        if opens < closes:
            raise ValueError("Os intervalos de um dia não podem se sobrepor.")
    return tuple(spans)


def _padded(value: str) -> str:
    value = value.lower().replace("h", ":")
    value = value + "00" if value.endswith(":") else value
    hours, _, minutes = value.partition(":")
    return f"{int(hours):02d}:{minutes or '00'}" if hours.isdigit() else value


def week_from_json(stored: Mapping[str, Any] | None) -> Week | None:
    """A stored week, or None when the broker set none (then the agency's hours apply)."""
    if not stored:
        return None
    week: list[tuple[Span, ...]] = []
    for day in DAYS:
        raw = stored.get(day) or []
        text = ", ".join(f"{a}-{b}" for a, b in raw if isinstance(a, str) and isinstance(b, str))
        try:
            week.append(parse_spans(text))
        except ValueError:
            week.append(())
    return tuple(week)


def week_to_json(week: Week) -> dict[str, list[list[str]]]:
    return {
        day: [[a.strftime("%H:%M"), b.strftime("%H:%M")] for a, b in spans]
        for day, spans in zip(DAYS, week, strict=True)
    }


def week_text(week: Week) -> dict[str, str]:
    """Each day's spans as the form shows them ("09:00-12:00, 14:00-18:00")."""
    return {
        day: ", ".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in spans)
        for day, spans in zip(DAYS, week, strict=True)
    }


def effective_week(own: Week | None, hours: BusinessHours) -> Week:
    """The broker's own week, else the agency's business hours, else ``DEFAULT_WEEK``."""
    if own is not None:
        return own
    if hours.always_open:
        return DEFAULT_WEEK
    return tuple(((span,) if span else ()) for span in hours.week)


def free_slots(
    week: Week,
    *,
    hours: BusinessHours,
    rules: VisitRules,
    busy: Sequence[tuple[datetime, datetime]],
    now: datetime,
    days: int = HORIZON_DAYS,
) -> list[datetime]:
    """Every start a broker can take from ``now`` on: inside the week's spans, on a working day,
    after the notice, clear of ``busy`` (blocks and held visits) with the buffer both sides."""
    zone = hours.zone
    earliest = now + timedelta(hours=rules.notice_hours)
    gap = timedelta(minutes=rules.buffer_minutes)
    found: list[datetime] = []
    start_day = now.astimezone(zone).date()
    for offset in range(days):
        day = start_day + timedelta(days=offset)
        if is_holiday(hours, day):
            continue
        for start in _grid(day, week[day.weekday()], zone, rules):
            end = start + rules.length
            if start >= earliest and not _clashes(start, end, busy, gap):
                found.append(start)
    return found


def _grid(day: date, spans: Iterable[Span], zone: ZoneInfo, rules: VisitRules) -> list[datetime]:
    starts: list[datetime] = []
    for opens, closes in spans:
        moment = datetime.combine(day, opens, tzinfo=zone)
        closing = datetime.combine(day, closes, tzinfo=zone)
        while moment + rules.length <= closing:
            starts.append(moment)
            moment += rules.step
    return starts


def _clashes(
    start: datetime, end: datetime, busy: Sequence[tuple[datetime, datetime]], gap: timedelta
) -> bool:
    return any(start < b_end + gap and b_start - gap < end for b_start, b_end in busy)
