"""A visit booked in the chat, end to end through the real pipeline (Meta webhook, queue,
worker, fake Graph API): offer -> choice -> booked and handed over -> the broker told ->
reminders at the right moments of a moved clock -> reschedule -> cancel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from tests.pipeline.harness import Stack
from tests.pipeline.periodic import run_periodic
from tests.visits.stack import (
    BROKER_PHONE,
    Lead_,
    MovableClock,
    add_broker,
    add_listing,
    sent_to,
    template_text,
    use_clock,
    visit_day,
)
from vellarys.db.models import Handoff, Notification, Visit, VisitReminder
from vellarys.db.uow import unit_of_work

SP = ZoneInfo("America/Sao_Paulo")
LEAD_PHONE = "5511988881501"


async def _visit(stack: Stack) -> Visit:
    async with unit_of_work(stack.container.sessions) as session:
        found = await session.execute(
            select(Visit).where(Visit.tenant_id == stack.tenant_id).order_by(Visit.created_at)
        )
        return list(found.scalars())[-1]


async def _reminders(stack: Stack, clock: MovableClock, at: datetime) -> list[str]:
    clock.current = at
    async with unit_of_work(stack.container.sessions) as session:
        before = {r.id for r in (await session.execute(select(VisitReminder))).scalars()}
    # The worker's own scheduler may have queued a run already: this one replaces it.
    await stack.scalar(
        "DELETE FROM procrastinate_jobs WHERE task_name = 'vellarys:send_visit_reminders' "
        "AND status = 'todo' RETURNING 1"
    )
    assert await run_periodic(stack, "send_visit_reminders") == "succeeded"
    await stack.drain()
    async with unit_of_work(stack.container.sessions) as session:
        rows = (await session.execute(select(VisitReminder))).scalars()
        return sorted(r.kind for r in rows if r.id not in before)


async def test_a_visit_is_offered_booked_reminded_moved_and_cancelled_in_the_chat(
    stack: Stack,
) -> None:
    clock = MovableClock(datetime.now(UTC))
    use_clock(stack, clock)
    broker_id = await add_broker(stack)
    await add_listing(stack)
    ana = Lead_(stack, clock, LEAD_PHONE, profile_name="")  # a WhatsApp profile with no name
    day = visit_day(clock.now())

    offer = await ana.say(f"Oi! Posso visitar o AP1501 dia {day:%d/%m} de manhã?")
    said = "\n".join(offer)
    assert "às 9h" in said and "às 10h" in said and "às 11h" in said, said
    assert said.rstrip().endswith("Qual fica melhor para você?")
    lead = await ana.lead()
    assert lead.stage != "handed_off" and not lead.ai_paused  # booking comes first
    assert (await _visit(stack)).status == "proposed"

    mark = len(stack.graph.sent)
    booked = "\n".join(await ana.say("pode ser o primeiro"))
    for fact in (
        "visita marcada",
        "Rua Canário, 120",
        "Moema",
        "Marcos Toledo",
        "documento com foto",
    ):
        assert fact in booked, booked
    visit = await _visit(stack)
    starts = datetime.combine(day, datetime.min.time(), tzinfo=SP).replace(hour=9)
    assert (visit.status, visit.starts_at, visit.user_id) == ("scheduled", starts, broker_id)
    lead = await ana.lead()
    assert (lead.stage, lead.temperature, lead.ai_paused) == ("handed_off", "hot", True)
    # Booked without a name: the confirmation's one question is the visitor's name, and the
    # bare answer is kept while the broker has the lead.
    assert booked.rstrip().endswith("qual é o seu nome completo?"), booked
    assert await ana.say("Ana Souza") == []
    assert (await ana.lead()).name == "Ana Souza"
    async with unit_of_work(stack.container.sessions) as session:
        handoff = await session.get(Handoff, visit.handoff_id)
        alerts = (
            (await session.execute(select(Notification).where(Notification.kind == "visit")))
            .scalars()
            .all()
        )
    assert handoff is not None and handoff.user_id == broker_id
    assert [a.user_id for a in alerts] == [broker_id] and "AP1501" in alerts[0].text
    to_broker = [template_text(b) for b in sent_to(stack, BROKER_PHONE, mark)]
    notice = next(t for t in to_broker if "Nova visita" in t)
    assert f"/visits/{visit.id}.ics?t=" in notice and "AP1501" in notice

    # Reminders: nothing a little before the day before, then once each at the right moments.
    assert await _reminders(stack, clock, starts - timedelta(hours=24, minutes=5)) == []
    mark = len(stack.graph.sent)
    assert await _reminders(stack, clock, starts - timedelta(hours=23, minutes=59)) == [
        "broker_day", "lead_day"
    ]  # fmt: skip
    to_lead = [template_text(b) for b in sent_to(stack, LEAD_PHONE, mark)]
    assert len(to_lead) == 1 and "lembrar da sua visita" in to_lead[0], to_lead
    assert any("visita amanhã" in template_text(b) for b in sent_to(stack, BROKER_PHONE, mark))
    assert await _reminders(stack, clock, starts - timedelta(hours=23)) == []  # sent once
    assert await _reminders(stack, clock, starts - timedelta(hours=1, minutes=59)) == [
        "broker_2h", "lead_2h"
    ]  # fmt: skip

    # The lead is the broker's now, but the calendar is still the assistant's.
    moved_offer = "\n".join(await ana.say("Preciso remarcar a visita"))
    assert moved_offer.rstrip().endswith("Qual fica melhor para você?"), moved_offer
    pending = await _visit(stack)
    offered = [datetime.fromisoformat(s) for s in pending.offered]
    assert pending.status == "scheduled" and len(offered) == 3 and starts not in offered
    mark = len(stack.graph.sent)
    moved = "\n".join(await ana.say("pode ser o primeiro"))
    assert "visita remarcada" in moved, moved
    visit = await _visit(stack)
    assert visit.status == "scheduled" and visit.starts_at == offered[0]
    assert any("remarcada" in template_text(b) for b in sent_to(stack, BROKER_PHONE, mark))

    mark = len(stack.graph.sent)
    cancelled = "\n".join(await ana.say("Quero cancelar a visita, por favor"))
    assert "Cancelei sua visita" in cancelled, cancelled
    assert (await _visit(stack)).status == "cancelled"
    assert any("cancelada" in template_text(b) for b in sent_to(stack, BROKER_PHONE, mark))
    print("\n".join(ana.transcript))
