"""An agency with no listings yet: the lead is told so and handed to a broker, not qualified."""

from __future__ import annotations

from sqlalchemy import text

from tests.brain.chat import Conversation
from tests.pipeline.harness import Stack
from vellarys.db.uow import unit_of_work
from vellarys.domain import phrases
from vellarys.domain.text import fold


async def test_an_agency_with_no_listings_takes_the_contact_instead_of_qualifying(
    demo: Stack,
) -> None:
    async with unit_of_work(demo.container.sessions) as session:
        params = {"tenant": demo.tenant_id}
        for table in ("property_embeddings", "properties"):
            await session.execute(text(f"DELETE FROM {table} WHERE tenant_id = :tenant"), params)
    chat = Conversation(demo, "5511988110777", name="Rita")
    await chat.say("oi")
    replies = await chat.say("até 800 mil")
    said = "\n".join(replies)
    assert "comprar ou" not in fold(said)  # 800 mil is a purchase
    assert phrases.NO_LISTINGS_HANDOFF in said
    assert [h.reason for h in await chat.handoffs()] == ["requested"]
    assert (await chat.lead()).custom_data["intent"] == "buy"
