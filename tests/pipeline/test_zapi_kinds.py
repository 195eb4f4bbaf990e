"""Z-API's other message kinds through the real webhook, queue and worker: calls (answered by
message, a broker asked to call back in business hours), a live location, ad data."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import update

from tests.fakes.providers import FakeZApi
from tests.pipeline.harness import Stack
from tests.web.conftest import Dashboard, soup
from vellarys.db.models import Tenant, User
from vellarys.db.uow import unit_of_work
from vellarys.domain import phrases
from vellarys.domain.business_hours import DAYS
from vellarys.domain.password import hash_password
from vellarys.services import calls
from vellarys.services.channel import add_channel, webhook_path

PAYLOADS = Path(__file__).resolve().parent.parent / "payloads" / "zapi"
INSTANCE = "3C4A1B2D5E6F7A8B9C0D1E2F3A4B5C6D"
LEAD = "+5541999998888"
BROKER_PHONE = "5541988880000"
PASSWORD = "senha-forte-123"


def _payload(name: str, message_id: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((PAYLOADS / name).read_text())
    body.update(momment=int(time.time() * 1000), messageId=message_id)
    return body


async def _closed_today(stack: Stack, closed: bool) -> None:
    """Closed: every day's hours, but today (and the days around it, for any time zone) off.
    Open: no hours configured, so always open."""
    today = datetime.now(ZoneInfo("America/Sao_Paulo")).date()
    settings: dict[str, Any] = {"persona_name": "Bia"}
    if closed:
        settings["business_hours"] = {day: ["00:00", "23:59"] for day in DAYS}
        settings["closed_days"] = [str(today + timedelta(days=n)) for n in (-1, 0, 1)]
    async with unit_of_work(stack.container.sessions) as session:
        await session.execute(
            update(Tenant).where(Tenant.id == stack.tenant_id).values(settings=settings)
        )


async def test_zapi_calls_live_locations_and_ad_data_are_stored_and_answered(
    stack: Stack,
) -> None:
    with FakeZApi() as zapi:
        async with unit_of_work(stack.container.sessions) as session:
            session.add(
                User(
                    tenant_id=stack.tenant_id,
                    email="bia@zapi.local",
                    name="Bia Corretora",
                    role="broker",
                    phone="+" + BROKER_PHONE,
                    password_hash=hash_password(PASSWORD),
                )
            )
            channel = await add_channel(
                session,
                tenant_id=stack.tenant_id,
                provider="zapi",
                identity=INSTANCE,
                credentials={"token": "tok", "base_url": zapi.url},
                secret_key=stack.container.settings.resolved_secret_key,
                allow_private_urls=True,
            )

        async def send(name: str, message_id: str) -> list[str]:
            before = len(zapi.sent)
            response = await stack.client.post(
                webhook_path(channel), json=_payload(name, message_id)
            )
            assert response.status_code == 200, response.text
            await stack.drain()
            return [str(r.body["message"]) for r in zapi.sent[before:]]

        # The agency is closed today: a call that rang is only recorded; a missed one is
        # answered by message, and the assistant keeps the conversation.
        await _closed_today(stack, closed=True)
        assert await send("call_received.json", "Z1") == []
        assert await send("call_missed.json", "Z2") == [phrases.CALL_MISSED_CLOSED]
        lead = await stack.lead(LEAD)
        assert lead is not None and not lead.ai_paused

        # A lead from a click-to-WhatsApp ad becomes an ad lead, the ad's headline its campaign.
        assert await send("text_from_ad.json", "Z3")
        lead = await stack.lead(LEAD)
        assert lead is not None and (lead.source, lead.campaign) == ("ad", "Apartamentos no Batel")
        assert lead.source_details["referral"]["source_id"] == "23722824350495506"

        # A live location is a location, coordinates kept.
        assert await send("live_location.json", "Z4")

        # Open hours: a missed call asks a broker to call back, and the assistant steps aside.
        await _closed_today(stack, closed=False)
        sent = await send("call_missed.json", "Z5")
        # The lead's answer and the broker's notice are sent by jobs of their own: either may
        # reach the provider first (the broker's did on an external server).
        assert phrases.CALL_MISSED_OPEN in sent
        lead = await stack.lead(LEAD)
        assert lead is not None and lead.ai_paused
        reason = await stack.scalar("SELECT reason FROM handoffs WHERE lead_id = :id", id=lead.id)
        assert reason == "requested"
        # The broker hears of it on WhatsApp, through the same instance.
        to_broker = [r.body for r in zapi.sent if r.body["phone"] == BROKER_PHONE]
        assert len(to_broker) == 1 and calls.BROKER_NOTE in to_broker[0]["message"]

        # The broker sees the missed call in the conversation.
        dashboard = Dashboard(stack.container, stack.tenant_id, stack.client)
        assert (await dashboard.login("bia@zapi.local", PASSWORD)).status_code == 303
        page = soup(await stack.client.get(f"/leads/{lead.id}"))
        calls_shown = [c.text for c in page.select(".msg .call")]
        assert calls_shown == [
            "📞 Ligação recebida pelo WhatsApp",
            *["📞 Ligação perdida pelo WhatsApp"] * 2,
        ]

    stored = {m.external_id: m for m in await stack.messages(direction="inbound")}
    assert stored["Z1"].type == "call" and stored["Z1"].media["call"] == "received"
    assert stored["Z2"].type == "call" and stored["Z2"].media["call"] == "missed"
    location = stored["Z4"]
    assert location.type == "location" and location.media["live"] is True
    assert (location.media["latitude"], location.media["longitude"]) == (-25.4425, -49.2904)
