"""Whatever a brain or a broker writes, the lead receives WhatsApp text: no Markdown arrives."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.brain.chat import Conversation
from tests.brain.test_llm_brain import _use_llm
from tests.fakes.openai import FakeOpenAI
from tests.pipeline.harness import Stack
from vellarys.db.uow import unit_of_work
from vellarys.services.audit import Actor
from vellarys.services.lead_acts import send_broker_message


@pytest.fixture
def llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key="sk-test") as fake:
        yield fake


MARKDOWN_REPLY = (
    "## Ótima escolha\n**Pinheiros** tem muita opção de aluguel.\n\n"
    "| Item | Detalhe |\n|---|---|\n| Bairro | Pinheiros |\n| Tipo | Apartamento |\n\n"
    "- Qual é o seu orçamento por mês?"
)


async def test_an_llm_reply_in_markdown_reaches_the_lead_as_whatsapp_text(
    demo: Stack, llm: FakeOpenAI
) -> None:
    _use_llm(demo, llm)
    llm.script([FakeOpenAI.text(MARKDOWN_REPLY)])
    chat = Conversation(demo, "5511977000101")
    replies = await chat.say("Oi, quero alugar um apartamento em Pinheiros")
    assert "\n\n".join(replies) == (
        "*Ótima escolha*\n*Pinheiros* tem muita opção de aluguel.\n\n"
        "Bairro: Pinheiros\nTipo: Apartamento\n\n• Qual é o seu orçamento por mês?"
    )
    sent_texts = [request.body["text"]["body"] for request in demo.graph.sent]
    assert sent_texts and not any("**" in t or "|" in t or "#" in t for t in sent_texts)


async def test_a_broker_message_is_rendered_like_any_other(demo: Stack) -> None:
    chat = Conversation(demo, "5511977000102")
    await chat.say("Oi, quero comprar uma casa")
    lead = await chat.lead()
    async with unit_of_work(demo.container.sessions) as session:
        message = await send_broker_message(
            session, Actor(tenant_id=lead.tenant_id), lead_id=lead.id, text="Oi! Sou o **Ricardo**."
        )
        assert message.content == "Oi! Sou o *Ricardo*."
