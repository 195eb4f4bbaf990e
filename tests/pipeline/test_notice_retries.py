"""Notices to agency staff are retried like the sends to leads: a provider error worth
another attempt is tried again by the same job after a backoff and delivered once; one that
is not (a refused request) is recorded and not retried."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update

from tests.pipeline.harness import Stack, meta_text
from vellarys.db.models import Channel, Handoff, Lead, User
from vellarys.db.queue import NOTIFY_BROKER, defer_notify_broker, task_name
from vellarys.db.uow import unit_of_work

BROKER_PHONE = "+5511974415522"
# An approved template: the broker's 24-hour window does not matter.
NOTICE = {
    "name": "aviso_corretor",
    "language": "pt_BR",
    "purpose": "broker_notice",
    "variables": ["lead_name", "summary"],
}


async def _handoffs(stack: Stack, count: int) -> list[uuid.UUID]:
    await stack.post(meta_text("Quero comprar um apartamento em Pinheiros", phone="5511966660000"))
    await stack.drain()
    async with unit_of_work(stack.container.sessions) as session:
        await session.execute(
            update(Channel).where(Channel.id == stack.channel.id).values(templates=[NOTICE])
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
        handoffs = [
            Handoff(tenant_id=stack.tenant_id, lead_id=lead.id, user_id=broker.id, reason="hot")
            for _ in range(count)
        ]
        session.add_all(handoffs)
        await session.flush()
        return [h.id for h in handoffs]


async def _notify_through_the_queue(stack: Stack, handoff_id: uuid.UUID) -> int:
    """Queue the notice as a handoff does and run the worker; the requests it made."""
    before = len(stack.graph.sent)
    async with unit_of_work(stack.container.sessions) as session:
        await defer_notify_broker(session, handoff_id=handoff_id)
    await stack.drain()
    to_broker = [r for r in stack.graph.sent[before:] if r.body["to"] == BROKER_PHONE[1:]]
    assert all(r.body["template"]["name"] == NOTICE["name"] for r in to_broker)
    return len(to_broker)


async def _handoff(stack: Stack, handoff_id: uuid.UUID) -> Handoff:
    async with unit_of_work(stack.container.sessions) as session:
        found = await session.get(Handoff, handoff_id)
        assert found is not None
        return found


async def _job(stack: Stack, handoff_id: uuid.UUID) -> str:
    """The notice's one job: its status and how many times it ran."""
    return str(
        await stack.scalar(
            "SELECT string_agg(status || '/' || attempts, ',') FROM procrastinate_jobs "
            "WHERE task_name = :t AND args->>'handoff_id' = :id",
            t=task_name(NOTIFY_BROKER),
            id=str(handoff_id),
        )
    )


async def test_a_broker_notice_that_fails_once_is_retried_by_its_job_and_delivered_once(
    stack: Stack,
) -> None:
    retried, refused = await _handoffs(stack, 2)

    stack.graph.script([500])  # the provider fails the first attempt, then accepts
    assert await _notify_through_the_queue(stack, retried) == 2
    notice = await _handoff(stack, retried)
    assert notice.notified_at is not None and notice.notify_error is None
    assert await _job(stack, retried) == "succeeded/2"  # one job, run twice

    stack.graph.script([400])  # refused: another attempt would be refused too
    assert await _notify_through_the_queue(stack, refused) == 1
    notice = await _handoff(stack, refused)
    assert notice.notified_at is None and notice.notify_error
    assert await _job(stack, refused) == "succeeded/1"
