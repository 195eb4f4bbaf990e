"""Bounded work per message: a fair queue between agencies, per-minute limits with one polite
notice, and a time budget past which the lead gets the fallback answer."""

from __future__ import annotations

import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

from tests.fakes.openai import FakeOpenAI
from tests.fakes.providers import FakeGraphAPI
from tests.pipeline.harness import APP_SECRET, Stack, build_stack, meta_text
from vellarys.db.models import Lead, Message, Tenant
from vellarys.db.queue import HANDLE_INBOUND, task_name
from vellarys.db.uow import unit_of_work
from vellarys.domain.rate_limit import NOTICES
from vellarys.services.channel import add_channel
from vellarys.services.inbound import FALLBACK_ANSWER
from vellarys.worker.tasks import HOLD_TRIES

OTHER_NUMBER_ID = "206540352242999"


async def _second_agency(stack: Stack) -> Stack:
    """Another agency with its own Meta number, served by the same API and worker."""
    async with unit_of_work(stack.container.sessions) as session:
        tenant = Tenant(
            id=uuid.uuid4(), slug=f"b-{uuid.uuid4().hex[:8]}", name="Outra", settings={}
        )
        session.add(tenant)
        await session.flush()
        channel = await add_channel(
            session,
            tenant_id=tenant.id,
            provider="meta",
            identity=OTHER_NUMBER_ID,
            credentials={"access_token": "test-token", "app_secret": APP_SECRET},
            secret_key=stack.container.settings.resolved_secret_key,
            allow_private_urls=True,
        )
    return Stack(stack.container, stack.client, stack.graph, tenant.id, channel)


def _for_other_number(payload: dict[str, Any]) -> dict[str, Any]:
    payload["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = OTHER_NUMBER_ID
    return payload


def _limits(stack: Stack, **values: Any) -> None:
    settings = replace(stack.container.pipeline.settings, **values)
    stack.container.pipeline = replace(stack.container.pipeline, settings=settings)


async def test_one_agencys_flood_does_not_queue_ahead_of_another_agencys_first_message(
    stack: Stack,
) -> None:
    other = await _second_agency(stack)
    for i in range(20):
        await stack.post(meta_text("Oi, quero alugar", phone=f"55119000{i:05d}"))
    await other.post(_for_other_number(meta_text("Oi, quero comprar", phone="5521999990000")))
    await stack.drain()

    started = await stack.scalar(
        "SELECT array_agg(j.args->>'message_id' ORDER BY e.at, e.id) FROM procrastinate_jobs j "
        "JOIN procrastinate_events e ON e.job_id = j.id AND e.type = 'started' "
        "WHERE j.task_name = :t",
        t=task_name(HANDLE_INBOUND),
    )
    other_message = await other.scalar(
        "SELECT id::text FROM messages WHERE tenant_id = :t AND direction = 'inbound'",
        t=other.tenant_id,
    )
    assert len(started) == 21
    # Posted last, started among the first: the flood's later messages queue behind it.
    assert started.index(other_message) <= 2, started.index(other_message)


async def test_a_lead_past_its_limit_gets_one_polite_notice_and_its_answer_after_the_minute(
    stack: Stack,
) -> None:
    _limits(stack, lead_messages_per_minute=3)
    limited = 0
    for i in range(6):
        limited += (await stack.post(meta_text(f"mensagem {i}"))).json()["rate_limited"]
    windows = await stack.scalar("SELECT count(DISTINCT window_start) FROM message_rates")
    if windows > 1:  # the six messages straddled a minute: the count restarted midway
        return
    assert limited == 3
    notices = await stack.messages(direction="outbound", role="system")
    assert [m.content for m in notices] == [NOTICES["lead"]]
    late = await stack.scalar(
        "SELECT count(*) FROM procrastinate_jobs WHERE task_name = :t "
        "AND scheduled_at >= date_trunc('minute', now()) + interval '1 minute'",
        t=task_name(HANDLE_INBOUND),
    )
    assert late == 3


async def test_an_agency_past_its_limit_tells_each_new_lead_once(stack: Stack) -> None:
    _limits(stack, agency_messages_per_minute=2)
    for phone in ("5511911110001", "5511911110002", "5511911110003", "5511911110003"):
        await stack.post(meta_text("Oi", phone=phone))
    if await stack.scalar("SELECT count(DISTINCT window_start) FROM message_rates") > 1:
        return
    notices = await stack.messages(direction="outbound", role="system")
    assert [m.content for m in notices] == [NOTICES["agency"]]


async def _past_the_budget(
    stack: Stack,
) -> tuple[list[Message], list[Message], Lead | None, list[str], int]:
    try:
        await stack.post(meta_text("Oi, quero comprar um apartamento"))
        await stack.drain()
        replies = await stack.messages(direction="outbound")
        inbound = await stack.messages(direction="inbound")
        lead = await stack.lead("+5511988887777")
        reasons = await stack.scalar("SELECT array_agg(reason) FROM handoffs") or []
        tries = await stack.scalar(
            "SELECT attempts FROM procrastinate_jobs WHERE task_name = :name",
            name=task_name(HANDLE_INBOUND),
        )
    finally:
        await stack.client.aclose()
        await stack.container.aclose()
    return replies, inbound, lead, list(reasons), tries


async def test_past_its_time_budget_the_lead_hears_once_and_then_gets_the_answer(
    fresh_database: Any, tmp_path: Path, graph: FakeGraphAPI
) -> None:
    with FakeOpenAI() as llm:
        # The first try hangs on the model; the next one gets its answer at once.
        llm.script([FakeOpenAI.delay(60), FakeOpenAI.text("Ótimo! Em qual bairro você procura?")])
        stack = await build_stack(
            fresh_database(),
            tmp_path,
            graph,
            llm_base_url=llm.base_url,
            llm_model="fake-gpt",
            job_time_budget_seconds=5,
        )
        replies, inbound, lead, reasons, _ = await _past_the_budget(stack)
    assert [m.content for m in replies] == [
        FALLBACK_ANSWER,
        "Ótimo! Em qual bairro você procura?",
    ]
    assert replies[0].media["brain"] == "fallback" and replies[1].media["brain"] == "llm"
    assert all(m.status == "sent" for m in replies)
    assert all(m.processed_at is not None for m in inbound)
    assert lead is not None and not lead.ai_paused and reasons == []


async def test_past_the_budget_on_every_try_a_broker_takes_the_lead(
    fresh_database: Any, tmp_path: Path, graph: FakeGraphAPI
) -> None:
    with FakeOpenAI() as llm:
        llm.script([FakeOpenAI.delay(60)] * (HOLD_TRIES + 1))
        stack = await build_stack(
            fresh_database(),
            tmp_path,
            graph,
            llm_base_url=llm.base_url,
            llm_model="fake-gpt",
            job_time_budget_seconds=0.5,
        )
        replies, inbound, lead, reasons, tries = await _past_the_budget(stack)
    assert [m.content for m in replies] == [FALLBACK_ANSWER]  # told once, not once per try
    assert replies[0].status == "sent" and replies[0].media["brain"] == "fallback"
    assert tries == HOLD_TRIES
    assert all(m.processed_at is not None for m in inbound)
    assert lead is not None and lead.ai_paused and lead.stage == "handed_off"
    assert reasons == ["delayed"]
