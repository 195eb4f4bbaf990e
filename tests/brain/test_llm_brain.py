"""The LLM brain against a fake OpenAI-compatible server: tools, guardrails, budget, fallback."""

from __future__ import annotations

import json
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
    bad = FakeOpenAI.text("Tenho o AP7777 em Moema por R$ 450.000, uma pechincha!")
    llm.script([bad, bad, bad])  # the draft, the repair round and the text-only round
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
            # The draft, its repair round and the forced text-only round all repeat the number.
            FakeOpenAI.text("O ITBI do seu imóvel fica em R$ 18.000."),
            FakeOpenAI.text("O ITBI do seu imóvel fica em R$ 18.000."),
            FakeOpenAI.text("O ITBI do seu imóvel fica em R$ 18.000."),
        ]
    )
    chat = Conversation(demo, "5511977000006")
    replies = await chat.say("quanto vou pagar de ITBI no AP1107?")
    assert not any("18.000" in r for r in replies)
    assert {m.media["brain"] for m in await _assistant_replies(demo)} == {"offline"}


async def test_facts_from_earlier_turns_stay_allowed(demo: Stack, llm: FakeOpenAI) -> None:
    _use_llm(demo, llm)
    llm.script(
        [
            FakeOpenAI.tool_call("lookup_property", {"code": "AP1102"}),
            FakeOpenAI.text(
                "Sim, o AP1102 aceita pets! O aluguel é R$ 5.200 e o condomínio R$ 980."
            ),
            FakeOpenAI.text("No AP1102 você paga R$ 5.200 de aluguel mais R$ 980 de condomínio."),
        ]
    )
    chat = Conversation(demo, "5511977000011")
    await chat.say("Tenho um cachorro. O AP1102 aceita pets?")
    replies = await chat.say("E quanto fica com o condomínio?")
    assert replies == ["No AP1102 você paga R$ 5.200 de aluguel mais R$ 980 de condomínio."]
    assert {m.media["brain"] for m in await _assistant_replies(demo)} == {"llm"}


async def test_a_refused_draft_gets_one_repair_round_with_the_reason(
    demo: Stack, llm: FakeOpenAI
) -> None:
    _use_llm(demo, llm)
    llm.script(
        [
            FakeOpenAI.text("Tenho o AP7777 por 4.800 por mês."),
            FakeOpenAI.text("Em qual bairro você quer morar?"),
        ]
    )
    chat = Conversation(demo, "5511977000012")
    replies = await chat.say("Quero alugar um apartamento")
    assert replies == ["Em qual bairro você quer morar?"]
    note = llm.requests[1]["messages"][-1]
    assert note["role"] == "user" and "AP7777" in note["content"] and "recusada" in note["content"]
    assert "tools" in llm.requests[1]


async def test_after_a_failed_repair_a_text_only_round_then_the_fallback_keeps_the_profile(
    demo: Stack, llm: FakeOpenAI
) -> None:
    _use_llm(demo, llm)
    bad = FakeOpenAI.text("Tenho o AP7777 por R$ 450.000, 30% de desconto!")
    llm.script(
        [
            FakeOpenAI.tool_call("update_lead_profile", {"intent": "buy", "budget_max": 700000}),
            bad,
            bad,
            bad,
        ]
    )
    chat = Conversation(demo, "5511977000013")
    replies = await chat.say("Oi, quero comprar")
    assert replies and not any("AP7777" in r for r in replies)
    assert "tools" not in llm.requests[3]  # the forced text-only round
    assert {m.media["brain"] for m in await _assistant_replies(demo)} == {"offline"}
    assert (await chat.lead()).custom_data["budget_max"] == 700_000
    # The four rounds' tokens count even though the savepoint was rolled back.
    spent = await demo.scalar("SELECT sum(prompt_tokens + completion_tokens) FROM llm_usage")
    assert spent == 4 * 120


async def test_simulate_financing_counts_the_fgts_as_the_down_payment(
    demo: Stack, llm: FakeOpenAI
) -> None:
    _use_llm(demo, llm)
    llm.script(
        [
            FakeOpenAI.tool_call("simulate_financing", {"price": 400000, "fgts": 80000}),
            FakeOpenAI.text("Com R$ 80 mil de FGTS de entrada, a parcela fica em R$ 2.922 ao mês."),
        ]
    )
    chat = Conversation(demo, "5511977000014")
    replies = await chat.say("Quanto fica a parcela de um apê de 400 mil com 80 mil de FGTS?")
    assert replies == ["Com R$ 80 mil de FGTS de entrada, a parcela fica em R$ 2.922 ao mês."]
    tool = json.loads(llm.requests[1]["messages"][-1]["content"])
    assert tool["financed"] == 320000 and round(tool["first_installment"]) == 2923
