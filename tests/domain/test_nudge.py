from datetime import UTC, datetime, timedelta

import pytest

from vellarys.domain import nudge
from vellarys.domain.cards import PropertyHit
from vellarys.domain.template import fill, make_template, pick, stored_templates

T0 = datetime(2026, 12, 1, 10, tzinfo=UTC)
HIT = PropertyHit(
    code="AP-1",
    title="Apê no metrô",
    property_type="apartment",
    transaction="rent",
    price=4300,
    condo_fee=None,
    iptu=None,
    bedrooms=2,
    suites=0,
    parking=1,
    area_m2=None,
    neighborhood="Pinheiros",
    city="São Paulo",
)


def test_policy_defaults_are_on_with_three_daily_steps() -> None:
    p = nudge.policy({})
    assert p.follow_up_enabled and p.reactivation_enabled and not p.notify_hot_any_hour
    assert p.delays == (24, 48, 72) and p.reactivation_days == 45 and p.handoff_alert_minutes == 15


def test_policy_reads_and_bounds_the_settings() -> None:
    p = nudge.policy(
        {
            "follow_up_count": 2,
            "follow_up_delays_hours": [36, 12, 99],
            "follow_up_enabled": False,
            "reactivation_days": "9999",
        }
    )
    assert not p.follow_up_enabled and p.delays == (12, 36) and p.reactivation_days == 45
    assert not nudge.policy({"follow_up_count": 0}).follow_up_enabled


def test_a_late_step_pushes_the_next_by_the_same_gap() -> None:
    p = nudge.policy({})
    assert nudge.follow_up_due(p, base=T0, step=1, previous_at=None) == T0 + timedelta(hours=24)
    late = T0 + timedelta(hours=40)
    assert nudge.follow_up_due(p, base=T0, step=2, previous_at=late) == late + timedelta(hours=24)
    assert nudge.follow_up_due(p, base=T0, step=4, previous_at=late) is None


def test_reactivation_twice_fifteen_days_apart() -> None:
    p = nudge.policy({})
    first = nudge.reactivation_due(p, last_talk=T0, step=1, previous_at=None)
    assert first == T0 + timedelta(days=45)
    assert nudge.reactivation_due(p, last_talk=T0, step=2, previous_at=first) == first + timedelta(
        days=15
    )
    assert nudge.reactivation_due(p, last_talk=T0, step=3, previous_at=first) is None


def test_only_the_cloud_api_has_a_24_hour_window() -> None:
    assert nudge.window_open("meta", T0, T0 + timedelta(hours=23, minutes=59))
    assert not nudge.window_open("meta", T0, T0 + timedelta(hours=24))
    assert not nudge.window_open("meta", None, T0)
    assert nudge.window_open("zapi", None, T0) and nudge.window_open(
        "evolution", T0, T0 + timedelta(days=9)
    )


@pytest.mark.parametrize("step", [1, 2, 3])
def test_each_nudge_asks_one_question_and_names_the_search(step: int) -> None:
    profile = {"intent": "rent", "property_type": "apartment", "neighborhoods": ["Pinheiros"]}
    for listing in (None, nudge.Listing(HIT)):
        text = nudge.follow_up_text(step=step, name="ana souza", profile=profile, listing=listing)
        assert text.startswith("Oi, Ana!") and text.count("?") == 1
        assert "*apartamento para alugar em Pinheiros*" in text
        assert ("AP-1" in text) == (listing is not None)


def test_templates_are_checked_picked_and_filled_in_order() -> None:
    t = make_template(
        name="retomada", language="pt_BR", purpose="follow_up", variables=["interest", "lead_name"]
    )
    assert fill(t, {"lead_name": "Ana", "interest": "apê\nem Pinheiros"}) == [
        "apê em Pinheiros",
        "Ana",
    ]
    assert fill(
        make_template(name="x", language="pt_BR", purpose="follow_up", variables=["listing"]), {}
    ) == ["-"]
    stored = stored_templates([t.as_dict(), {"name": "Bad Name"}, "junk"])
    assert stored == [t] and pick(stored, "follow_up") == t and pick(stored, "reactivation") is None
    for bad in (
        {"name": "A B"},
        {"language": "portuguese"},
        {"purpose": "spam"},
        {"variables": ["cpf"]},
    ):
        args = {"name": "ok", "language": "pt_BR", "purpose": "follow_up", "variables": [], **bad}
        with pytest.raises(ValueError):
            make_template(**args)  # type: ignore[arg-type]
