"""Webhook ingest: idempotent, signed, atomic — and nothing written for a request we refuse."""

from __future__ import annotations

import asyncio
import json
import time

from tests.pipeline.harness import Stack, count, meta_status, meta_text
from vellarys.db.models import Lead, Message
from vellarys.db.queue import HANDLE_INBOUND, SEND_OUTBOUND, task_name


async def test_the_same_signed_payload_posted_5_times_at_once_stores_one_message_and_sends_one_reply(
    stack: Stack,
) -> None:
    payload = meta_text("Oi, quero alugar um apartamento em Pinheiros", wamid="wamid.DUP1")
    responses = await asyncio.gather(*(stack.post(payload) for _ in range(5)))
    assert [r.status_code for r in responses] == [200] * 5
    assert sum(r.json()["stored"] for r in responses) == 1
    assert sum(r.json()["duplicates"] for r in responses) == 4

    await stack.drain()
    assert await count(stack, Message, direction="inbound") == 1
    assert await count(stack, Lead) == 1
    assert await stack.count_jobs(task_name(HANDLE_INBOUND)) == 1
    replies = await stack.messages(direction="outbound")
    assert replies and all(m.status == "sent" for m in replies)
    assert len(stack.graph.sent) == len(replies)
    assert await stack.count_jobs(task_name(SEND_OUTBOUND)) == len(replies)


async def test_forged_missing_or_tampered_signatures_are_refused_and_nothing_is_written(
    stack: Stack,
) -> None:
    payload = meta_text("Oi")
    body = json.dumps(payload).encode()
    forged = await stack.post(payload, secret="not-the-secret")
    missing = await stack.post(payload, signature="")
    good_signature = await _signature(stack, body)
    tampered_body = body.replace(b"Oi", b"Ol")
    tampered = await stack.post(tampered_body, signature=good_signature)
    assert [forged.status_code, missing.status_code, tampered.status_code] == [401, 401, 401]
    assert await count(stack, Message) == 0
    assert await count(stack, Lead) == 0
    assert await stack.count_jobs(task_name(HANDLE_INBOUND)) == 0


async def _signature(stack: Stack, body: bytes) -> str:
    import hashlib
    import hmac

    return "sha256=" + hmac.new(b"test-app-secret", body, hashlib.sha256).hexdigest()


async def test_a_malformed_body_is_a_400_with_a_message_and_nothing_written(stack: Stack) -> None:
    response = await stack.post({"object": "whatsapp_business_account", "entry": "nope"})
    assert response.status_code == 400
    assert response.json()["error"]["message"]
    assert await count(stack, Message) == 0


async def test_a_payload_for_another_phone_number_is_refused(stack: Stack) -> None:
    payload = meta_text("Oi")
    payload["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "999"
    response = await stack.post(payload)
    assert response.status_code == 400
    assert await count(stack, Message) == 0


async def test_an_unknown_webhook_key_is_a_404(stack: Stack) -> None:
    response = await stack.client.post("/webhooks/meta/not-a-key", content=b"{}")
    assert response.status_code == 404


async def test_meta_verification_echoes_the_challenge_only_with_the_right_token(
    stack: Stack,
) -> None:
    params = {"hub.mode": "subscribe", "hub.challenge": "12345"}
    ok = await stack.client.get(
        stack.webhook, params=params | {"hub.verify_token": stack.channel.verify_token}
    )
    bad = await stack.client.get(stack.webhook, params=params | {"hub.verify_token": "wrong"})
    assert (ok.status_code, ok.text) == (200, "12345")
    assert bad.status_code == 403


async def test_a_message_older_than_the_outage_limit_is_stored_but_not_answered(
    stack: Stack,
) -> None:
    old = int(time.time()) - 7 * 3600
    response = await stack.post(meta_text("Oi, ainda tem aquele ap?", timestamp=old))
    assert response.json()["stale"] == 1
    await stack.drain()
    assert await count(stack, Message, direction="inbound") == 1
    assert await count(stack, Message, direction="outbound") == 0


async def test_delivery_statuses_only_move_forward(stack: Stack) -> None:
    await stack.post(meta_text("Oi"))
    await stack.drain()
    first = (await stack.messages(direction="outbound"))[0]
    assert first.external_id
    for status in ("read", "delivered", "sent"):
        await stack.post(meta_status(first.external_id, status))
    (after,) = [m for m in await stack.messages(direction="outbound") if m.id == first.id]
    assert after.status == "read"
    assert after.read_at is not None


async def test_the_webhook_answers_503_when_the_database_is_down(stack: Stack) -> None:
    await stack.container.engine.dispose()
    # Point the pool at a socket nobody listens on: the next checkout fails to connect.
    broken = stack.container.engine.url.set(query={"host": "/nonexistent"})
    from vellarys.db.engine import PoolConfig, create_engine, create_sessionmaker

    engine = create_engine(broken.render_as_string(hide_password=False), PoolConfig())
    stack.container.engine, stack.container.sessions = engine, create_sessionmaker(engine)
    response = await stack.post(meta_text("Oi"))
    assert response.status_code == 503
