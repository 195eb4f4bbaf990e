"""Two leads choosing the same broker's slot at the same moment: the database's unique key
lets one visit hold it, and the other lead is offered the next free slot. On the same
visits: ``vellarys visits list``, the ``.ics`` file, and the wall between agencies."""

from __future__ import annotations

import asyncio
import json
import subprocess
from datetime import UTC, datetime, timedelta

from icalendar import Calendar
from sqlalchemy import select

from tests.api.v1.factories import make_tenant
from tests.pipeline.harness import Stack
from tests.test_cli import VELLARYS, _env
from tests.visits.stack import Lead_, MovableClock, add_broker, add_listing, use_clock, visit_day
from vellarys.db.models import Lead, Tenant, Visit
from vellarys.db.uow import unit_of_work
from vellarys.domain.conversation import Turn
from vellarys.domain.visit_ics import ics_token
from vellarys.services import visit_calendar, visits

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
            won = await visits.reply_in_chat(
                first, deps, lead=a, text="o primeiro", history=[OFFERED]
            )
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

    await _listed_by_the_cli(stack, a_id, b_id)
    await _ics_files(stack, next(v.id for v in rows if v.lead_id == a_id))


def _cli(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    env = _env(VELLARYS_DATABASE_URL=stack.container.database_url)
    return subprocess.run(
        [*VELLARYS, "visits", "list", *args], env=env, capture_output=True, text=True, check=False
    )


async def _listed_by_the_cli(stack: Stack, a_id: object, b_id: object) -> None:
    async with unit_of_work(stack.container.sessions) as session:
        tenant = await session.get(Tenant, stack.tenant_id)
        other = await make_tenant(session)
        assert tenant is not None
        slug = tenant.slug
        # The other agency's listing of visits is empty, whatever its query asks for.
        assert await visit_calendar.list_visits(session, tenant_id=other.id) == []
        assert await visit_calendar.list_visits(session, tenant_id=other.id, lead_id=a_id) == []  # type: ignore[arg-type]
    listed = _cli(stack, "--tenant", slug, "--json")
    assert listed.returncode == 0, listed.stderr
    items = json.loads(listed.stdout)
    assert {tuple(sorted(item)) for item in items} == {
        ("broker", "id", "lead_id", "property_code", "starts_at", "status")
    }
    assert sorted((i["lead_id"], i["status"]) for i in items) == sorted(
        [(str(a_id), "scheduled"), (str(b_id), "scheduled")]
    )
    assert {i["broker"] for i in items} == {"Marcos Toledo"}
    assert all(i["property_code"] == "AP1501" for i in items)
    one = json.loads(_cli(stack, "--tenant", slug, "--lead", str(b_id), "--json").stdout)
    assert [i["lead_id"] for i in one] == [str(b_id)]


async def _ics_files(stack: Stack, visit_id: object) -> None:
    secret = stack.container.settings.resolved_secret_key
    token = ics_token(secret, visit_id)  # type: ignore[arg-type]
    found = await stack.client.get(f"/visits/{visit_id}.ics?t={token}")
    assert found.status_code == 200 and found.headers["content-type"].startswith("text/calendar")
    [event] = Calendar.from_ical(found.content).walk("VEVENT")
    async with unit_of_work(stack.container.sessions) as session:
        visit = await session.get(Visit, visit_id)
    assert visit is not None
    assert event.decoded("dtstart") == visit.starts_at
    assert event.decoded("dtend") - event.decoded("dtstart") == timedelta(minutes=45)
    assert "AP1501" in str(event["summary"]) and "Rua Canário, 120" in str(event["location"])
    assert str(event["uid"]) == f"{visit_id}@vellarys"
    wrong = await stack.client.get(f"/visits/{visit_id}.ics?t={'0' * 32}")
    assert wrong.status_code == 404
    anonymous = await stack.client.get(f"/visits/{visit_id}.ics")
    assert anonymous.status_code in (302, 303) and "/login" in anonymous.headers["location"]
