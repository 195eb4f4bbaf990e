"""Two leads choosing the same broker's slot at the same moment: the database's unique key
lets one visit hold it, and the other lead is offered the next free slot."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import select

from tests.pipeline.harness import Stack
from tests.visits.stack import Lead_, MovableClock, add_broker, add_listing, use_clock, visit_day
from vellarys.db.models import Lead, Visit
from vellarys.db.uow import unit_of_work
from vellarys.domain.conversation import Turn
from vellarys.services import visits

OFFERED = Turn(role="assistant", content="Qual fica melhor para você?")


async def test_two_leads_racing_for_one_slot_one_books_it_the_other_gets_the_next(
    stack: Stack,
) -> None:
    clock = MovableClock(datetime.now(UTC))
    use_clock(stack, clock)
    await add_broker(stack)
    await add_listing(stack)
    day = visit_day(clock.now())
    ana, bia = Lead_(stack, clock, "5511977770001"), Lead_(stack, clock, "5511977770002")
    for lead in (ana, bia):
        replies = "\n".join(await lead.say(f"Quero visitar o AP1501 dia {day:%d/%m} de manhã"))
        assert "às 9h" in replies, replies
    sessions, deps = stack.container.sessions, stack.container.pipeline
    a_id, b_id = (await ana.lead()).id, (await bia.lead()).id

    async with unit_of_work(sessions) as second:
        b = await second.get(Lead, b_id)
        assert b is not None
        async with unit_of_work(sessions) as first:
            a = await first.get(Lead, a_id)
            assert a is not None
            won = await visits.reply_in_chat(first, deps, lead=a, text="o primeiro", history=[OFFERED])
            # The second choice waits on the first one's key...
            racing = asyncio.create_task(
                visits.reply_in_chat(second, deps, lead=b, text="o primeiro", history=[OFFERED])
            )
            await asyncio.sleep(0)
        # ...and finds the slot taken once the first one has committed.
        lost = await racing
    assert won is not None and "visita marcada" in won.messages[0]
    assert lost is not None and "acabou de ser reservado" in lost.messages[0]
    assert "às 10h" in lost.messages[0], lost.messages

    async with unit_of_work(sessions) as session:
        rows = (await session.execute(select(Visit).order_by(Visit.created_at))).scalars().all()
    held = [(v.lead_id, v.starts_at.hour) for v in rows if v.status == "scheduled"]
    assert len(held) == 1 and held[0][0] == a_id
    booked = "\n".join(await bia.say("sim"))
    assert "visita marcada" in booked and "às 10h" in booked, booked
