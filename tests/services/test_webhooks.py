"""Outgoing webhooks as services: the SSRF guard at save and at connect time, and the events
staff acts and handoffs raise (only for the endpoints that asked, only in their agency)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.v1.factories import make_lead, make_tenant
from tests.fakes.receiver import WebhookReceiver
from vellarys.bootstrap import Container
from vellarys.db.models import WebhookDelivery
from vellarys.domain.webhook import EVENTS
from vellarys.errors import BadRequest
from vellarys.services import handoff, lead_acts, lgpd, webhooks
from vellarys.services.audit import Actor

KEY = "test-secret"


async def test_private_urls_are_refused_when_saved_and_when_connecting(
    session: AsyncSession,
) -> None:
    tenant = await make_tenant(session)
    for url in ("http://127.0.0.1:9/x", "http://localhost/x", "http://10.0.0.7/x", "file:///x"):
        with pytest.raises(BadRequest):
            await webhooks.add_endpoint(
                session,
                tenant_id=tenant.id,
                url=url,
                events=["lead.created"],
                secret_key=KEY,
                allow_private=False,
            )
    with pytest.raises(BadRequest, match="Eventos desconhecidos"):
        await webhooks.add_endpoint(
            session,
            tenant_id=tenant.id,
            url="https://crm.example/x",
            events=["lead.sold"],
            secret_key=KEY,
            allow_private=False,
        )
    assert await webhooks.list_endpoints(session, tenant.id) == []

    with WebhookReceiver() as receiver:
        plan = webhooks.DeliveryPlan(
            uuid.uuid4(), tenant.id, receiver.url, "lead.created", b"{}", "s"
        )  # saved while private URLs were allowed, sent after they no longer are
        attempt = await webhooks.attempt_delivery(plan, timestamp=0, allow_private=False, seconds=5)
        assert attempt.status is None and attempt.error and "BlockedAddress" in attempt.error
        assert receiver.received == []
        allowed = await webhooks.attempt_delivery(plan, timestamp=0, allow_private=True, seconds=5)
        assert allowed.delivered and len(receiver.received) == 1


async def test_stage_changes_and_handoffs_reach_only_the_endpoints_that_asked(
    session: AsyncSession, container: Container
) -> None:
    ours, theirs = await make_tenant(session), await make_tenant(session)
    for tenant, events in ((ours, ["lead.stage_changed", "lead.handed_off"]), (theirs, None)):
        await webhooks.add_endpoint(
            session,
            tenant_id=tenant.id,
            url="https://crm.example/hook",
            events=events or list(EVENTS),
            secret_key=KEY,
            allow_private=False,
        )
    quiet = await webhooks.add_endpoint(
        session,
        tenant_id=ours.id,
        url="https://crm.example/new",
        events=["lead.created"],
        secret_key=KEY,
        allow_private=False,
    )
    lead = await make_lead(session, ours.id, name="Ana")
    actor = Actor(tenant_id=ours.id)
    await lead_acts.change_stage(session, actor, lead_id=lead.id, stage="qualified")
    await lead_acts.change_stage(session, actor, lead_id=lead.id, stage="qualified")  # no change
    await handoff.hand_off(session, container.pipeline, lead=lead, reason="hot", history=[])

    rows = (await session.execute(select(WebhookDelivery))).scalars().all()
    mine = [d for d in rows if d.tenant_id in (ours.id, theirs.id)]
    assert sorted(d.event for d in mine) == ["lead.handed_off", "lead.stage_changed"]
    assert {d.tenant_id for d in mine} == {ours.id}
    assert all(d.endpoint_id != quiet[0].id for d in mine)
    stage = next(d for d in mine if d.event == "lead.stage_changed")
    assert stage.payload["data"]["previous_stage"] == "new"
    assert stage.payload["data"]["stage"] == "qualified"
    handed = next(d for d in mine if d.event == "lead.handed_off")
    assert handed.payload["data"]["handoff"]["reason"] == "hot"

    # Erasing the lead (LGPD) deletes the webhook bodies that name it and its intake details.
    lead.source_details = {"intakes": [{"email": "ana@example.com"}]}
    await lgpd.erase_lead(session, tenant_id=ours.id, lead_id=lead.id)
    left = (await session.execute(select(WebhookDelivery.tenant_id))).scalars().all()
    assert ours.id not in left and lead.source_details == {}
