"""Manager alerts per trigger, on a controllable clock, against the real database."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.v1.factories import make_handoff, make_lead, make_message, make_tenant, make_user
from tests.services.test_followups import HOURS, at
from vellarys.db.models import Lead, Notification, Tenant, User
from vellarys.services import alerts


async def agency(session: AsyncSession) -> tuple[Tenant, User, User]:
    tenant = await make_tenant(session)
    tenant.settings = {"business_hours": HOURS, "handoff_alert_minutes": 15}
    manager = await make_user(session, tenant.id, role="admin", name="Renata")
    manager.phone = "+5511900000001"
    other = await make_user(session, tenant.id, role="admin", name="Paulo")
    other.whatsapp_alerts = ["hot_lead"]
    other.phone = "+5511900000002"
    await make_user(session, tenant.id, role="broker")  # brokers get no manager alerts
    await session.flush()
    return tenant, manager, other


async def lead_at(session: AsyncSession, tenant: Tenant, when: datetime, **values: object) -> Lead:
    return await make_lead(
        session, tenant.id, name="Ana Souza", created_at=when, updated_at=when, **values
    )


async def kinds(session: AsyncSession, user: User) -> list[str]:
    found = await session.execute(
        select(Notification.kind).where(Notification.user_id == user.id).order_by(Notification.kind)
    )
    return list(found.scalars())


async def manager_jobs(session: AsyncSession) -> int:
    found = await session.execute(
        text("SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'vellarys:notify_manager'")
    )
    return int(found.scalar_one())


async def test_a_new_lead_in_hours_alerts_every_admin_once(session: AsyncSession) -> None:
    tenant, manager, other = await agency(session)
    jobs = await manager_jobs(session)
    await lead_at(session, tenant, at(2026, 12, 1, 10))
    assert await alerts.raise_alerts(session, tenant=tenant, now=at(2026, 12, 1, 10, 1)) == 2
    assert await kinds(session, manager) == ["new_lead"]
    assert await kinds(session, other) == ["new_lead"]
    assert await alerts.raise_alerts(session, tenant=tenant, now=at(2026, 12, 1, 10, 2)) == 0
    # WhatsApp: the manager takes every kind, the other admin only hot leads
    assert await manager_jobs(session) == jobs + 1


async def test_a_lead_at_night_is_also_an_after_hours_alert(session: AsyncSession) -> None:
    tenant, manager, _ = await agency(session)
    await lead_at(session, tenant, at(2026, 12, 1, 22))
    await alerts.raise_alerts(session, tenant=tenant, now=at(2026, 12, 1, 22, 1))
    assert await kinds(session, manager) == ["after_hours_lead", "new_lead"]


async def test_a_lead_turning_hot_alerts_once(session: AsyncSession) -> None:
    tenant, manager, other = await agency(session)
    lead = await lead_at(session, tenant, at(2026, 12, 1, 10), custom_data={"intent": "buy"})
    await alerts.raise_alerts(session, tenant=tenant, now=at(2026, 12, 1, 10, 1))
    jobs = await manager_jobs(session)
    lead.temperature, lead.updated_at = "hot", at(2026, 12, 1, 11)
    await session.flush()
    await alerts.raise_alerts(session, tenant=tenant, now=at(2026, 12, 1, 11, 1))
    await alerts.raise_alerts(session, tenant=tenant, now=at(2026, 12, 1, 11, 2))
    assert await kinds(session, manager) == ["hot_lead", "new_lead"]
    assert await kinds(session, other) == ["hot_lead", "new_lead"]
    assert await manager_jobs(session) == jobs + 2  # both chose hot leads on WhatsApp
    [note] = [
        n
        for n in await alerts.list_notifications(session, tenant_id=tenant.id, user_id=manager.id)
        if n.kind == "hot_lead"
    ]
    assert note.text.startswith("🔥 Lead quente: *Ana Souza*")


async def test_a_handoff_nobody_took_alerts_after_15_business_minutes(
    session: AsyncSession,
) -> None:
    tenant, manager, _ = await agency(session)
    lead = await lead_at(session, tenant, at(2026, 12, 1, 9))
    handoff = await make_handoff(session, lead)
    handoff.created_at = at(2026, 12, 1, 10)
    await session.flush()
    await alerts.raise_alerts(session, tenant=tenant, now=at(2026, 12, 1, 10, 14))
    assert "handoff_untaken" not in await kinds(session, manager)
    await alerts.raise_alerts(session, tenant=tenant, now=at(2026, 12, 1, 10, 16))
    assert "handoff_untaken" in await kinds(session, manager)


async def test_a_night_handoff_counts_from_the_opening_and_a_broker_reply_cancels_it(
    session: AsyncSession,
) -> None:
    tenant, manager, _ = await agency(session)
    taken = await lead_at(session, tenant, at(2026, 12, 1, 21))
    untaken = await lead_at(session, tenant, at(2026, 12, 1, 21))
    for lead in (taken, untaken):
        handoff = await make_handoff(session, lead)
        handoff.created_at = at(2026, 12, 1, 22)
    await make_message(
        session, taken, "Oi, sou o Marcos", role="broker", created_at=at(2026, 12, 2, 8)
    )
    await session.flush()
    await alerts.raise_alerts(session, tenant=tenant, now=at(2026, 12, 2, 9, 10))
    untaken_alerts = select(func.count()).where(
        Notification.kind == "handoff_untaken", Notification.user_id == manager.id
    )
    assert await session.scalar(untaken_alerts) == 0
    await alerts.raise_alerts(session, tenant=tenant, now=at(2026, 12, 2, 9, 16))
    found = await session.execute(
        select(Notification.lead_id).where(
            Notification.kind == "handoff_untaken", Notification.user_id == manager.id
        )
    )
    assert list(found.scalars()) == [untaken.id]


async def test_bell_count_read_and_preferences(session: AsyncSession) -> None:
    tenant, manager, _ = await agency(session)
    await lead_at(session, tenant, at(2026, 12, 1, 22))
    await alerts.raise_alerts(session, tenant=tenant, now=at(2026, 12, 1, 22, 1))
    ids = {"tenant_id": tenant.id, "user_id": manager.id}
    assert await alerts.unread_count(session, **ids) == 2
    await alerts.mark_all_read(session, **ids, now=at(2026, 12, 1, 23))
    assert await alerts.unread_count(session, **ids) == 0
    chosen = await alerts.set_whatsapp_alerts(session, **ids, kinds=["hot_lead", "bogus"])
    assert chosen == ["hot_lead"]
    assert await alerts.whatsapp_alerts(session, **ids) == ["hot_lead"]
    assert await alerts.unread_count(session, tenant_id=uuid.uuid4(), user_id=manager.id) == 0
    assert timedelta(0) == timedelta(0)


async def test_erasing_a_lead_removes_its_alerts(session: AsyncSession) -> None:
    from vellarys.services.lgpd import erase_lead

    tenant, manager, _ = await agency(session)
    lead = await lead_at(session, tenant, at(2026, 12, 1, 22))
    await alerts.raise_alerts(session, tenant=tenant, now=at(2026, 12, 1, 22, 1))
    assert await kinds(session, manager) == ["after_hours_lead", "new_lead"]
    await erase_lead(session, tenant_id=tenant.id, lead_id=lead.id)
    assert await kinds(session, manager) == []


async def test_untaken_minutes_count_business_time_only(session: AsyncSession) -> None:
    tenant, manager, _ = await agency(session)
    lead = await lead_at(session, tenant, at(2026, 12, 1, 17))
    handoff = await make_handoff(session, lead)
    handoff.created_at = at(2026, 12, 1, 17, 55)
    await session.flush()
    await alerts.raise_alerts(session, tenant=tenant, now=at(2026, 12, 2, 9, 9))
    assert "handoff_untaken" not in await kinds(session, manager)
    await alerts.raise_alerts(session, tenant=tenant, now=at(2026, 12, 2, 9, 11))
    assert "handoff_untaken" in await kinds(session, manager)
