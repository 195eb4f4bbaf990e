"""While a broker has the conversation, what the lead says still updates the profile."""

from __future__ import annotations

from tests.brain.chat import Conversation
from tests.pipeline.harness import Stack


async def test_the_profile_keeps_updating_after_the_handoff_with_no_reply(demo: Stack) -> None:
    chat = Conversation(demo, "5511988110106", name="Lead Teste")
    await chat.say("quero comprar uma casa em Moema")
    await chat.say("quero falar com um corretor, por favor")
    paused = await chat.lead()
    assert paused.ai_paused and paused.stage == "handed_off"
    score_before = paused.score

    replies = await chat.say(
        "meu nome é Carla, tenho 120 mil de entrada e 40 mil de FGTS, ganho 15 mil, até 900 mil"
    )

    assert replies == []
    lead = await chat.lead()
    assert lead.custom_data["name"] == "Carla"
    assert lead.custom_data["down_payment"] == 120_000
    assert lead.custom_data["fgts_balance"] == 40_000
    assert lead.custom_data["monthly_income"] == 15_000
    assert lead.custom_data["budget_max"] == 900_000
    assert lead.score > score_before
