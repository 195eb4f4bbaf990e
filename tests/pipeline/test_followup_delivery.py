"""Follow-ups end to end: the periodic job on the real queue, Meta's 24-hour window against the
fake Graph API, and two workers racing one step."""

from __future__ import annotations

import asyncio
import contextlib
from decimal import Decimal
from typing import Any

from procrastinate.exceptions import AlreadyEnqueued
from sqlalchemy import select, update

from tests.pipeline.harness import Stack, meta_text
from vellarys.db.models import Channel, Lead, Message, PlannedMessage, Property, Tenant
from vellarys.db.uow import unit_of_work
from vellarys.services import followups, outbound
from vellarys.worker import runtime
from vellarys.worker.queue import make_queue

TEMPLATE = {
    "name": "vellarys_follow_up",
    "language": "pt_BR",
    "purpose": "follow_up",
    "variables": ["lead_name", "interest"],
}


async def _converse(stack: Stack, phone: str, *, hours_ago: int) -> None:
    """The lead writes, the assistant answers, then the clock of that talk is moved back.

    The agency has a listing: one with none hands every lead to a broker, and a lead
    handed over gets no follow-ups."""
    async with unit_of_work(stack.container.sessions) as session:
        if not (await session.execute(select(Property.id).limit(1))).first():
            session.add(
                Property(
                    tenant_id=stack.tenant_id,
                    code="AP-9",
                    title="Apartamento em Moema",
                    property_type="apartment",
                    transaction="rent",
                    price=Decimal(3500),
                    neighborhood="Moema",
                    city="São Paulo",
                )
            )
    await stack.post(meta_text("Quero alugar um apartamento em Pinheiros", phone=phone))
    await stack.drain()
    async with unit_of_work(stack.container.sessions) as session:
        lead = (await session.execute(select(Lead).where(Lead.phone == f"+{phone}"))).scalar_one()
        shift = f"{hours_ago} hours"
        await session.execute(
            update(Message)
            .where(Message.lead_id == lead.id)
            .values(created_at=Message.created_at - _interval(shift))
        )
        lead.last_inbound_at = lead.last_inbound_at - _interval(shift)  # type: ignore[operator]
        lead.last_message_at = lead.last_inbound_at


def _interval(text: str) -> Any:
    from sqlalchemy import literal_column

    return literal_column(f"interval '{text}'")


async def _set_templates(stack: Stack, templates: list[dict[str, Any]]) -> None:
    async with unit_of_work(stack.container.sessions) as session:
        await session.execute(
            update(Channel).where(Channel.id == stack.channel.id).values(templates=templates)
        )


async def _run_periodic_follow_ups(stack: Stack) -> None:
    runtime.install(stack.container)
    app = make_queue(stack.container.database_url)
    async with app.open_async():
        with contextlib.suppress(AlreadyEnqueued):  # the periodic deferrer may have queued it
            await app.configure_task("vellarys:send_follow_ups").defer_async(timestamp=0)
        await app.run_worker_async(
            wait=False, install_signal_handlers=False, queues=["maintenance"]
        )


async def test_outside_the_window_the_follow_up_goes_as_a_template_and_never_as_text(
    stack: Stack,
) -> None:
    await _set_templates(stack, [TEMPLATE])
    await _converse(stack, "5511988880001", hours_ago=25)
    before = len(stack.graph.sent)

    await _run_periodic_follow_ups(stack)
    await stack.drain()

    requests = [r.body for r in stack.graph.sent[before:]]
    assert [r["type"] for r in requests] == ["template"]
    template = requests[0]["template"]
    assert template["name"] == "vellarys_follow_up"
    assert template["language"] == {"code": "pt_BR"}
    params = [p["text"] for p in template["components"][0]["parameters"]]
    assert params[0] == "Ana"
    nudge = (await stack.messages(direction="outbound", status="sent"))[-1]
    assert nudge.media["nudge"] == "follow_up"


async def test_free_text_is_never_attempted_outside_the_window(stack: Stack) -> None:
    await _converse(stack, "5511988880002", hours_ago=30)  # no template configured
    before = len(stack.graph.sent)

    await _run_periodic_follow_ups(stack)
    async with unit_of_work(stack.container.sessions) as session:
        lead = (
            await session.execute(select(Lead).where(Lead.phone == "+5511988880002"))
        ).scalar_one()
        [planned] = (await session.execute(select(PlannedMessage))).scalars().all()
        assert planned.status == "skipped" and "modelo" in (planned.reason or "")
        # A broker's free text, queued a day after the lead's last message
        [queued] = await outbound.queue_outbound(
            session, lead=lead, texts=["Oi Ana, tudo bem?"], role="broker"
        )
    await stack.drain()

    assert stack.graph.sent[before:] == []
    [failed] = await stack.messages(id=queued.id)
    assert failed.status == "failed" and "24 h" in (failed.error or "")


async def test_two_workers_racing_one_step_send_one_message(stack: Stack) -> None:
    await _set_templates(stack, [TEMPLATE])
    await _converse(stack, "5511988880003", hours_ago=26)
    sessions = stack.container.sessions
    now = stack.container.clock.now()
    async with unit_of_work(sessions) as second:
        tenant = await second.get(Tenant, stack.tenant_id)
        assert tenant is not None
        [theirs] = await followups.plan(second, tenant=tenant, now=now, until=now)
        async with unit_of_work(sessions) as first:
            same_tenant = await first.get(Tenant, stack.tenant_id)
            assert same_tenant is not None
            [mine] = await followups.plan(first, tenant=same_tenant, now=now, until=now)
            assert (theirs.lead.id, theirs.step) == (mine.lead.id, mine.step)
            assert await followups.send_one(first, mine, user_id=None) is not None
            # The second worker's claim waits on the first one's key...
            racing = asyncio.create_task(followups.send_one(second, theirs, user_id=None))
            await asyncio.sleep(0)
        # ...and finds it taken once the first one has committed.
        assert await racing is None
    await stack.drain()

    async with unit_of_work(sessions) as session:
        rows = (await session.execute(select(PlannedMessage))).scalars().all()
        nudges = (
            (
                await session.execute(
                    select(Message).where(Message.media["nudge"].astext.is_not(None))
                )
            )
            .scalars()
            .all()
        )
    assert len(rows) == 1 and len(nudges) == 1
    assert [r.body["type"] for r in stack.graph.sent].count("template") == 1
