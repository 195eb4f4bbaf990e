"""Sending: retries with backoff, clear failures, pacing, and nothing after an opt-out."""

from __future__ import annotations

from tests.fakes.providers import FakeGraphAPI
from tests.pipeline.harness import Stack, meta_text
from vellarys.domain import phrases


async def test_two_provider_errors_then_success_deliver_once_and_record_the_attempts(
    stack: Stack,
) -> None:
    stack.graph.script([500, 500])  # then the default: 200
    await stack.post(meta_text("Oi, boa tarde"))
    await stack.drain()
    replies = await stack.messages(direction="outbound")
    first = replies[0]
    assert first.status == "sent"
    assert first.attempts == 3
    # The fake saw every attempt: two refused, then one accepted, for the first message only.
    bodies = [r.body["text"]["body"] for r in stack.graph.sent]
    assert len(bodies) == len(replies) + 2
    assert bodies.count(first.content) == 3
    assert all(m.status == "sent" and m.attempts == 1 for m in replies[1:])


async def test_a_400_fails_the_message_at_once_with_the_providers_reason(stack: Stack) -> None:
    stack.graph.script([FakeGraphAPI.error(100, "Invalid parameter", status=400)])
    await stack.post(meta_text("Oi"))
    await stack.drain()
    first = (await stack.messages(direction="outbound"))[0]
    assert first.status == "failed"
    assert first.attempts == 1
    assert "Invalid parameter" in (first.error or "")


async def test_free_text_outside_the_24_hour_window_fails_with_that_reason(stack: Stack) -> None:
    stack.graph.script([FakeGraphAPI.error(131047, "Re-engagement message", status=400)])
    await stack.post(meta_text("Oi"))
    await stack.drain()
    first = (await stack.messages(direction="outbound"))[0]
    assert first.status == "failed"
    assert "131047" in (first.error or "")


async def test_a_provider_that_keeps_failing_stops_at_the_attempt_limit(stack: Stack) -> None:
    stack.graph.script([503] * 20)
    await stack.post(meta_text("Oi"))
    await stack.drain()
    first = (await stack.messages(direction="outbound"))[0]
    assert first.status == "failed"
    assert first.attempts == stack.container.settings.send_max_attempts


async def test_a_lead_who_wrote_parar_receives_nothing_afterwards(stack: Stack) -> None:
    phone = "5511977776666"
    await stack.post(meta_text("Oi, quero comprar um apartamento", phone=phone))
    await stack.post(meta_text("parar", phone=phone))
    await stack.post(meta_text("ainda tem o ap de 2 quartos?", phone=phone))
    await stack.drain()
    sent = [r.body["text"]["body"] for r in stack.graph.sent]
    assert len(sent) == 1, sent
    assert sent[0] == phrases.OPT_OUT  # the one opt-out text, sent by the inbound service
    lead = await stack.lead("+5511977776666")
    assert lead is not None and lead.opted_out

    await stack.post(meta_text("oi de novo", phone=phone))
    await stack.drain()
    assert len(stack.graph.sent) == 1
