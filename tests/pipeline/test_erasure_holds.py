"""An LGPD erasure holds against providers: re-delivering an old webhook of the erased lead is
acknowledged (200) and dropped, never re-creating the lead or its messages."""

from __future__ import annotations

import time

from sqlalchemy import select

from tests.pipeline.harness import Stack, count, meta_text
from vellarys.db.models import Lead, Message
from vellarys.db.uow import unit_of_work
from vellarys.services.lgpd import erase_lead

PHONE = "5511988887777"


async def _erase(stack: Stack, phone: str) -> None:
    async with unit_of_work(stack.container.sessions) as session:
        lead = (
            await session.execute(
                select(Lead).where(Lead.tenant_id == stack.tenant_id, Lead.phone == phone)
            )
        ).scalar_one()
        await erase_lead(session, tenant_id=stack.tenant_id, lead_id=lead.id)


async def test_a_redelivered_webhook_of_an_erased_lead_is_acknowledged_and_dropped(
    stack: Stack,
) -> None:
    sent_at = int(time.time()) - 30
    original = meta_text("Quero alugar em Pinheiros", wamid="wamid.erased-1", timestamp=sent_at)
    assert (await stack.post(original)).status_code == 200
    await _erase(stack, "+" + PHONE)
    assert await count(stack, Message) == 0

    again = await stack.post(original)
    assert again.status_code == 200 and again.json()["ignored"] == 1
    # An older message of the same conversation the provider never delivered before.
    older = await stack.post(meta_text("Tem garagem?", timestamp=sent_at + 5))
    assert older.status_code == 200 and older.json()["ignored"] == 1

    assert await count(stack, Message) == 0
    assert await stack.lead("+" + PHONE) is None
    assert (
        await stack.scalar("SELECT count(*) FROM leads WHERE tenant_id = :t", t=stack.tenant_id)
        == 1
    )  # the anonymized row only


async def test_the_same_person_writing_after_the_erasure_starts_as_a_new_lead(
    stack: Stack,
) -> None:
    assert (await stack.post(meta_text("Oi", timestamp=int(time.time()) - 30))).status_code == 200
    await _erase(stack, "+" + PHONE)
    fresh = await stack.post(meta_text("Oi de novo", timestamp=int(time.time()) + 2))
    assert fresh.status_code == 200 and fresh.json()["stored"] == 1
    lead = await stack.lead("+" + PHONE)
    assert lead is not None and lead.erased_at is None


async def test_only_salted_hashes_of_the_erased_identifiers_are_kept(stack: Stack) -> None:
    await stack.post(meta_text("Oi", wamid="wamid.hash-me", timestamp=int(time.time()) - 30))
    await _erase(stack, "+" + PHONE)
    stored = await stack.scalar(
        "SELECT string_agg(digest, ',') FROM erased_identifiers WHERE tenant_id = :t",
        t=stack.tenant_id,
    )
    assert stored.count(",") == 1  # the phone and the one message id
    assert PHONE not in stored and "wamid" not in stored
    async with unit_of_work(stack.container.sessions) as session:
        raw = await session.execute(select(Message.id))
        assert raw.first() is None
