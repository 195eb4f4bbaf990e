from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from vellarys.domain import business_hours as bh

SP = ZoneInfo("America/Sao_Paulo")
SETTINGS = {
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
    "closed_days": ["2026-12-24", "not a date"],
}
HOURS = bh.from_settings(SETTINGS)


def at(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SP)


@pytest.mark.parametrize(
    ("year", "sunday"),
    [
        (2000, date(2000, 4, 23)),
        (2019, date(2019, 4, 21)),
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2027, date(2027, 3, 28)),
    ],
)
def test_easter_dates(year: int, sunday: date) -> None:
    assert bh.easter(year) == sunday


def test_national_holidays_of_2026_include_the_moveable_ones() -> None:
    holidays = bh.national_holidays(2026)
    for day in [
        date(2026, 2, 16),
        date(2026, 2, 17),
        date(2026, 4, 3),
        date(2026, 6, 4),
        date(2026, 1, 1),
        date(2026, 4, 21),
        date(2026, 9, 7),
        date(2026, 11, 20),
        date(2026, 12, 25),
    ]:
        assert day in holidays
    assert date(2026, 2, 18) not in holidays  # Ash Wednesday is a working day
    assert len(holidays) == 13


def test_open_inside_the_span_in_the_agency_zone() -> None:
    assert bh.is_open(HOURS, at(2026, 11, 30, 9, 0))  # Monday
    assert bh.is_open(HOURS, at(2026, 11, 30, 17, 59))
    assert not bh.is_open(HOURS, at(2026, 11, 30, 18, 0))
    assert not bh.is_open(HOURS, at(2026, 11, 30, 8, 59))
    # 11:30 UTC is 08:30 in São Paulo: still closed
    assert not bh.is_open(HOURS, datetime(2026, 11, 30, 11, 30, tzinfo=UTC))
    assert bh.is_open(HOURS, datetime(2026, 11, 30, 12, 0, tzinfo=UTC))


def test_closed_on_sunday_holidays_and_agency_closed_days() -> None:
    assert not bh.is_open(HOURS, at(2026, 11, 29, 10, 0))  # Sunday
    assert not bh.is_open(HOURS, at(2026, 2, 16, 10, 0))  # Carnival Monday
    assert not bh.is_open(HOURS, at(2026, 6, 4, 10, 0))  # Corpus Christi
    assert not bh.is_open(HOURS, at(2026, 12, 24, 10, 0))  # the agency's own closed day


def test_next_opening_is_now_when_open() -> None:
    now = at(2026, 11, 30, 10, 15)
    assert bh.next_opening(HOURS, now) == now


def test_next_opening_after_the_night_is_the_next_morning() -> None:
    assert bh.next_opening(HOURS, at(2026, 11, 30, 21, 0)) == at(2026, 12, 1, 9, 0)
    assert bh.next_opening(HOURS, at(2026, 12, 1, 3, 0)) == at(2026, 12, 1, 9, 0)


def test_next_opening_skips_sunday_and_saturday_afternoon() -> None:
    assert bh.next_opening(HOURS, at(2026, 11, 28, 14, 0)) == at(2026, 11, 30, 9, 0)


def test_next_opening_skips_carnival_and_christmas_eve() -> None:
    # Friday night before Carnival: Saturday morning is open
    assert bh.next_opening(HOURS, at(2026, 2, 13, 19, 0)) == at(2026, 2, 14, 9, 0)
    # Saturday afternoon: Sunday closed, Monday and Tuesday are Carnival
    assert bh.next_opening(HOURS, at(2026, 2, 14, 14, 0)) == at(2026, 2, 18, 9, 0)
    # 23 Dec evening: 24 closed by the agency, 25 Christmas, 26 Saturday
    assert bh.next_opening(HOURS, at(2026, 12, 23, 20, 0)) == at(2026, 12, 26, 9, 0)


def test_no_hours_configured_means_always_open() -> None:
    hours = bh.from_settings({})
    assert hours.always_open
    now = at(2026, 12, 25, 3, 0)
    assert bh.is_open(hours, now) and bh.next_opening(hours, now) == now


def test_malformed_spans_and_zone_fall_back_safely() -> None:
    hours = bh.from_settings(
        {
            "business_hours": {
                "mon": ["18:00", "09:00"],
                "tue": ["x", "y"],
                "wed": ["08:00", "12:00"],
            },
            "timezone": "Mars/Olympus",
        }
    )
    assert hours.zone == SP
    assert hours.week[0] is None and hours.week[1] is None
    assert bh.next_opening(hours, at(2026, 11, 30, 10, 0)) == at(2026, 12, 2, 8, 0)


def test_a_year_of_closed_days_raises() -> None:
    hours = bh.BusinessHours(week=(None,) * 6 + (None,))
    assert hours.always_open  # nothing configured: open
    only_closed = bh.from_settings(
        {
            "business_hours": {"mon": ["09:00", "10:00"]},
            "closed_days": [f"{d.isoformat()}" for d in _mondays(2026, 2028)],
        }
    )
    with pytest.raises(ValueError, match="never opens"):
        bh.next_opening(only_closed, at(2026, 1, 1, 0, 0))


def _mondays(first: int, last: int) -> list[date]:
    day, out = date(first, 1, 5), []
    while day.year <= last:
        out.append(day)
        day = date.fromordinal(day.toordinal() + 7)
    return out


def test_describe_opening_in_portuguese() -> None:
    monday_night = at(2026, 11, 30, 21, 0)
    opening = bh.next_opening(HOURS, monday_night)
    assert bh.describe_opening(HOURS, opening, monday_night) == "amanhã às 9h"
    early = at(2026, 12, 1, 7, 0)
    assert bh.describe_opening(HOURS, bh.next_opening(HOURS, early), early) == "hoje às 9h"
    carnival = at(2026, 2, 14, 14, 0)
    assert bh.describe_opening(HOURS, bh.next_opening(HOURS, carnival), carnival) == (
        "na quarta-feira (18/02) às 9h"
    )
    assert bh.describe_opening(HOURS, at(2026, 12, 5, 8, 30), monday_night) == (
        "no sábado (05/12) às 8h30"
    )


def test_add_open_time_skips_the_night_and_holidays() -> None:
    quarter = timedelta(minutes=15)
    assert bh.add_open_time(HOURS, at(2026, 12, 1, 10, 0), quarter) == at(2026, 12, 1, 10, 15)
    assert bh.add_open_time(HOURS, at(2026, 12, 1, 17, 55), quarter) == at(2026, 12, 2, 9, 10)
    assert bh.add_open_time(HOURS, at(2026, 12, 1, 22, 0), quarter) == at(2026, 12, 2, 9, 15)
    # Saturday 12:50: 10 minutes then, 5 on Wednesday after Carnival
    assert bh.add_open_time(HOURS, at(2026, 2, 14, 12, 50), quarter) == at(2026, 2, 18, 9, 5)
    assert bh.add_open_time(bh.from_settings({}), at(2026, 12, 25, 3, 0), quarter) == at(
        2026, 12, 25, 3, 15
    )
