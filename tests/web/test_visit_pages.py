"""The visits pages: a broker's weekly availability and blocked times, the calendar week,
the broker's outcome after a visit (a no-show gets one message offering another day), the
agency's visit rules, and the visits on the lead page."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tests.web.conftest import Dashboard, add_lead, soup, user_id
from vellarys.db.models import BrokerSchedule, Channel, Lead, Message, Tenant, Visit
from vellarys.db.uow import unit_of_work
from vellarys.services import visit_notices, visits
from vellarys.services.demo import DEMO_LOGIN

BROKER = "marcos.toledo@demo.local"


async def _past_visit(dashboard: Dashboard, broker: uuid.UUID, hours_ago: int = 3) -> uuid.UUID:
    async with unit_of_work(dashboard.container.sessions) as session:
        channel = (
            (await session.execute(select(Channel).where(Channel.tenant_id == dashboard.tenant_id)))
            .scalars()
            .first()
        )
        assert channel is not None
        now = datetime.now(UTC)
        lead_id = await add_lead(
            dashboard.container,
            dashboard.tenant_id,
            name="Ana Souza",
            channel_id=channel.id,
            last_inbound_at=now - timedelta(hours=5),
        )
        starts = now - timedelta(hours=hours_ago)
        visit = Visit(tenant_id=dashboard.tenant_id, lead_id=lead_id, user_id=broker,
                      property_code="AP1501", status="scheduled", starts_at=starts,
                      ends_at=starts + timedelta(minutes=45))  # fmt: skip
        session.add(visit)
        await session.flush()
        return visit.id


async def test_an_admin_edits_a_brokers_week_and_blocks_and_bad_hours_store_nothing(
    dashboard: Dashboard,
) -> None:
    await dashboard.login()
    broker = await user_id(dashboard.container, BROKER)
    page = soup(await dashboard.http.get(f"/visits/availability/{broker}"))
    assert page.select_one("input[name=day_mon]")["value"] == "09:00-18:00"  # the agency's hours
    path = f"/visits/availability/{broker}"
    bad = await dashboard.post(
        f"{path}/week", {"day_mon": "09:00-12:00", "day_tue": "18-9"}, page=path
    )
    assert bad.status_code == 303
    shown = soup(await dashboard.http.get(path))
    assert "Terça" in shown.select_one(".alert.error").text
    assert await dashboard.scalar("SELECT count(*) FROM broker_schedules") == 0

    days = {"day_mon": "09:00-12:00, 14:00-18:00", "day_sat": "9h-13h"}
    await dashboard.post(f"{path}/week", days, page=path)
    async with unit_of_work(dashboard.container.sessions) as session:
        [stored] = (await session.execute(select(BrokerSchedule))).scalars().all()
    assert stored.week["mon"] == [["09:00", "12:00"], ["14:00", "18:00"]]
    assert stored.week["sat"] == [["09:00", "13:00"]] and stored.week["sun"] == []
    await dashboard.post(
        f"{path}/blocks",
        {"kind": "vacation", "starts_at": "2030-01-02T00:00", "ends_at": "2030-01-12T00:00",
         "note": "Férias de janeiro"},
        page=path,
    )  # fmt: skip
    rows = soup(await dashboard.http.get(path)).select("#blocks tr[data-block-id]")
    assert len(rows) == 1 and "Férias de janeiro" in rows[0].text
    block = rows[0]["data-block-id"]
    backwards = {
        "kind": "appointment",
        "starts_at": "2030-02-02T10:00",
        "ends_at": "2030-02-02T09:00",
    }
    await dashboard.post(f"{path}/blocks", backwards, page=path)
    assert await dashboard.scalar("SELECT count(*) FROM broker_blocks") == 1
    await dashboard.post(f"{path}/blocks/{block}/delete", page=path)
    assert await dashboard.scalar("SELECT count(*) FROM broker_blocks") == 0


async def test_a_broker_records_a_no_show_and_the_lead_gets_one_message_to_reschedule(
    dashboard: Dashboard,
) -> None:
    broker = await user_id(dashboard.container, BROKER)
    missed, liked = await _past_visit(dashboard, broker), await _past_visit(dashboard, broker, 4)
    async with unit_of_work(dashboard.container.sessions) as session:
        visit = await session.get(Visit, missed)
        assert visit is not None
        lead = await session.get(Lead, visit.lead_id)
        assert lead is not None
        await visit_notices.announce(
            session, visit=visit, lead=lead, kind="booked", now=datetime.now(UTC)
        )
    await dashboard.login(BROKER, DEMO_LOGIN[1])
    assert (await dashboard.http.get(f"/visits/availability/{broker}")).status_code == 200
    week = soup(await dashboard.http.get("/visits"))
    cards = week.select("#calendar [data-visit-id]")
    assert {c["data-visit-id"] for c in cards} >= {str(missed), str(liked)}
    assert week.select_one(f'[data-visit-id="{missed}"] form.visit-outcome') is not None
    assert "Visita marcada: Ana Souza — AP1501" in week.select_one("#visit-notices").text
    filtered = soup(await dashboard.http.get("/visits?status=cancelled"))
    assert filtered.select("#calendar [data-visit-id]") == []

    for _ in range(2):  # recorded twice, the lead is written to once
        done = await dashboard.post(
            f"/visits/{missed}/outcome", {"outcome": "no_show", "back": "/visits"}, page="/visits"
        )
        assert done.status_code == 303 and done.headers["location"] == "/visits"
    await dashboard.post(
        f"/visits/{liked}/outcome", {"outcome": "liked", "note": "Quer ver de novo"}, page="/visits"
    )
    async with unit_of_work(dashboard.container.sessions) as session:
        first, second = await session.get(Visit, missed), await session.get(Visit, liked)
        assert first is not None and second is not None
        sent = (
            (
                await session.execute(
                    select(Message).where(
                        Message.lead_id == first.lead_id, Message.direction == "outbound"
                    )
                )
            )
            .scalars()
            .all()
        )
    assert (first.status, first.outcome, first.awaiting) == ("no_show", "no_show", "preference")
    assert (second.status, second.outcome, second.outcome_note) == (
        "done",
        "liked",
        "Quer ver de novo",
    )
    assert (
        len(sent) == 1 and "Sentimos sua falta" in sent[0].content and "AP1501" in sent[0].content
    )
    async with unit_of_work(dashboard.container.sessions) as session:
        lead = await session.get(Lead, first.lead_id)
        assert lead is not None
        again = await visits.reply_in_chat(
            session, dashboard.container.pipeline, lead=lead, text="sim, quero", history=[]
        )
    assert again is not None and again.visit_id != missed  # a new proposal, same listing
    assert again.messages[0].startswith("Ótimo! Tenho estes horários para você visitar o *AP1501*")
    lead_page = soup(await dashboard.http.get(f"/leads/{first.lead_id}"))
    assert lead_page.select_one(f'#visits [data-visit-id="{missed}"]')["data-status"] == "no_show"


async def test_an_admin_sets_the_visit_length_and_a_bad_one_is_refused(
    dashboard: Dashboard,
) -> None:
    await dashboard.login()
    rules = {"visit_minutes": "90", "visit_buffer_minutes": "30", "visit_notice_hours": "4",
             "visit_bring": "RG e comprovante de renda"}  # fmt: skip
    await dashboard.post("/visits/settings", rules, page="/visits")
    await dashboard.post("/visits/settings", {**rules, "visit_minutes": "5"}, page="/visits")
    async with unit_of_work(dashboard.container.sessions) as session:
        tenant = await session.get(Tenant, dashboard.tenant_id)
    assert tenant is not None
    assert (tenant.settings["visit_minutes"], tenant.settings["visit_buffer_minutes"]) == (90, 30)
    assert tenant.settings["visit_bring"] == "RG e comprovante de renda"
    form = soup(await dashboard.http.get("/visits")).select_one("#visit-rules")
    assert form.select_one("input[name=visit_minutes]")["value"] == "90"
