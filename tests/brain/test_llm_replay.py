"""Replay: scripted conversations with recorded model outputs, through the real pipeline.

Each turn's recorded outputs are served by the fake OpenAI server; what the lead receives is
checked, and no correct answer may be refused (every reply comes from the LLM brain).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.brain.chat import Conversation
from tests.brain.test_llm_brain import _assistant_replies, _use_llm
from tests.fakes.openai import COMPLETION_TOKENS, PROMPT_TOKENS, Answer, FakeOpenAI
from tests.pipeline.harness import Stack

call, text = FakeOpenAI.tool_call, FakeOpenAI.text


@dataclass(frozen=True)
class Step:
    lead: str
    model: list[Answer]
    expect: list[str]


SCRIPTS: dict[str, list[Step]] = {
    "renter-with-dog": [
        Step(
            "Oi! Tenho um cachorro. O AP1102 aceita pets?",
            [
                call("listing_facts", {"code": "AP1102", "facts": ["pets"]}),
                text("Sim! O *AP1102* aceita pets 🐶\n\nQuer saber o valor total por mês?"),
            ],
            ["AP1102", "aceita pets"],
        ),
        Step(
            "Quero, quanto fica com o condomínio?",
            [
                call("lookup_property", {"code": "AP1102"}),
                text("No *AP1102*: aluguel R$ 5.200 + condomínio R$ 980 por mês."),
            ],
            ["R$ 5.200", "R$ 980"],
        ),
    ],
    "buyer-with-fgts": [
        Step(
            "Ganho 12 mil por mês e tenho 80 mil de FGTS. Até quanto consigo comprar?",
            [
                call("update_lead_profile", {"intent": "buy"}),
                call("affordability", {"monthly_income": 12000, "savings": 80000}),
                text(
                    "Com renda de R$ 12 mil, a parcela pode ir até R$ 3.600 e o imóvel até R$ 400 mil."
                ),
            ],
            ["R$ 3.600", "R$ 400 mil"],
        ),
        Step(
            "E o ITBI do AP1106?",
            [
                call("purchase_costs", {"price": 690000, "city": "São Paulo", "financed": True}),
                text("O ITBI do *AP1106* em São Paulo fica em cerca de R$ 20.700 (3%)."),
            ],
            ["R$ 20.700"],
        ),
    ],
    "owner-selling": [
        Step(
            "Boa tarde, quero vender meu apartamento em Pinheiros",
            [
                call("hand_off", {"reason": "requested"}),
                text("Que bom! Vou te passar para nossa equipe de captação avaliar seu imóvel."),
            ],
            ["captação"],
        ),
    ],
    "tenant-with-leak": [
        Step(
            "Sou inquilino de vocês e tem um vazamento no banheiro",
            [
                call("hand_off", {"reason": "requested"}),
                text("Sinto muito pelo vazamento! Já estou chamando a equipe responsável."),
            ],
            ["vazamento"],
        ),
    ],
    "visit-saturday": [
        Step(
            "Tenho crédito aprovado e quero visitar o AP1106 no sábado",
            [
                call("lookup_property", {"code": "AP1106"}),
                call("hand_off", {"reason": "hot"}),
                text(
                    "Ótimo! O *AP1106* está disponível. Um corretor vai confirmar a visita de sábado."
                ),
            ],
            ["AP1106", "sábado"],
        ),
    ],
}


@pytest.fixture
def llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key="sk-test") as fake:
        yield fake


# The three conversations that end in a model-called hand_off leave a pipeline job pending
# (the harness's drain times out, with a UniqueViolation in the log): a real bug, not fixed yet.
_HANDOFF_BUG = pytest.mark.xfail(
    strict=False, reason="issue 17 open: an LLM hand_off replay can end in a UniqueViolation"
)
CASES = [
    pytest.param(n, marks=_HANDOFF_BUG)
    if n in ("owner-selling", "tenant-with-leak", "visit-saturday")
    else n
    for n in SCRIPTS
]


@pytest.mark.parametrize("name", CASES)
async def test_replayed_conversation_reaches_the_lead(
    demo: Stack, llm: FakeOpenAI, name: str
) -> None:
    _use_llm(demo, llm)
    chat = Conversation(demo, "55119770009" + f"{list(SCRIPTS).index(name):02d}")
    table: list[dict[str, Any]] = []
    for n, step in enumerate(SCRIPTS[name], 1):
        before = len(llm.requests)
        llm.script(step.model)
        replies = await chat.say(step.lead)
        received = "\n".join(replies)
        for wanted in step.expect:
            assert wanted in received, (name, n, replies)
        rounds = len(llm.requests) - before
        table.append(
            {"turn": n, "rounds": rounds, "tokens": rounds * (PROMPT_TOKENS + COMPLETION_TOKENS)}
        )
    assert {m.media["brain"] for m in await _assistant_replies(demo)} == {"llm"}
    print(f"\nREPLAY {name}: {table}")
