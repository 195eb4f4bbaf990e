"""The lean ack path: one round trip for a returning lead's message, and a cached channel that
never writes once it was changed elsewhere."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, text

from tests.pipeline.harness import Stack, count, meta_text
from vellarys.db.models import Lead, Message
from vellarys.db.queue import HANDLE_INBOUND, task_name
from vellarys.db.uow import unit_of_work
from vellarys.domain.secretbox import seal
from vellarys.services.webhooks import add_endpoint

PHONE = "5511977776666"


async def test_a_returning_leads_message_is_stored_and_queued_in_one_round_trip(
    stack: Stack,
) -> None:
    ack_queries: list[str] = []
    orm_statements: list[str] = []
    stack.container.ack_pool.query_loggers.append(lambda q: ack_queries.append(q.query))
    event.listen(
        stack.container.engine.sync_engine,
        "before_cursor_execute",
        lambda _c, _k, statement, *_: orm_statements.append(statement),
    )
    first = await stack.post(meta_text("Oi, procuro um apê", wamid="wamid.A1", phone=PHONE))
    assert first.json()["stored"] == 1
    ack_queries.clear()
    orm_statements.clear()

    second = await stack.post(meta_text("Em Pinheiros", wamid="wamid.A2", phone=PHONE))
    again = await stack.post(meta_text("Em Pinheiros", wamid="wamid.A2", phone=PHONE))

    assert (second.json()["stored"], again.json()["duplicates"]) == (1, 1)
    # One statement per webhook, none through the ORM engine (no ping, BEGIN or COMMIT).
    assert len(ack_queries) == 2 and orm_statements == []
    lead = await stack.lead("+" + PHONE)
    assert lead is not None and lead.name == "Ana Souza"
    stored = await stack.messages(external_id="wamid.A2")
    assert [(m.role, m.status, m.content, m.lead_id) for m in stored] == [
        ("user", "received", "Em Pinheiros", lead.id)
    ]
    assert stored[0].raw_payload is not None and "entry" in stored[0].raw_payload
    jobs = await _jobs(stack)
    assert [(j["queue_name"], j["lock"], j["args"]["message_id"]) for j in jobs] == [
        ("pipeline", f"lead:{lead.id}", str(m.id))
        for m in await stack.messages(direction="inbound")
    ]
    assert [j["priority"] for j in jobs] == [-1, -2]  # the agency's 1st and 2nd this minute
    assert (
        await stack.scalar("SELECT count FROM message_rates WHERE scope = :s", s=f"lead:{lead.id}")
        == 2
    )

    await stack.drain()
    assert await count(stack, Message, direction="outbound") >= 1
    assert await stack.count_jobs(task_name(HANDLE_INBOUND)) == 2


async def _jobs(stack: Stack) -> list[dict[str, Any]]:
    async with unit_of_work(stack.container.sessions) as session:
        rows = await session.execute(
            text("SELECT queue_name, lock, args, priority FROM procrastinate_jobs ORDER BY id")
        )
        return [dict(r._mapping) for r in rows]


async def test_a_channel_changed_elsewhere_is_read_again_before_anything_is_written(
    stack: Stack,
) -> None:
    assert (await stack.post(meta_text("Oi", wamid="wamid.C1", phone=PHONE))).status_code == 200
    assert len(stack.container.channel_cache) == 1
    # Another process rotates the app secret: this process still holds the old one.
    secret_key = stack.container.settings.resolved_secret_key
    await stack.scalar(
        "UPDATE channels SET app_secret = :s WHERE id = :id RETURNING 1",
        s=seal("rotated-secret", secret_key=secret_key),
        id=stack.channel.id,
    )
    old = await stack.post(meta_text("Oi de novo", wamid="wamid.C2", phone=PHONE))
    new = await stack.post(
        meta_text("Oi de novo", wamid="wamid.C3", phone=PHONE), secret="rotated-secret"
    )
    assert (old.status_code, new.status_code) == (401, 200)
    assert [m.external_id for m in await stack.messages()] == ["wamid.C1", "wamid.C3"]

    await stack.scalar(
        "UPDATE channels SET active = false WHERE id = :id RETURNING 1", id=stack.channel.id
    )
    gone = await stack.post(
        meta_text("Alô?", wamid="wamid.C4", phone=PHONE), secret="rotated-secret"
    )
    assert gone.status_code == 404
    assert await count(stack, Message) == 2
    assert await count(stack, Lead) == 1


async def test_an_agency_with_an_outgoing_webhook_hears_of_each_message(stack: Stack) -> None:
    assert (await stack.post(meta_text("Oi", wamid="wamid.H1", phone=PHONE))).status_code == 200
    async with unit_of_work(stack.container.sessions) as session:
        await add_endpoint(
            session,
            tenant_id=stack.tenant_id,
            url="http://127.0.0.1:9/hook",
            events=["message.received"],
            secret_key=stack.container.settings.resolved_secret_key,
            allow_private=True,
        )
    for n, said in enumerate(("Tem garagem?", "E piscina?")):
        answer = await stack.post(meta_text(said, wamid=f"wamid.H{n + 2}", phone=PHONE))
        assert answer.json()["stored"] == 1
    told = await stack.scalar(
        "SELECT string_agg(payload -> 'data' -> 'message' ->> 'text', '|' ORDER BY created_at) "
        "FROM webhook_deliveries WHERE event = 'message.received'"
    )
    assert told == "Tem garagem?|E piscina?"
