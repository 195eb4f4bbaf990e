"""When the agency is open: weekly hours in its time zone, Brazil's national holidays, closed days.

Read from the agency's settings as the settings page stores them::

    "business_hours": {"mon": ["09:00", "18:00"], ..., "sun": null},
    "timezone": "America/Sao_Paulo",
    "closed_days": ["2026-12-24", "2026-12-31"]

An agency that configured no hours at all is always open (nothing to wait for).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = date.weekday()
DEFAULT_TIMEZONE = "America/Sao_Paulo"
# Fixed-date national holidays (Lei 662/1949, 6.802/1980, 14.759/2023 for 20 November).
_FIXED_HOLIDAYS = ((1, 1), (4, 21), (5, 1), (9, 7), (10, 12), (11, 2), (11, 15), (11, 20), (12, 25))
# Moveable days from Easter Sunday: Carnival Monday and Tuesday, Good Friday, Corpus Christi.
_EASTER_OFFSETS = (-48, -47, -2, 60)
_SEARCH_DAYS = 400  # more than a year of closed days means the agency never opens


@dataclass(frozen=True, slots=True)
class BusinessHours:
    """Opening spans per weekday (0 = Monday), a time zone and the agency's own closed days."""

    week: tuple[tuple[time, time] | None, ...]
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULT_TIMEZONE))
    closed_days: frozenset[date] = frozenset()

    @property
    def always_open(self) -> bool:
        return all(span is None for span in self.week)


def from_settings(settings: Mapping[str, Any]) -> BusinessHours:
    """The agency's hours from ``tenants.settings``; malformed entries count as closed."""
    stored = settings.get("business_hours")
    stored = stored if isinstance(stored, Mapping) else {}
    week = tuple(_span(stored.get(day)) for day in DAYS)
    return BusinessHours(
        week=week,
        zone=_zone(settings.get("timezone")),
        closed_days=frozenset(_dates(settings.get("closed_days") or ())),
    )


def easter(year: int) -> date:
    """Easter Sunday of the Gregorian calendar (the anonymous algorithm, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 19 * leap) // 433
    month = (h + leap - 7 * m + 90) // 25
    return date(year, month, (h + leap - 7 * m + 33 * month + 19) % 32)


@lru_cache(maxsize=64)
def national_holidays(year: int) -> frozenset[date]:
    """Brazil's national holidays of ``year``, Carnival Monday and Tuesday included."""
    fixed = {date(year, month, day) for month, day in _FIXED_HOLIDAYS}
    sunday = easter(year)
    return frozenset(fixed | {sunday + timedelta(days=n) for n in _EASTER_OFFSETS})


def is_holiday(hours: BusinessHours, day: date) -> bool:
    return day in hours.closed_days or day in national_holidays(day.year)


def is_open(hours: BusinessHours, now: datetime) -> bool:
    """Whether ``now`` (timezone-aware) falls inside an opening span on a working day."""
    if hours.always_open:
        return True
    local = now.astimezone(hours.zone)
    span = _day_span(hours, local.date())
    return span is not None and span[0] <= local.time().replace(tzinfo=None) < span[1]


def next_opening(hours: BusinessHours, now: datetime) -> datetime:
    """``now`` itself when open, else the start of the next opening span (in the agency's zone)."""
    if is_open(hours, now):
        return now
    local = now.astimezone(hours.zone)
    for offset in range(_SEARCH_DAYS):
        day = local.date() + timedelta(days=offset)
        span = _day_span(hours, day)
        if span is None:
            continue
        opening = datetime.combine(day, span[0], tzinfo=hours.zone)
        if opening > local:
            return opening
    raise ValueError("the agency never opens within a year")


def add_open_time(hours: BusinessHours, start: datetime, duration: timedelta) -> datetime:
    """The moment ``duration`` of opening time has passed since ``start`` (closed time skipped):
    15 minutes after a handoff at 17:55 on a 9-18 day is 9:10 the next working day."""
    if hours.always_open:
        return start + duration
    moment, remaining = next_opening(hours, start).astimezone(hours.zone), duration
    for _ in range(_SEARCH_DAYS):
        span = _day_span(hours, moment.date())
        assert span is not None  # next_opening only lands inside a span
        closing = datetime.combine(moment.date(), span[1], tzinfo=hours.zone)
        if remaining <= closing - moment:
            return moment + remaining
        remaining -= closing - moment
        moment = next_opening(hours, closing)
    raise ValueError("the agency never opens within a year")


_WEEKDAYS = (
    "segunda-feira",
    "terça-feira",
    "quarta-feira",
    "quinta-feira",
    "sexta-feira",
    "sábado",
    "domingo",
)


def describe_opening(hours: BusinessHours, opening: datetime, now: datetime) -> str:
    """The opening as a lead reads it: "hoje às 9h", "amanhã às 8h30", "na segunda-feira
    (30/11) às 9h"."""
    local, today = opening.astimezone(hours.zone), now.astimezone(hours.zone).date()
    clock = f"{local.hour}h" + (f"{local.minute:02d}" if local.minute else "")
    days = (local.date() - today).days
    if days <= 0:
        return f"hoje às {clock}"
    if days == 1:
        return f"amanhã às {clock}"
    article = "no" if local.weekday() >= 5 else "na"
    return f"{article} {_WEEKDAYS[local.weekday()]} ({local:%d/%m}) às {clock}"


def day_span(hours: BusinessHours, day: date) -> tuple[time, time] | None:
    """The opening span of ``day``, None when the agency is closed all day."""
    return None if is_holiday(hours, day) else hours.week[day.weekday()]


_day_span = day_span


def _span(value: Any) -> tuple[time, time] | None:
    if not isinstance(value, list | tuple) or len(value) != 2:
        return None
    try:
        opens, closes = time.fromisoformat(str(value[0])), time.fromisoformat(str(value[1]))
    except ValueError:
        return None
    return (opens, closes) if opens < closes else None


def _zone(value: Any) -> ZoneInfo:
    try:
        return ZoneInfo(str(value)) if value else ZoneInfo(DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def _dates(values: Iterable[Any]) -> Iterable[date]:
    for value in values:
        try:
            yield date.fromisoformat(str(value))
        except ValueError:
            continue
