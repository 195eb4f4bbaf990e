"""Processing: one lead at a time and in order, leads in parallel, bursts answered once."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import replace

from sqlalchemy import text

from tests.fakes.providers import Reply
from tests.pipeline.harness import Stack, meta_text
from vellarys.db.queue import HANDLE_INBOUND, SEND_OUTBOUND, task_name


async def _job_windows(stack: Stack, task: str) -> list[tuple[int, float, float, str]]:
    """(job id, started, finished, lock) of every job of ``task``, from the queue's events."""
    async with stack.container.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT j.id, extract(epoch FROM min(e.at) FILTER (WHERE e.type = 'started')), "
                "extract(epoch FROM max(e.at) FILTER (WHERE e.type = 'succeeded')), j.lock "
                "FROM procrastinate_jobs j JOIN procrastinate_events e ON e.job_id = j.id "
                "WHERE j.task_name = :task GROUP BY j.id ORDER BY j.id"
            ),
            {"task": task},
        )
        return [(r[0], float(r[1]), float(r[2]), r[3]) for r in rows]


async def test_three_quick_messages_of_one_lead_are_processed_in_order_and_answered_once(
    stack: Stack,
) -> None:
    for text_body in ("Oi", "quero alugar um apartamento", "em Pinheiros, até 4 mil"):
        await stack.post(meta_text(text_body))
    await stack.drain()

    windows = await _job_windows(stack, task_name(HANDLE_INBOUND))
    assert len(windows) == 3
    for earlier, later in itertools.pairwise(windows):
        assert earlier[2] <= later[1], "a lead's jobs overlapped"
    inbound = await stack.messages(direction="inbound")
    assert all(m.processed_at is not None for m in inbound)
    # One answer for the burst: every reply answers the same (last) message.
    replies = await stack.messages(direction="outbound")
    assert len({m.media["in_reply_to"] for m in replies}) == 1
    lead = await stack.lead("+5511988887777")
    assert lead is not None and lead.custom_data.get("intent") == "rent"


async def test_two_leads_are_served_in_parallel(stack: Stack) -> None:
    # A slow provider makes the overlap visible: each send holds its worker slot 0.6 s.
    stack.graph.script([Reply(delay=0.6)] * 10)
    await stack.post(meta_text("Oi", phone="5511911112222"))
    await stack.post(meta_text("Oi", phone="5511933334444"))
    await stack.drain()
    windows = await _job_windows(stack, task_name(SEND_OUTBOUND))
    overlapping = [
        (a, b) for a in windows for b in windows if a[3] != b[3] and a[1] < b[2] and b[1] < a[2]
    ]
    assert overlapping, "sends to two different leads never ran at the same time"


async def test_a_burst_within_the_debounce_gets_one_answer(stack: Stack) -> None:
    stack.container.pipeline = replace(
        stack.container.pipeline,
        settings=replace(stack.container.pipeline.settings, debounce_seconds=0.5),
    )
    await asyncio.gather(*(stack.post(meta_text(t)) for t in ("Oi", "tudo bem?", "sou a Ana")))
    await stack.drain()
    replies = await stack.messages(direction="outbound")
    assert len({m.media["in_reply_to"] for m in replies}) == 1
