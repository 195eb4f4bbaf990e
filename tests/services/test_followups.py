"""Follow-ups to silent leads, on a controllable clock, against the real database."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.v1.factories import make_channel, make_handoff, make_lead, make_message, make_tenant
from vellarys.db.models import Lead, Message, PlannedMessage, Tenant
from vellarys.services import followups

SP = ZoneInfo("America/Sao_Paulo")
HOURS = {
    "mon": ["09:00", "18:00"],
    "tue": ["09:00", "18:00"],
    "wed": ["09:00", "18:00"],
    "thu": ["09:00", "18:00"],
    "fri": ["09:00", "18:00"],
    "sat": ["09:00", "13:00"],
    "sun": None,
}
PROFILE = {"intent": "rent", "property_type": "apartment", "neighborhoods": ["Pinheiros"]}


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SP)


async def agency(session: AsyncSession, **settings: Any) -> Tenant:
    tenant = await make_tenant(session)
    tenant.settings = {"business_hours": HOURS, "timezone": "America/Sao_Paulo", **settings}
    await session.flush()
    return tenant


async def silent_lead(session: AsyncSession, tenant: Tenant, wrote_at: datetime) -> Lead:
    """A lead who wrote at ``wrote_at`` and got the assistant's answer a few seconds later."""
    channel = await make_channel(session, tenant.id)
    lead = await make_lead(
        session,
        tenant.id,
        name="Ana Souza",
        channel_id=channel.id,
        custom_data=PROFILE,
        last_inbound_at=wrote_at,
        last_message_at=wrote_at,
        stage="qualifying",
    )
    await make_message(session, lead, "Procuro apê em Pinheiros", created_at=wrote_at)
    await make_message(
        session,
        lead,
        "Tenho estas opções…",
        role="assistant",
        created_at=wrote_at + timedelta(seconds=5),
    )
    return lead


async def due(session: AsyncSession, tenant: Tenant, now: datetime) -> list[followups.Planned]:
    return await followups.plan(session, tenant=tenant, now=now, until=now)


async def nudges(session: AsyncSession, lead: Lead) -> list[Message]:
    found = await session.execute(
        select(Message)
        .where(Message.lead_id == lead.id, Message.media["nudge"].astext == "follow_up")
        .order_by(Message.created_at)
    )
    return list(found.scalars())


async def test_first_nudge_goes_24_hours_after_the_assistants_last_message(
    session: AsyncSession,
) -> None:
    tenant = await agency(session)
    lead = await silent_lead(session, tenant, at(2026, 11, 30, 10, 0))  # a Monday
    assert await due(session, tenant, at(2026, 12, 1, 10, 0)) == []  # 5 s early
    now = at(2026, 12, 1, 10, 0) + timedelta(seconds=5)
    [item] = await due(session, tenant, now)
    assert (item.kind, item.step, item.send_at) == ("follow_up", 1, now)
    assert (
        item.text.startswith("Oi, Ana!") and "*apartamento para alugar em Pinheiros*" in item.text
    )
    assert item.text.count("?") == 1

    sent = await followups.send_due(session, tenant=tenant, now=now)
    assert [row.step for row in sent] == [1]
    [message] = await nudges(session, lead)
    assert (message.status, message.role, message.content) == ("pending", "assistant", item.text)
    # Sent once: the same moment again plans nothing, the next step waits another day.
    assert await followups.send_due(session, tenant=tenant, now=now) == []
    assert await due(session, tenant, at(2026, 12, 2, 10, 0)) == []
    [second] = await due(session, tenant, at(2026, 12, 2, 10, 1))
    assert second.step == 2


async def test_three_steps_then_nothing(session: AsyncSession) -> None:
    tenant = await agency(session)
    await silent_lead(session, tenant, at(2026, 11, 30, 10, 0))
    steps = []
    for day in (1, 2, 3, 4, 5):
        for row in await followups.send_due(session, tenant=tenant, now=at(2026, 12, day, 11)):
            steps.append(row.step)
    assert steps == [1, 2, 3]


async def test_a_nudge_due_at_night_moves_to_the_next_opening(session: AsyncSession) -> None:
    tenant = await agency(session)
    await silent_lead(session, tenant, at(2026, 11, 30, 20, 0))
    assert await due(session, tenant, at(2026, 12, 1, 20, 30)) == []  # due, but closed
    assert await due(session, tenant, at(2026, 12, 2, 8, 59)) == []
    [item] = await due(session, tenant, at(2026, 12, 2, 9, 0))
    assert item.send_at == at(2026, 12, 2, 9, 0)


async def test_a_nudge_due_on_carnival_waits_for_ash_wednesday(session: AsyncSession) -> None:
    tenant = await agency(session)
    await silent_lead(session, tenant, at(2026, 2, 13, 15, 0))  # Friday before Carnival
    for closed in (at(2026, 2, 14, 15, 0), at(2026, 2, 16, 10, 0), at(2026, 2, 17, 10, 0)):
        assert await due(session, tenant, closed) == []
    [item] = await due(session, tenant, at(2026, 2, 18, 9, 0))
    assert item.send_at == at(2026, 2, 18, 9, 0)


