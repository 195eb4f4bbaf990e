"""The LLM brain against a fake OpenAI-compatible server: tools, guardrails, budget, fallback."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from tests.brain.chat import Conversation
from tests.fakes.openai import Answer, FakeOpenAI
from tests.pipeline.harness import Stack
from vellarys.bootstrap import chat_model_factory
from vellarys.db.models import Message


@pytest.fixture
def llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key="sk-test") as fake:
        yield fake


def _use_llm(stack: Stack, fake: FakeOpenAI, **settings: Any) -> None:
    configured = stack.container.settings.model_copy(
        update={
            "llm_base_url": fake.base_url,
            "llm_api_key": __import__("pydantic").SecretStr("sk-test"),
            "llm_model": "fake-gpt",
            "llm_timeout_seconds": 1.5,
            **settings,
        }
    )
    pipeline = stack.container.pipeline
    stack.container.pipeline = replace(
        pipeline,
        chat_for=chat_model_factory(configured, stack.container.http, stack.container.http),
        settings=replace(
            pipeline.settings, llm_daily_token_budget=configured.llm_daily_token_budget
        ),
    )


async def _assistant_replies(stack: Stack) -> list[Message]:
    return [m for m in await stack.messages(direction="outbound") if m.role == "assistant"]


async def test_scripted_tool_calls_drive_the_reply_and_the_profile(
    demo: Stack, llm: FakeOpenAI
) -> None:
    _use_llm(demo, llm)
    llm.script(
        [
            FakeOpenAI.tool_call(
                "update_lead_profile",
                {
                    "intent": "buy",
                    "property_type": "apartment",
                    "neighborhoods": ["Vila Mariana"],
                    "budget_max": 700000,
                    "bedrooms": 2,
                },
            ),
            FakeOpenAI.tool_call(
                "search_properties",
                {
                    "intent": "buy",
                    "property_type": "apartment",
                    "neighborhoods": ["Vila Mariana"],
                    "budget_max": 700000,
                    "bedrooms": 2,
                    "query": "perto do metrô",
                },
            ),
            FakeOpenAI.text(
                "Achei o AP1501, 2 quartos na Vila Mariana, por R$ 640.000.\n\n"
                "Quer agendar uma visita?"
            ),
        ]
    )
    chat = Conversation(demo, "5511977000001")
    replies = await chat.say("Quero um apê de 2 quartos na Vila Mariana até 700 mil")
    assert replies == [
        "Achei o AP1501, 2 quartos na Vila Mariana, por R$ 640.000.",
        "Quer agendar uma visita?",
    ]
    lead = await chat.lead()
    assert lead.custom_data["budget_max"] == 700_000
    assert lead.custom_data["neighborhoods"] == ["Vila Mariana"]
    sent = await _assistant_replies(demo)
    assert {m.media["brain"] for m in sent} == {"llm"}
    assert sent[0].media["properties"] == ["AP1501"]
    # Each tool's result went back to the model under its call id.
    second, third = llm.requests[1], llm.requests[2]
    assert second["messages"][-1]["role"] == "tool"
    assert second["messages"][-1]["tool_call_id"] == second["messages"][-2]["tool_calls"][0]["id"]
    assert "AP1501" in third["messages"][-1]["content"]
    assert llm.calls[0].headers["authorization"] == "Bearer sk-test"


async def test_a_reply_naming_a_listing_no_tool_returned_is_refused_for_the_offline_brain(
    demo: Stack, llm: FakeOpenAI
) -> None:
    _use_llm(demo, llm)
    llm.script([FakeOpenAI.text("Tenho o AP7777 em Moema por R$ 450.000, uma pechincha!")])
    chat = Conversation(demo, "5511977000002")
    replies = await chat.say("Oi, quero comprar um apartamento em Moema")
    assert replies and not any("AP7777" in r or "450.000" in r for r in replies)
    assert {m.media["brain"] for m in await _assistant_replies(demo)} == {"offline"}
    await chat.mentioned_properties()


@pytest.mark.parametrize(
    "failure",
    [
        FakeOpenAI.delay(5, then=FakeOpenAI.text("tarde demais")),
        429,
        500,
        FakeOpenAI.garbage(),
        FakeOpenAI.tool_call("delete_all_leads", {}),
        FakeOpenAI.tool_call("search_properties", "{not json"),
    ],
    ids=["timeout", "429", "500", "garbage", "unknown-tool", "invalid-arguments"],
)
async def test_any_llm_failure_falls_back_to_the_offline_brain_with_one_reply(
    demo: Stack, llm: FakeOpenAI, failure: int | Answer
) -> None:
    _use_llm(demo, llm)
    llm.script([failure, failure, failure])
    chat = Conversation(demo, "5511977000003")
    replies = await chat.say("Oi, quero alugar um apartamento em Pinheiros")
    assert replies
    sent = await _assistant_replies(demo)
    assert {m.media["brain"] for m in sent} == {"offline"}
    assert len({m.media["in_reply_to"] for m in sent}) == 1
    assert len(demo.graph.sent) == len(sent)


async def test_the_daily_token_budget_sends_the_tenant_to_the_offline_brain(
    demo: Stack, llm: FakeOpenAI
) -> None:
    _use_llm(demo, llm, llm_daily_token_budget=100)
    chat = Conversation(demo, "5511977000004")
    await chat.say("Oi")  # the fake spends 120 tokens: over the budget from now on
    calls = len(llm.requests)
    replies = await chat.say("quero comprar uma casa")
    assert replies
    assert len(llm.requests) == calls
    last = (await _assistant_replies(demo))[-1]
    assert last.media["brain"] == "offline"


async def test_the_llm_uses_the_shared_calculators_listing_facts_and_records_open_questions(
    demo: Stack, llm: FakeOpenAI
) -> None:
    _use_llm(demo, llm)
    llm.script(
        [
            FakeOpenAI.tool_call("simulate_financing", {"price": 400000, "fgts": 80000}),
            FakeOpenAI.tool_call("listing_facts", {"code": "AP1402", "facts": ["pets", "iptu"]}),
            FakeOpenAI.tool_call("record_open_question", {"question": "AP1402 tem gerador?"}),
            FakeOpenAI.text(
                "Com R$ 80.000 de FGTS, a parcela fica em cerca de R$ 2.922,74.\n\n"
                "O AP1402 aceita pets e o IPTU é de R$ 2.600 por ano. O gerador eu confirmo."
            ),
        ]
    )
    chat = Conversation(demo, "5511977000005")
    replies = await chat.say("apto de 400 mil com 80 mil de fgts, parcela? e o AP1402 aceita pet?")
    assert "R$ 2.922,74" in replies[0]
    assert {m.media["brain"] for m in await _assistant_replies(demo)} == {"llm"}
    simulation = llm.requests[1]["messages"][-1]["content"]
    assert '"financed": 320000.0' in simulation  # the FGTS is the down payment
    facts = llm.requests[2]["messages"][-1]["content"]
    assert "aceita pets" in facts and "R$ 2.600 por ano" in facts
    lead = await chat.lead()
    assert lead.custom_data["open_questions"] == ["AP1402 tem gerador?"]


async def test_a_documents_example_number_is_not_the_leads_number(
    demo: Stack, llm: FakeOpenAI
) -> None:
    _use_llm(demo, llm)
    llm.script(
        [
            FakeOpenAI.tool_call("search_knowledge", {"question": "quanto custa o ITBI?"}),
            FakeOpenAI.text("O ITBI do seu imóvel fica em R$ 18.000."),
            FakeOpenAI.text("O ITBI do seu imóvel fica em R$ 18.000."),
        ]
    )
    chat = Conversation(demo, "5511977000006")
    replies = await chat.say("quanto vou pagar de ITBI no AP1107?")
    assert not any("18.000" in r for r in replies)
    assert {m.media["brain"] for m in await _assistant_replies(demo)} == {"offline"}
