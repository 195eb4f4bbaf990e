"""Broker notices: they wait for business hours (hot leads may go at any hour), and outside the
broker's 24-hour window they go as an approved template, never as free text."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.v1.factories import make_lead, make_tenant
from tests.pipeline.harness import Stack, meta_text
from vellarys.db.models import Channel, Handoff, Lead, Tenant, User
from vellarys.db.uow import unit_of_work
from vellarys.services.handoff import notify_at
from vellarys.worker import runtime, tasks

SP = ZoneInfo("America/Sao_Paulo")
BROKER_PHONE = "+5511974415522"
NOTICE = {
    "name": "aviso_corretor",
    "language": "pt_BR",
    "purpose": "broker_notice",
    "variables": ["lead_name", "summary"],
}


async def _handoff(stack: Stack, templates: list[dict[str, Any]]) -> uuid.UUID:
    await stack.post(meta_text("Quero comprar um apartamento em Pinheiros", phone="5511966660000"))
    await stack.drain()
    async with unit_of_work(stack.container.sessions) as session:
        await session.execute(
            update(Channel).where(Channel.id == stack.channel.id).values(templates=templates)
        )
        broker = User(
            tenant_id=stack.tenant_id,
            email=f"{uuid.uuid4().hex[:8]}@x.com",
            name="Marcos",
            role="broker",
            password_hash="x",
            phone=BROKER_PHONE,
        )
        session.add(broker)
        lead = (
            await session.execute(select(Lead).where(Lead.phone == "+5511966660000"))
        ).scalar_one()
        await session.flush()
        handoff = Handoff(
            tenant_id=stack.tenant_id,
            lead_id=lead.id,
            user_id=broker.id,
            reason="hot",
            summary="Quer comprar em Pinheiros",
        )
        session.add(handoff)
        await session.flush()
        return handoff.id


async def _notify(stack: Stack, handoff_id: uuid.UUID) -> str:
    runtime.install(stack.container)
    return await tasks.notify_broker(str(handoff_id))


async def test_a_broker_outside_the_window_gets_the_approved_template(stack: Stack) -> None:
    handoff_id = await _handoff(stack, [NOTICE])
    before = len(stack.graph.sent)
    assert await _notify(stack, handoff_id) == "sent"
    [request] = [r.body for r in stack.graph.sent[before:]]
    assert request["to"] == BROKER_PHONE.removeprefix("+") and request["type"] == "template"
    params = [p["text"] for p in request["template"]["components"][0]["parameters"]]
    assert params == ["Ana Souza", "Quer comprar em Pinheiros"]


async def test_a_broker_who_wrote_today_gets_free_text(stack: Stack) -> None:
    handoff_id = await _handoff(stack, [NOTICE])
    async with unit_of_work(stack.container.sessions) as session:
        await make_lead(
            session, stack.tenant_id, phone=BROKER_PHONE, last_inbound_at=datetime.now(UTC)
        )
    before = len(stack.graph.sent)
    assert await _notify(stack, handoff_id) == "sent"
    assert [r.body["type"] for r in stack.graph.sent[before:]] == ["text"]


async def test_no_template_means_no_request_and_a_recorded_reason(stack: Stack) -> None:
    handoff_id = await _handoff(stack, [])
    before = len(stack.graph.sent)
    assert await _notify(stack, handoff_id) == "skipped"
    assert stack.graph.sent[before:] == []
    async with unit_of_work(stack.container.sessions) as session:
        handoff = await session.get(Handoff, handoff_id)
        assert handoff is not None and "janela" in (handoff.notify_error or "")


@pytest.mark.parametrize(
    ("now", "temperature", "any_hour", "expected"),
    [
        (datetime(2026, 12, 1, 10, 0, tzinfo=SP), "warm", False, None),  # open: now
        (
            datetime(2026, 12, 1, 22, 0, tzinfo=SP),
            "warm",
            True,
            datetime(2026, 12, 2, 9, 0, tzinfo=SP),
        ),
        (datetime(2026, 12, 1, 22, 0, tzinfo=SP), "hot", True, None),
        (
            datetime(2026, 12, 1, 22, 0, tzinfo=SP),
            "hot",
            False,
            datetime(2026, 12, 2, 9, 0, tzinfo=SP),
        ),
        (
            datetime(2026, 12, 24, 22, 0, tzinfo=SP),
            "warm",
            False,
            datetime(2026, 12, 26, 9, 0, tzinfo=SP),
        ),
    ],
)
async def test_broker_notices_wait_for_the_opening_unless_hot_at_any_hour(
    session: AsyncSession,
    now: datetime,
    temperature: str,
    any_hour: bool,
    expected: datetime | None,
) -> None:
    tenant: Tenant = await make_tenant(session)
    tenant.settings = {
        "business_hours": {
            d: ["09:00", "18:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat")
        },
        "notify_hot_any_hour": any_hour,
    }
    lead = await make_lead(session, tenant.id, temperature=temperature)
    reason = "hot" if temperature == "hot" else "requested"
    assert await notify_at(session, lead=lead, reason=reason, now=now) == expected
