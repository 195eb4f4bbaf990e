"""Sends that heal: retries by strategy, the stuck-outbound sweep, uncertain sends settled by
the provider's status callbacks, and paced parts scheduled rather than slept."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from tests.pipeline.harness import Stack, meta_status, meta_text
from tests.pipeline.periodic import run_periodic
from vellarys.db.models import Lead, Message
from vellarys.db.queue import SEND_OUTBOUND, defer_send, task_name
from vellarys.db.uow import unit_of_work
from vellarys.services import outbound


async def _pending_reply(
    stack: Stack, *, age_seconds: float = 0, in_flight: bool = False
) -> uuid.UUID:
    """A pending outbound message to a fresh lead, stored with no send job."""
    await stack.post(meta_text("Oi"))
    await stack.drain()
    lead = await stack.lead("+5511988887777")
    assert lead is not None
    async with unit_of_work(stack.container.sessions) as session:
        message = Message(
            id=uuid.uuid4(),
            tenant_id=stack.tenant_id,
            lead_id=lead.id,
            channel_id=stack.channel.id,
            role="assistant",
            direction="outbound",
            status="pending",
            type="text",
            content="Temos 3 opções em Pinheiros.",
            media={},
        )
        session.add(message)
        await session.flush()
        await session.execute(
            text(
                "UPDATE messages SET created_at = now() - make_interval(secs => :age), "
                "sending_since = CASE WHEN :flight THEN now() ELSE NULL END WHERE id = :id"
            ),
            {"age": age_seconds, "flight": in_flight, "id": message.id},
        )
    return message.id


async def _message(stack: Stack, message_id: uuid.UUID) -> Message:
    async with unit_of_work(stack.container.sessions) as session:
        found = await session.get(Message, message_id)
        assert found is not None
        return found


async def test_the_stuck_outbound_sweep_gives_a_job_to_an_old_pending_message_and_it_is_sent(
    stack: Stack,
) -> None:
    stuck = await _pending_reply(stack, age_seconds=3600)
    fresh = await _pending_reply(stack, age_seconds=0)
    sent_before = len(stack.graph.requests)

    assert await run_periodic(stack, "requeue_stuck_outbound") == "succeeded"
    await stack.drain()

    assert (await _message(stack, stuck)).status == "sent"
    assert (await _message(stack, fresh)).status == "pending"  # younger than the threshold
    assert len(stack.graph.requests) == sent_before + 1
    # A second sweep finds nothing: the message is no longer pending.
    assert await run_periodic(stack, "requeue_stuck_outbound") == "succeeded"
    assert await stack.count_jobs(task_name(SEND_OUTBOUND)) == await stack.scalar(
        "SELECT count(*) FROM messages WHERE direction = 'outbound' AND status <> 'pending'"
    )


async def test_a_send_that_fails_twice_is_retried_by_the_same_job_until_the_provider_accepts(
    stack: Stack,
) -> None:
    stack.graph.script([500, 503])
    await stack.post(meta_text("Oi, quero alugar um apartamento"))
    await stack.drain()

    replies = await stack.messages(direction="outbound")
    assert replies and all(m.status == "sent" for m in replies)
    assert replies[0].attempts == 3 and replies[0].error is None
    # Retried in place: one job per message, so the lead's lock keeps the parts in order.
    assert await stack.count_jobs(task_name(SEND_OUTBOUND)) == len(replies)
    attempts = await stack.scalar(
        "SELECT max(attempts) FROM procrastinate_jobs WHERE task_name = :t",
        t=task_name(SEND_OUTBOUND),
    )
    assert attempts >= 3  # two failed runs and the one that sent, all the same job


async def test_a_send_cut_off_after_the_provider_call_is_not_resent_and_is_settled_by_its_status(
    stack: Stack,
) -> None:
    cut_off = await _pending_reply(stack, in_flight=True)  # attempt recorded, outcome lost
    sent_before = len(stack.graph.requests)
    async with unit_of_work(stack.container.sessions) as session:
        lead_id = (await session.get(Message, cut_off)).lead_id  # type: ignore[union-attr]
        await defer_send(session, message_id=cut_off, lead_id=lead_id, run_at=None)
    await stack.drain()

    uncertain = await _message(stack, cut_off)
    assert uncertain.status == "uncertain" and uncertain.external_id is None
    assert len(stack.graph.requests) == sent_before, "an uncertain send was sent again"

    # Meta echoes our message id (biz_opaque_callback_data) in its status webhook.
    status = meta_status("wamid.LOST1", "delivered", biz_opaque_callback_data=str(cut_off))
    assert (await stack.post(status)).json()["statuses"] == 1
    settled = await _message(stack, cut_off)
    assert settled.status == "delivered" and settled.external_id == "wamid.LOST1"
    assert settled.delivered_at is not None and settled.sending_since is None


async def test_meta_sends_carry_our_message_id_for_the_status_callbacks(stack: Stack) -> None:
    await stack.post(meta_text("Oi"))
    await stack.drain()
    replies = await stack.messages(direction="outbound")
    bodies = [r.body for r in stack.graph.requests]
    assert {b["biz_opaque_callback_data"] for b in bodies} == {str(m.id) for m in replies}


async def test_the_parts_of_a_reply_are_scheduled_a_pace_apart_instead_of_slept(
    stack: Stack,
) -> None:
    pace = 0.4
    stack.container.pipeline = replace(
        stack.container.pipeline,
        settings=replace(stack.container.pipeline.settings, send_pace_seconds=pace),
    )
    async with unit_of_work(stack.container.sessions) as session:
        lead = Lead(
            tenant_id=stack.tenant_id,
            phone="+5511977776666",
            channel_id=stack.channel.id,
            last_inbound_at=datetime.now(UTC),  # inside WhatsApp's 24-hour window
        )
        session.add(lead)
        await session.flush()
        parts = ["Temos 3 opções.", "A primeira fica em Pinheiros.", "Quer visitar?"]
        queued = await outbound.queue_outbound(session, lead=lead, texts=parts, pace_seconds=pace)
    async with stack.container.engine.connect() as conn:
        scheduled = await conn.execute(
            text(
                "SELECT scheduled_at FROM procrastinate_jobs WHERE task_name = :t "
                "AND args->>'message_id' = ANY(:ids) ORDER BY id"
            ),
            {"t": task_name(SEND_OUTBOUND), "ids": [str(m.id) for m in queued]},
        )
        times = list(scheduled.scalars())
    assert times[0] is None  # the first part goes at once, the others a pace apart
    assert [b - a for a, b in itertools.pairwise(times[1:])] == [timedelta(seconds=pace)]

    await stack.drain()
    replies = [await _message(stack, m.id) for m in queued]
    assert all(m.status == "sent" for m in replies)
    sent = [m.sent_at for m in replies]
    assert all(
        b - a >= timedelta(seconds=pace * outbound.PACE_SLACK)
        for a, b in itertools.pairwise(sent)
        if a and b
    )
