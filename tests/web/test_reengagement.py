"""Follow-up settings and the re-engagement page, on parsed HTML against the demo agency."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from tests.web.conftest import Dashboard, soup
from vellarys.db.models import Channel, Lead, Message, Tenant
from vellarys.db.uow import unit_of_work
from vellarys.services import alerts, followups

SETTINGS_FORM = {
    "persona_name": "Bia",
    "agency_name": "Casa Paulista",
    "tone": "cordial e objetivo",
    "handoff_threshold": "70",
    "qualification_enabled": "on",
    "hours_mon_open": "09:00",
    "hours_mon_close": "18:00",
    "hours_tue_open": "09:00",
    "hours_tue_close": "18:00",
    "hours_wed_open": "09:00",
    "hours_wed_close": "18:00",
}
WEDNESDAY_10H = datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("America/Sao_Paulo"))


async def silent_lead(
    dashboard: Dashboard, wrote_at: datetime, name: str = "Carla Dias"
) -> uuid.UUID:
    async with unit_of_work(dashboard.container.sessions) as session:
        channel = (
            (await session.execute(select(Channel).where(Channel.tenant_id == dashboard.tenant_id)))
            .scalars()
            .first()
        )
        assert channel is not None
        lead = Lead(
            id=uuid.uuid4(),
            tenant_id=dashboard.tenant_id,
            channel_id=channel.id,
            phone=f"+55119{uuid.uuid4().int % 10**8:08d}",
            name=name,
            stage="qualifying",
            custom_data={"intent": "buy", "property_type": "house", "neighborhoods": ["Butantã"]},
            last_inbound_at=wrote_at,
            last_message_at=wrote_at,
        )
        session.add(lead)
        await session.flush()
        for role, at in (("user", wrote_at), ("assistant", wrote_at + timedelta(seconds=3))):
            session.add(
                Message(
                    tenant_id=lead.tenant_id,
                    lead_id=lead.id,
                    channel_id=channel.id,
                    role=role,
                    direction="inbound" if role == "user" else "outbound",
                    status="received" if role == "user" else "sent",
                    content="…",
                    created_at=at,
                )
            )
        return lead.id


async def preview(dashboard: Dashboard, at: datetime) -> list[dict[str, object]]:
    async with unit_of_work(dashboard.container.sessions) as session:
        tenant = await session.get(Tenant, dashboard.tenant_id)
        assert tenant is not None
        return await followups.preview(session, tenant=tenant, at=at)


async def test_turning_follow_ups_off_on_the_settings_page_empties_the_preview(
    dashboard: Dashboard,
) -> None:
    await dashboard.login()
    await silent_lead(dashboard, WEDNESDAY_10H - timedelta(days=1, hours=2))
    assert [item["step"] for item in await preview(dashboard, WEDNESDAY_10H)] == [1]
    page = soup(await dashboard.http.get("/settings"))
    assert page.select_one("input[name=follow_up_enabled]").has_attr("checked")  # on in the demo

    form = {**SETTINGS_FORM, "follow_up_count": "2", "follow_up_delays_hours": "20, 40"}
    assert (await dashboard.post("/settings", form, page="/settings")).status_code == 303
    assert await preview(dashboard, WEDNESDAY_10H) == []
    page = soup(await dashboard.http.get("/settings"))
    assert not page.select_one("input[name=follow_up_enabled]").has_attr("checked")
    assert page.select_one("#follow_up_delays_hours")["value"] == "20, 40"

    on = {**form, "follow_up_enabled": "on", "follow_up_delays_hours": "20, 40"}
    assert (await dashboard.post("/settings", on, page="/settings")).status_code == 303
    [item] = await preview(dashboard, WEDNESDAY_10H)
    assert item["step"] == 1  # due 20 h after the last message


async def test_bad_follow_up_settings_are_refused_with_field_messages(dashboard: Dashboard) -> None:
    await dashboard.login()
    form = {
        **SETTINGS_FORM,
        "follow_up_count": "3",
        "follow_up_delays_hours": "48, 24",
        "closed_days": "31/02/2026",
        "timezone": "Lua/Base",
    }
    response = await dashboard.post("/settings", form, page="/settings")
    assert response.status_code == 422
    page = soup(response)
    for name in ("follow_up_delays_hours", "closed_days", "timezone"):
        assert page.select_one(f"[data-error-for='{name}']") is not None, name


async def test_reengagement_page_lists_cancels_and_sends_now(dashboard: Dashboard) -> None:
    await dashboard.login()
    now = datetime.now(UTC)
    lead_id = await silent_lead(dashboard, now - timedelta(hours=2))
    page = soup(await dashboard.http.get("/reengagement"))
    row = page.select_one(f"#scheduled tr[data-lead-id='{lead_id}']")
    assert row is not None and row["data-step"] == "1" and "Butantã" in row.text

    fields = {"lead_id": str(lead_id), "kind": "follow_up", "step": "1"}
    assert (
        await dashboard.post("/reengagement/cancel", fields, page="/reengagement")
    ).status_code == 303
    page = soup(await dashboard.http.get("/reengagement"))
    assert page.select_one(f"#scheduled tr[data-lead-id='{lead_id}']")["data-step"] == "2"
    assert "cancelada" in page.select_one("#recent").text

    fields["step"] = "2"
    assert (
        await dashboard.post("/reengagement/send", fields, page="/reengagement")
    ).status_code == 303
    count = await dashboard.scalar(
        "SELECT count(*) FROM messages WHERE lead_id = :id AND media->>'nudge' = 'follow_up'",
        id=lead_id,
    )
    assert count == 1
    page = soup(await dashboard.http.get("/reengagement"))
    assert page.select_one("#figure-sent").text.strip() == "1"
    stale = await dashboard.post("/reengagement/send", fields, page="/reengagement")
    assert stale.status_code == 303  # already sent: a message, not a second send
    assert (
        await dashboard.scalar(
            "SELECT count(*) FROM messages WHERE lead_id = :id AND media->>'nudge' IS NOT NULL",
            id=lead_id,
        )
        == 1
    )
    bad = await dashboard.post(
        "/reengagement/send", {**fields, "lead_id": "x"}, page="/reengagement"
    )
    assert bad.status_code == 400


async def test_bell_counts_unread_alerts_and_the_page_sets_whatsapp_choices(
    dashboard: Dashboard,
) -> None:
    await dashboard.login()
    await silent_lead(dashboard, datetime.now(UTC) - timedelta(minutes=5), name="Bruno Lima")
    async with unit_of_work(dashboard.container.sessions) as session:
        tenant = await session.get(Tenant, dashboard.tenant_id)
        assert tenant is not None
        assert await alerts.raise_alerts(session, tenant=tenant, now=datetime.now(UTC)) >= 1
    home = soup(await dashboard.http.get("/"))
    assert home.select_one("#bell")["hx-get"] == "/notifications/bell"
    bell = soup(await dashboard.http.get("/notifications/bell"))
    assert int(bell.select_one("#unread").text) >= 1
    page = soup(await dashboard.http.get("/notifications"))
    assert "Bruno Lima" in page.select_one("#notifications").text

    assert (
        await dashboard.post("/notifications/read", {}, page="/notifications")
    ).status_code == 303
    assert soup(await dashboard.http.get("/notifications/bell")).select_one("#unread") is None

    choice = {"alert_hot_lead": "on", "alert_handoff_untaken": "on"}
    assert (
        await dashboard.post("/notifications/preferences", choice, page="/notifications")
    ).status_code == 303
    page = soup(await dashboard.http.get("/notifications"))
    checked = [
        i["name"] for i in page.select("#preferences input[type=checkbox]") if i.has_attr("checked")
    ]
    assert checked == ["alert_hot_lead", "alert_handoff_untaken"]
