"""Plan limits and the LLM brain's switch through the real pipeline (webhook, queue, worker,
fake Graph API and a fake OpenAI-compatible LLM): near a limit the admins are warned, past
the message or token limit the offline brain answers, and every message is answered."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tests.fakes.openai import FakeOpenAI
from tests.fakes.providers import FakeGraphAPI
from tests.pipeline.harness import Stack, build_stack, meta_text
from vellarys.db.models import Notification, Plan, Tenant, User
from vellarys.db.uow import unit_of_work


async def _set(stack: Stack, **values: Any) -> None:
    async with unit_of_work(stack.container.sessions) as session:
        tenant = await session.get(Tenant, stack.tenant_id)
        assert tenant is not None
        for key, value in values.items():
            setattr(tenant, key, value)


async def _plan(stack: Stack, **limits: int) -> uuid.UUID:
    async with unit_of_work(stack.container.sessions) as session:
        plan = Plan(name=f"p-{uuid.uuid4().hex[:6]}", **limits)
        session.add(plan)
        await session.flush()
        return plan.id


async def _turn(stack: Stack, llm: FakeOpenAI, text: str) -> tuple[str, int]:
    """Send one message; the brain of the reply and how many LLM requests it took."""
    before = len(llm.requests)
    sent = len(await stack.messages(direction="outbound"))
    # A new lead each turn: the limits are the agency's, and no lead's handoff pauses the test.
    await stack.post(meta_text(text, phone=f"55119{uuid.uuid4().int % 10**8:08d}"))
    await stack.drain()
    replies = (await stack.messages(direction="outbound"))[sent:]
    assert replies, f"{text!r} left unanswered"
    assert all(m.status == "sent" for m in replies)
    return str(replies[-1].media.get("brain")), len(llm.requests) - before


async def _notices(stack: Stack) -> list[str]:
    async with unit_of_work(stack.container.sessions) as session:
        found = await session.execute(
            select(Notification.ref).where(
                Notification.tenant_id == stack.tenant_id, Notification.kind == "plan_limit"
            )
        )
        return sorted(found.scalars())


async def test_limits_warn_then_switch_to_the_offline_brain_and_the_switch_stops_the_llm(
    fresh_database: Any, tmp_path: Path, graph: FakeGraphAPI
) -> None:
    with FakeOpenAI() as llm:
        stack = await build_stack(
            fresh_database(), tmp_path, graph, llm_base_url=llm.base_url, llm_model="fake-gpt"
        )
        try:
            async with unit_of_work(stack.container.sessions) as session:
                session.add(User(tenant_id=stack.tenant_id, email="gestor@limite.local",
                                 name="Gestor", role="admin", password_hash="x"))  # fmt: skip
            assert await _turn(stack, llm, "Oi, bom dia") == ("llm", 1)  # 120 tokens spent
            # 120 of 140 tokens: a warning, and the LLM still answers (now 240 of 140).
            await _set(stack, plan_id=await _plan(stack, max_llm_tokens_month=140))
            assert await _turn(stack, llm, "Vocês trabalham com aluguel?") == ("llm", 1)
            month = (await _notices(stack))[0].rsplit(":", 1)[1]
            assert await _notices(stack) == [f"llm_tokens:warn:{month}"]
            # Past the token limit: answered by the offline brain, the admins told once.
            brain, calls = await _turn(stack, llm, "Vocês abrem aos sábados?")
            assert (calls, brain != "llm") == (0, True)
            assert await _notices(stack) == [f"llm_tokens:over:{month}", f"llm_tokens:warn:{month}"]
            brain, calls = await _turn(stack, llm, "Vocês têm casas para alugar em Moema?")
            assert (calls, brain != "llm") == (0, True)
            assert len(await _notices(stack)) == 2
            # No plan, but the LLM brain switched off: the offline brain answers.
            await _set(stack, plan_id=None, features={"llm_brain": False})
            brain, calls = await _turn(stack, llm, "Onde fica a imobiliária?")
            assert (calls, brain != "llm") == (0, True)
            await _set(stack, features={})
            brain, calls = await _turn(stack, llm, "Vocês trabalham com venda também?")
            assert (brain, calls >= 1) == ("llm", True)  # the summary may ask it too
            # Past the monthly message limit: the same, for messages.
            await _set(stack, plan_id=await _plan(stack, max_messages_month=3))
            brain, calls = await _turn(stack, llm, "Vocês atendem em Osasco?")
            assert (calls, brain != "llm") == (0, True)
            assert f"messages:over:{month}" in await _notices(stack)
        finally:
            await stack.client.aclose()
            await stack.container.aclose()
