"""Leads from outside WhatsApp and the agency's webhooks, on the real queue and database:
a portal's post greeted through a Meta template once, an ad's referral kept, and outgoing
webhooks signed, retried after the receiver fails, and never sent to another agency."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.fakes.providers import FakeGraphAPI
from tests.fakes.receiver import WebhookReceiver
from tests.pipeline.harness import Stack, build_stack, meta_text
from tests.pipeline.periodic import run_periodic
from vellarys.db.models import Lead, Property, Tenant, WebhookDelivery
from vellarys.db.uow import unit_of_work
from vellarys.domain.webhook import EVENTS, verify
from vellarys.services import portal_leads, templates, webhooks

PAYLOADS = Path(__file__).parents[1] / "payloads" / "meta"
PORTAL_POST = {
    "leadOrigin": "VivaReal",
    "timestamp": "2026-11-29T10:15:30.619Z",
    "originLeadId": "59ee0fc6e4b043e1b2a6d863",
    "originListingId": "87027856",
    "clientListingId": "AP-101",
    "name": "Ana Souza",
    "email": "ana@example.com",
    "ddd": "41",
    "phone": "999991234",
    "message": "Olá, tenho interesse neste imóvel.",
}


@pytest.fixture
async def stack(
    fresh_database: Callable[[], str], tmp_path: Path, graph: FakeGraphAPI
) -> AsyncIterator[Stack]:
    built = await build_stack(fresh_database(), tmp_path, graph, webhook_retry_base_seconds=0.01)
    yield built
    await built.client.aclose()
    await built.container.aclose()


async def _portal(stack: Stack) -> tuple[str, str]:
    async with unit_of_work(stack.container.sessions) as session:
        intake, secret = await portal_leads.make_portal_secret(session, tenant_id=stack.tenant_id)
        await templates.add_template(
            session,
            tenant_id=stack.tenant_id,
            channel_id=stack.channel.id,
            name="primeiro_contato",
            language="pt_BR",
            purpose="first_contact",
            variables=["lead_name", "listing", "origin"],
        )
        session.add(
            Property(
                tenant_id=stack.tenant_id,
                code="AP-101",
                title="Apartamento 2 quartos",
                property_type="apartment",
                transaction="sale",
                price=Decimal("750000"),
                neighborhood="Batel",
                city="Curitiba",
                state="PR",
            )
        )
        return portal_leads.portal_path(intake), secret


def _basic(secret: str, user: str = "vivareal") -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()}


async def test_a_portal_lead_posted_twice_is_one_lead_greeted_once_by_template(
    stack: Stack,
) -> None:
    path, secret = await _portal(stack)
    refused = [
        await stack.client.post(path, json=PORTAL_POST),
        await stack.client.post(path, json=PORTAL_POST, headers=_basic("wrong")),
        await stack.client.post("/portal-leads/nope", json=PORTAL_POST, headers=_basic(secret)),
        await stack.client.post(
            path, json={**PORTAL_POST, "clientListingId": ""}, headers=_basic(secret)
        ),
        await stack.client.post(path, content=b"{not json", headers=_basic(secret)),
    ]
    assert [r.status_code for r in refused] == [401, 401, 404, 400, 400]
    assert "clientListingId" in refused[3].json()["error"]["message"]
    assert await stack.scalar("SELECT count(*) FROM leads") == 0

    for _ in range(2):
        posted = await stack.client.post(path, json=PORTAL_POST, headers=_basic(secret))
        assert posted.status_code == 200, posted.text
    assert posted.json()["replayed"] and not posted.json()["created"]
    assert posted.json()["listing_found"] and not posted.json()["first_message"]
    await stack.drain()

    lead = await stack.lead("+5541999991234")
    assert lead is not None and lead.source == "portal:vivareal" and lead.name == "Ana Souza"
    intake = lead.source_details["intakes"][0]
    assert (
        intake["listing_code"] == "AP-101"
        and intake["portal_lead_id"] == PORTAL_POST["originLeadId"]
    )
    sends = [r.body for r in stack.graph.sent if r.path.endswith("/messages")]
    assert len(sends) == 1 and sends[0]["type"] == "template"
    assert sends[0]["template"]["name"] == "primeiro_contato"
    values = [p["text"] for p in sends[0]["template"]["components"][0]["parameters"]]
    assert values[0] == "Ana" and "AP-101" in values[1] and values[2] == "VivaReal"
    [message] = await stack.messages(direction="outbound")
    assert message.status == "sent" and "Apartamento 2 quartos" in message.content


async def _endpoint(stack: Stack, tenant_id: uuid.UUID, url: str, events: list[str]) -> str:
    async with unit_of_work(stack.container.sessions) as session:
        _, secret = await webhooks.add_endpoint(
            session,
            tenant_id=tenant_id,
            url=url,
            events=events,
            secret_key=stack.container.settings.resolved_secret_key,
            allow_private=True,
        )
    return secret


async def test_webhooks_are_signed_retried_after_a_failure_and_stay_in_their_agency(
    stack: Stack,
) -> None:
    other = uuid.uuid4()
    async with unit_of_work(stack.container.sessions) as session:
        session.add(Tenant(id=other, slug=f"outra-{other.hex[:6]}", name="Outra"))
    with WebhookReceiver([500]) as ours, WebhookReceiver() as theirs:
        ours.secret = await _endpoint(
            stack, stack.tenant_id, ours.url, ["lead.created", "message.received"]
        )
        theirs.secret = await _endpoint(stack, other, theirs.url, list(EVENTS))
        ad = json.loads((PAYLOADS / "text_from_ad.json").read_text())
        assert (await stack.post(ad)).status_code == 200
        await stack.drain()

        lead = await stack.lead("+5541999998888")
        assert lead is not None and lead.source == "ad"
        assert lead.campaign == "Apartamento 3 quartos no Batel"
        referral = lead.source_details["referral"]
        assert referral["ctwa_clid"] == "ARAkLkA8rmlFeiCktEJQ"
        assert referral["source_url"] == "https://fb.me/3Xk9aBcDe"

        assert theirs.received == []
        assert all(r.signed for r in ours.received)
        statuses = {}
        for r in ours.received:
            statuses.setdefault(r.event["type"], []).append(r.status)
        assert statuses == {"lead.created": [500, 200], "message.received": [200]}
        created = next(r for r in ours.received if r.status == 200 and "phone" in r.event["data"])
        assert created.event["data"]["source"] == "ad"
        assert created.headers["vellarys-event"] == "lead.created"
        forged = created.body.replace(b'"ad"', b'"site"')
        stamp = int(created.headers["vellarys-signature"].split(",")[0].removeprefix("t="))
        header = created.headers["vellarys-signature"]
        assert verify(ours.secret, created.body, header, now=stamp)
        assert not verify(ours.secret, forged, header, now=stamp)
        assert not verify(ours.secret, created.body, header, now=stamp + 3600)  # a replay

    async with unit_of_work(stack.container.sessions) as session:
        rows = (await session.execute(select(WebhookDelivery))).scalars().all()
        assert {(d.event, d.status, d.attempts, d.response_status) for d in rows} == {
            ("lead.created", "delivered", 2, 200),
            ("message.received", "delivered", 1, 200),
        }
        assert {d.tenant_id for d in rows} == {stack.tenant_id}
        assert (await session.execute(select(Lead.tenant_id))).scalars().all() == [stack.tenant_id]
        old = next(d for d in rows if d.event == "message.received")
        old.created_at = old.created_at - timedelta(days=31)
    assert await run_periodic(stack, "prune_webhook_deliveries") == "succeeded"
    assert await stack.scalar("SELECT count(*) FROM webhook_deliveries") == 1  # the recent one


async def test_the_assistants_answer_raises_stage_hot_and_handoff_events(stack: Stack) -> None:
    with WebhookReceiver() as receiver:
        events = ["lead.stage_changed", "lead.hot", "lead.handed_off"]
        receiver.secret = await _endpoint(stack, stack.tenant_id, receiver.url, events)
        text = (
            "Oi, sou a Ana. Quero comprar um apartamento de 3 quartos em Moema, São Paulo, "
            "até 900 mil, pagamento à vista, para este mês. Quero falar com um corretor."
        )
        assert (await stack.post(meta_text(text))).status_code == 200
        await stack.drain()
    kinds = [r.event["type"] for r in receiver.received]
    assert "lead.stage_changed" in kinds and "lead.handed_off" in kinds and "lead.hot" in kinds, (
        kinds
    )
    assert all(r.signed and r.status == 200 for r in receiver.received)
