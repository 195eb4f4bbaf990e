"""A lead's messages over the API: list newest first, send as the broker through the pipeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.api.v1.factories import make_channel, make_lead, make_message
from tests.api.v1.harness import Api


async def test_messages_list_newest_first_in_pages(api: Api) -> None:
    start = datetime(2025, 5, 1, 12, tzinfo=UTC)
    async with api.db() as session:
        lead = await make_lead(session, api.ours.tenant_id, name="Ana")
        for i in range(3):
            await make_message(
                session, lead, f"mensagem {i}", created_at=start + timedelta(minutes=i)
            )
    response = await api.call("GET", f"/api/v1/leads/{lead.id}/messages", params={"per_page": 2})
    body = response.json()
    assert [m["content"] for m in body["items"]] == ["mensagem 2", "mensagem 1"]
    assert (body["total"], body["page"], body["per_page"]) == (3, 1, 2)


async def test_sending_stores_a_pending_broker_message_and_queues_its_sending(api: Api) -> None:
    async with api.db() as session:
        channel = await make_channel(session, api.ours.tenant_id)
        lead = await make_lead(session, api.ours.tenant_id, name="Ana", channel_id=channel.id)
    response = await api.call(
        "POST", f"/api/v1/leads/{lead.id}/messages", json={"text": "  Olá, Ana! Sou o corretor.  "}
    )
    assert response.status_code == 202
    body = response.json()
    assert (body["role"], body["status"], body["content"]) == (
        "broker",
        "pending",
        "Olá, Ana! Sou o corretor.",
    )
    job = await api.scalar(
        "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'vellarys:send_outbound' "
        "AND args->>'message_id' = :id",
        id=body["id"],
    )
    assert job == 1


async def test_sending_bad_input_or_to_an_opted_out_lead_saves_nothing(api: Api) -> None:
    async with api.db() as session:
        channel = await make_channel(session, api.ours.tenant_id)
        lead = await make_lead(session, api.ours.tenant_id, channel_id=channel.id)
        gone = await make_lead(session, api.ours.tenant_id, channel_id=channel.id, opted_out=True)
        no_channel = await make_lead(session, api.ours.tenant_id)
    cases = [
        (lead.id, {"text": "   "}, 422),
        (lead.id, {}, 422),
        (lead.id, {"text": "x" * 4097}, 422),
        (lead.id, {"text": "oi", "to": "+55"}, 422),
        (gone.id, {"text": "oi"}, 409),
        (no_channel.id, {"text": "oi"}, 409),
    ]
    for lead_id, body, status in cases:
        response = await api.call("POST", f"/api/v1/leads/{lead_id}/messages", json=body)
        assert response.status_code == status, (body, response.text)
        assert response.json()["error"]["message"]
    count = "SELECT count(*) FROM messages WHERE tenant_id = :t"
    assert await api.scalar(count, t=api.ours.tenant_id) == 0
