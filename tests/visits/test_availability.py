"""Free visit slots keep to the broker's week, the agency's holidays, vacations and
appointments, visits already held (with the travel buffer) and the least notice; what a lead
says about a day, a period or a choice is read by rules."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.v1.factories import make_lead, make_tenant, make_user
from vellarys.db.models import Visit
from vellarys.domain import visit_talk
from vellarys.domain.visit_slots import parse_spans
from vellarys.errors import BadRequest
from vellarys.services import availability
from vellarys.services.visits import pick_offer

SP = ZoneInfo("America/Sao_Paulo")
MONDAY = datetime(2026, 11, 30, 8, 0, tzinfo=SP)


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SP)


async def test_slots_keep_to_the_week_the_vacation_the_held_visits_and_the_notice(
    session: AsyncSession,
) -> None:
    tenant = await make_tenant(session)
    tenant.settings = {"timezone": "America/Sao_Paulo"}
    broker = await make_user(session, tenant.id)
    lead = await make_lead(session, tenant.id)
    await availability.set_week(
        session, tenant_id=tenant.id, user_id=broker.id, days={"mon": "14:00-18:00"}
    )
    await availability.add_block(
        session, tenant_id=tenant.id, user_id=broker.id, kind="vacation",
        starts_at=at(5, 0, month=12), ends_at=at(13, 0, month=12),
    )  # fmt: skip
    session.add(Visit(tenant_id=tenant.id, lead_id=lead.id, user_id=broker.id,
                      property_code="AP1", status="scheduled",
                      starts_at=at(30, 15), ends_at=at(30, 15, 45)))  # fmt: skip
    await session.flush()

    free = await availability.free_slots(
        session, tenant_id=tenant.id, user_id=broker.id, now=MONDAY
    )
    local = [slot.astimezone(SP) for slot in free]
    # Mondays only, 14-18; 15:00 held (16:00 still fits: 15:45 plus the 15 min buffer);
    # 7 December is in the vacation; three weeks ahead at most.
    assert local == [
        at(30, 14), at(30, 16), at(30, 17), at(14, 14, month=12), at(14, 15, month=12),
        at(14, 16, month=12), at(14, 17, month=12),
    ]  # fmt: skip
    later = await availability.free_slots(
        session, tenant_id=tenant.id, user_id=broker.id, now=at(30, 15, 30)
    )
    assert later[0].astimezone(SP) == at(14, 14, month=12)  # 2 h notice: not 30/11 any more

    tenant.settings = {**tenant.settings, "visit_minutes": 90, "visit_buffer_minutes": 15}
    longer = await availability.free_slots(
        session, tenant_id=tenant.id, user_id=broker.id, now=at(13, 0, month=12)
    )
    assert [s.astimezone(SP) for s in longer[:3]] == [
        at(14, 14, month=12),
        at(14, 15, 45, month=12),
        at(21, 14, month=12),
    ]


async def test_a_broker_without_a_week_works_the_agencys_hours_and_never_on_holidays(
    session: AsyncSession,
) -> None:
    tenant = await make_tenant(session)
    tenant.settings = {"business_hours": {"fri": ["09:00", "11:00"]}, "closed_days": ["2026-12-11"]}
    broker = await make_user(session, tenant.id)
    free = await availability.free_slots(
        session, tenant_id=tenant.id, user_id=broker.id, now=MONDAY
    )
    days = sorted({s.astimezone(SP).date().isoformat() for s in free})
    # Fridays 4 and 18 December; the 11th is the agency's closed day, the 25th is Christmas.
    assert days == ["2026-12-04", "2026-12-18"]
    assert len(free) == 4


async def test_bad_hours_and_blocks_are_refused_with_a_message(session: AsyncSession) -> None:
    tenant = await make_tenant(session)
    broker = await make_user(session, tenant.id)
    with pytest.raises(BadRequest, match="Sábado"):
        await availability.set_week(
            session, tenant_id=tenant.id, user_id=broker.id, days={"sat": "13:00-09:00"}
        )
    with pytest.raises(BadRequest, match="depois do início"):
        await availability.add_block(
            session, tenant_id=tenant.id, user_id=broker.id, kind="appointment",
            starts_at=at(30, 10), ends_at=at(30, 9),
        )  # fmt: skip
    with pytest.raises(ValueError, match="sobrepor"):
        parse_spans("09:00-12:00, 11:00-13:00")


def test_what_the_lead_says_about_days_periods_and_choices() -> None:
    now = at(28, 21)  # a Saturday night
    assert visit_talk.preference(
        "posso visitar sábado de manhã?", now=now
    ) == visit_talk.Preference(weekday=5, period=(time(6), time(12)))
    assert visit_talk.preference("amanhã às 10h30", now=now) == visit_talk.Preference(
        day=now.date() + timedelta(days=1), at=time(10, 30)
    )
    assert visit_talk.preference("boa tarde! quero visitar o AP1501", now=now) is None
    offered = [at(30, 9), at(30, 10), at(1, 14, month=12)]
    assert visit_talk.choice("pode ser o primeiro", offered, now=now) == 0
    assert visit_talk.choice("segunda às 10", offered, now=now) == 1
    assert visit_talk.choice("à tarde", offered, now=now) == 2
    assert visit_talk.choice("o primeiro", offered, now=now, just_offered=False) is None
    assert [visit_talk.act(t) for t in ("não vou conseguir", "quero remarcar", "cancela")] == [
        "cant_make_it", "reschedule", "cancel"
    ]  # fmt: skip
    slots, missed = pick_offer(offered, visit_talk.preference("sábado à noite", now=now))
    assert missed and slots == [at(30, 9), at(1, 14, month=12)]  # one a half-day
    slots, missed = pick_offer(offered, visit_talk.preference("segunda às 11", now=now))
    assert missed and slots == [at(30, 9), at(30, 10)]