async def test_a_reply_stops_the_sequence_and_starts_a_new_one(session: AsyncSession) -> None:
    tenant = await agency(session)
    lead = await silent_lead(session, tenant, at(2026, 11, 30, 10, 0))
    assert await followups.send_due(session, tenant=tenant, now=at(2026, 12, 1, 11))
    await make_message(session, lead, "Ainda procuro sim", created_at=at(2026, 12, 1, 12))
    lead.last_inbound_at = at(2026, 12, 1, 12)
    await session.flush()
    assert await due(session, tenant, at(2026, 12, 2, 11)) == []  # the lead spoke last
    await make_message(session, lead, "Ótimo!", role="assistant", created_at=at(2026, 12, 1, 12, 1))
    assert await due(session, tenant, at(2026, 12, 2, 11)) == []
    [item] = await due(session, tenant, at(2026, 12, 2, 12, 1))
    assert item.step == 1 and item.anchor == at(2026, 12, 1, 12)


@pytest.mark.parametrize("block", ["opt_out", "handoff", "broker_reply", "won", "lost", "disabled"])
async def test_no_nudge_after_opt_out_handoff_broker_reply_or_closed_stage(
    session: AsyncSession, block: str
) -> None:
    tenant = await agency(session, follow_up_enabled=block != "disabled")
    lead = await silent_lead(session, tenant, at(2026, 11, 30, 10, 0))
    if block == "opt_out":
        lead.opted_out = True
    elif block == "handoff":
        await make_handoff(session, lead)
    elif block == "broker_reply":
        await make_message(
            session, lead, "Oi Ana, sou o Marcos", role="broker", created_at=at(2026, 11, 30, 11)
        )
    elif block in ("won", "lost"):
        lead.stage = block
    await session.flush()
    assert await due(session, tenant, at(2026, 12, 1, 11)) == []
    assert await followups.send_due(session, tenant=tenant, now=at(2026, 12, 1, 11)) == []


async def test_a_new_matching_listing_is_offered(session: AsyncSession) -> None:
    from vellarys.db.models import Property

    tenant = await agency(session)
    await silent_lead(session, tenant, at(2026, 11, 30, 10, 0))
    listing = Property(
        tenant_id=tenant.id,
        code="AP-901",
        title="Apê reformado perto do metrô",
        property_type="apartment",
        transaction="rent",
        price=4200,
        bedrooms=2,
        neighborhood="Pinheiros",
        city="São Paulo",
        created_at=at(2026, 11, 30, 16),
    )
    session.add(listing)
    await session.flush()
    [item] = await due(session, tenant, at(2026, 12, 1, 11))
    assert "Apê reformado perto do metrô" in item.text and "AP-901" in item.text
    assert item.text.endswith("Quer ver fotos ou agendar uma visita?")


async def test_count_and_delays_come_from_the_settings(session: AsyncSession) -> None:
    tenant = await agency(session, follow_up_count=1, follow_up_delays_hours=[4])
    await silent_lead(session, tenant, at(2026, 11, 30, 10, 0))
    [item] = await due(session, tenant, at(2026, 11, 30, 14, 1))
    assert item.step == 1
    await followups.send_due(session, tenant=tenant, now=at(2026, 11, 30, 14, 1))
    assert await due(session, tenant, at(2026, 12, 3, 11)) == []
    count = await session.scalar(
        select(func.count())
        .select_from(PlannedMessage)
        .where(PlannedMessage.tenant_id == tenant.id)
    )
    assert count == 1
    assert isinstance(tenant.id, uuid.UUID)


async def test_figures_count_sent_answered_within_24_hours_and_opt_outs(
    session: AsyncSession,
) -> None:
    from vellarys.services import reengagement

    # The nudges are stamped by the database's clock, so the talk is a past Monday: a talk
    # dated after the real today would count as an answer to them.
    tenant = await agency(session)
    answered = await silent_lead(session, tenant, at(2025, 11, 3, 10, 0))
    quitter = await silent_lead(session, tenant, at(2025, 11, 3, 10, 0))
    await silent_lead(session, tenant, at(2025, 11, 3, 10, 0))
    rows = await followups.send_due(session, tenant=tenant, now=at(2025, 11, 4, 11))
    assert len(rows) == 3
    sent_at = rows[0].created_at  # the database's clock, like the replies below
    await make_message(
        session, answered, "oi, ainda quero", created_at=sent_at + timedelta(hours=3)
    )
    quitter.opted_out, quitter.opted_out_at = True, sent_at + timedelta(hours=1)
    await session.flush()
    figures = await reengagement.figures(session, tenant.id, now=sent_at + timedelta(days=1))
    assert (figures.sent, figures.answered, figures.opted_out) == (3, 1, 1)
