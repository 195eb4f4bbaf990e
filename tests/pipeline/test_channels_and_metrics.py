"""Z-API and Evolution webhooks end to end, a human replying from the phone, and /metrics."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from tests.fakes.providers import FakeEvolution, FakeZApi
from tests.pipeline.harness import Stack, meta_text
from vellarys.db.uow import unit_of_work
from vellarys.services.channel import add_channel, webhook_path

PAYLOADS = Path(__file__).resolve().parent.parent / "payloads"


def _payload(provider: str, name: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((PAYLOADS / provider / name).read_text())
    body.update(changes)
    return body


async def _channel(stack: Stack, provider: str, identity: str, **credentials: str) -> str:
    async with unit_of_work(stack.container.sessions) as session:
        channel = await add_channel(
            session,
            tenant_id=stack.tenant_id,
            provider=provider,
            identity=identity,
            credentials=credentials,
            secret_key=stack.container.settings.resolved_secret_key,
            allow_private_urls=True,
        )
    return webhook_path(channel)


async def test_a_zapi_message_is_answered_through_zapi_and_a_phone_reply_pauses_the_ai(
    stack: Stack,
) -> None:
    with FakeZApi(client_token="ct") as zapi:
        instance = "3C4A1B2D5E6F7A8B9C0D1E2F3A4B5C6D"
        url = await _channel(
            stack, "zapi", instance, token="tok", client_token="ct", base_url=zapi.url
        )
        now_ms = int(time.time() * 1000)
        first = _payload("zapi", "text.json", momment=now_ms, messageId="Z1")
        unsigned = await stack.client.post(url, json=first)
        assert unsigned.status_code == 401  # the channel has a client token: it is required
        token = {"client-token": "ct"}
        assert (await stack.client.post(url, json=first, headers=token)).status_code == 200
        await stack.drain()
        assert zapi.sent and zapi.sent[0].headers["client-token"] == "ct"

        # Someone at the agency answers from the phone: Z-API echoes it with fromMe.
        echo = _payload(
            "zapi", "text_from_me.json", momment=now_ms, messageId="Z2", phone=first["phone"]
        )
        assert (await stack.client.post(url, json=echo, headers=token)).status_code == 200
        lead = await stack.lead(
            "+" + first["phone"][:4] + "9" + first["phone"][4:]
            if len(first["phone"]) == 12
            else "+" + first["phone"]
        )
        assert lead is not None and lead.ai_paused
        sent_before = len(zapi.sent)
        again = _payload("zapi", "text.json", momment=now_ms, messageId="Z3")
        await stack.client.post(url, json=again)
        await stack.drain()
        assert len(zapi.sent) == sent_before  # the person has the conversation now
    humans = [m for m in await stack.messages(direction="outbound") if m.role == "broker"]
    assert len(humans) == 1


async def test_an_evolution_message_is_answered_through_evolution(stack: Stack) -> None:
    with FakeEvolution(api_key="evo-key") as evolution:
        body = _payload("evolution", "text_conversation.json")
        body.pop("apikey", None)
        body["data"]["messageTimestamp"] = int(time.time())
        url = await _channel(
            stack, "evolution", body["instance"], api_key="evo-key", base_url=evolution.url
        )
        assert (await stack.client.post(url, json=body)).status_code == 200
        await stack.drain()
        assert evolution.sent
        assert evolution.sent[0].headers["apikey"] == "evo-key"


async def test_metrics_count_webhooks_and_report_the_queue(stack: Stack) -> None:
    await stack.post(meta_text("Oi"))
    await stack.post(meta_text("Oi", wamid="wamid.same"))
    await stack.post(meta_text("Oi", wamid="wamid.same"))
    page = (await stack.client.get("/metrics")).text
    assert 'vellarys_inbound_messages_total{channel="meta",status="duplicates"}' in page
    assert "vellarys_queue_depth" in page
    assert "vellarys_queue_oldest_pending_seconds" in page
    await stack.drain()
    page = (await stack.client.get("/metrics")).text
    assert 'vellarys_outbound_messages_total{channel="meta",status="sent"}' in page
    assert "vellarys_job_duration_seconds_bucket" in page
