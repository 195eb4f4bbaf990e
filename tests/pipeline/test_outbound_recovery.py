"""Sends that heal: retries by strategy (and after the database went away), the stuck-outbound
sweep, uncertain sends settled by the provider's status callbacks (Meta), records and echoes
(Evolution), and paced parts scheduled rather than slept."""

from __future__ import annotations

import itertools
import json
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from procrastinate.jobs import Job
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from tests.fakes.providers import FakeEvolution
from tests.pipeline.harness import Stack, meta_status, meta_text
from tests.pipeline.periodic import run_periodic
from vellarys.adapters.whatsapp.evolution import EvolutionProvider
from vellarys.db.models import Lead, Message
from vellarys.db.queue import FIRST_PART_PRIORITY, SEND_OUTBOUND, defer_send, task_name
from vellarys.db.uow import unit_of_work
from vellarys.services import outbound
from vellarys.services.channel import add_channel, webhook_path
from vellarys.worker.tasks import RetryWhenAsked


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


SEND_TABLES = ("messages", "leads", "channels")


async def test_a_send_is_claimed_in_one_statement_and_recorded_in_one(stack: Stack) -> None:
    """A send runs once per reply part: the claim reads the locked message, its lead, its
    channel and the lead's last send in one statement; the record is one UPDATE."""
    pending = await _pending_reply(stack)
    async with unit_of_work(stack.container.sessions) as session:
        lead_id = (await session.get(Message, pending)).lead_id  # type: ignore[union-attr]
        await defer_send(session, message_id=pending, lead_id=lead_id, run_at=None)
    statements: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # The send's tables only: a periodic job due meanwhile may run in the same drain.
        if any(f" {table}" in statement for table in SEND_TABLES):
            statements.append(statement[:60])

    engine = stack.container.engine.sync_engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        await stack.drain()
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert (await _message(stack, pending)).status == "sent"
    # The claim, its attempt stamp (written at the claim's commit), the record.
    assert [s.split()[0] for s in statements] == ["SELECT", "UPDATE", "UPDATE"], statements


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
                "SELECT scheduled_at, priority FROM procrastinate_jobs WHERE task_name = :t "
                "AND args->>'message_id' = ANY(:ids) ORDER BY id"
            ),
            {"t": task_name(SEND_OUTBOUND), "ids": [str(m.id) for m in queued]},
        )
        rows = scheduled.all()
        times = [row[0] for row in rows]
    # The first part goes ahead of other replies' later parts (those are paced anyway).
    assert [row[1] for row in rows] == [FIRST_PART_PRIORITY, 0, 0]
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


PAYLOADS = Path(__file__).resolve().parent.parent / "payloads" / "evolution"


def _evolution_payload(name: str, **data: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((PAYLOADS / name).read_text())
    body.pop("apikey", None)
    body["data"].update(messageTimestamp=int(time.time()), **data)
    return body


async def _lead(stack: Stack, lead_id: uuid.UUID) -> Lead:
    async with unit_of_work(stack.container.sessions) as session:
        found = await session.get(Lead, lead_id)
        assert found is not None
        return found


async def _in_flight(stack: Stack, lead: Lead, text_: str) -> uuid.UUID:
    """An outbound message whose attempt was recorded and whose outcome was lost."""
    async with unit_of_work(stack.container.sessions) as session:
        message = Message(
            id=uuid.uuid4(),
            tenant_id=stack.tenant_id,
            lead_id=lead.id,
            channel_id=lead.channel_id,
            role="assistant",
            direction="outbound",
            status="pending",
            type="text",
            content=text_,
            media={},
            attempts=1,
            sending_since=datetime.now(UTC),
        )
        session.add(message)
    return message.id


async def test_evolution_sends_cut_off_are_settled_from_its_records_and_its_echoes(
    stack: Stack,
) -> None:
    with FakeEvolution(api_key="evo-key") as evolution:
        async with unit_of_work(stack.container.sessions) as session:
            channel = await add_channel(
                session,
                tenant_id=stack.tenant_id,
                provider="evolution",
                identity="imobiliaria-batel",
                credentials={"api_key": "evo-key", "base_url": evolution.url},
                secret_key=stack.container.settings.resolved_secret_key,
                allow_private_urls=True,
            )
        url = webhook_path(channel)
        inbound = _evolution_payload("text_conversation.json")
        assert (await stack.client.post(url, json=inbound)).status_code == 200
        await stack.drain()
        [message] = await stack.messages(direction="inbound")
        found = await _lead(stack, message.lead_id)
        # The worker died after Evolution accepted A; B never reached Evolution; C is in flight.
        reached = await _in_flight(stack, found, "Temos 3 opções no Batel.")
        provider = EvolutionProvider(
            instance="imobiliaria-batel",
            api_key="evo-key",
            base_url=evolution.url,
            http=stack.container.http,
        )
        await provider.send_text(to=found.phone, text="Temos 3 opções no Batel.")
        lost = await _in_flight(stack, found, "Quer agendar uma visita?")
        echoed = await _in_flight(stack, found, "Posso te mandar as fotos?")
        async with unit_of_work(stack.container.sessions) as session:
            for message_id in (reached, lost):
                await defer_send(session, message_id=message_id, lead_id=found.id, run_at=None)
        sends_before = len(evolution.sent)
        await stack.drain()

        settled, uncertain = await _message(stack, reached), await _message(stack, lost)
        assert settled.status == "sent" and settled.external_id == evolution.stored[-1]["key"]["id"]
        assert uncertain.status == "uncertain" and uncertain.external_id is None
        assert len(evolution.sent) == sends_before, "an uncertain send was sent again"

        # Evolution echoes C (fromMe) before the worker wrote its answer down: it is ours,
        # settled, and not taken for a person answering from the agency's phone.
        echo = _evolution_payload(
            "from_me.json",
            key={"remoteJid": "554199998888@s.whatsapp.net", "fromMe": True, "id": "3EB0C0FFEE"},
            message={"conversation": "Posso te mandar as fotos?"},
        )
        assert (await stack.client.post(url, json=echo)).status_code == 200
    by_echo = await _message(stack, echoed)
    assert by_echo.status == "sent" and by_echo.external_id == "3EB0C0FFEE"
    assert not (await _lead(stack, found.id)).ai_paused
    assert not [m for m in await stack.messages(direction="outbound") if m.role == "broker"]


def test_a_send_job_that_lost_the_database_is_retried_with_backoff_and_others_are_not() -> None:
    strategy = RetryWhenAsked()
    job = Job(id=1, queue="outbound", lock=None, queueing_lock=None, task_name="x", attempts=2)
    away = DBAPIError("SELECT 1", {}, ConnectionError("connection was closed"))
    for exception in (away, ConnectionError("closed while opening"), PoolTimeout("pool")):
        decision = strategy.get_retry_decision(exception=exception, job=job)
        assert decision is not None and decision.retry_at is not None
    assert strategy.get_retry_decision(exception=ValueError("a bug"), job=job) is None
    worn = Job(id=1, queue="outbound", lock=None, queueing_lock=None, task_name="x", attempts=99)
    assert strategy.get_retry_decision(exception=away, job=worn) is None
