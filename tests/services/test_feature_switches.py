"""Each feature switch the operator sets per agency is read by the code path it names: turned
off, that path does nothing for that agency (the LLM brain's switch is tested through the
pipeline in tests/pipeline/test_plan_limits.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.v1.factories import make_lead, make_message
from tests.conftest import make_settings
from tests.fakes.transcription import FakeTranscription
from tests.services.test_followups import agency, at, silent_lead
from vellarys.bootstrap import build
from vellarys.db.models import ListingFeed, WebhookDelivery
from vellarys.domain import features
from vellarys.services import feeds, followups, media, webhooks


def _off(name: str) -> dict[str, bool]:
    return {**features.switched(set(features.NAMES)), name: False}


async def test_follow_ups_switched_off_plans_nothing(session: AsyncSession) -> None:
    tenant = await agency(session)
    await silent_lead(session, tenant, at(2026, 11, 30, 10, 0))
    now = at(2026, 12, 1, 10, 1)
    assert len(await followups.plan(session, tenant=tenant, now=now, until=now)) == 1
    tenant.features = _off(features.FOLLOW_UPS)
    assert await followups.plan(session, tenant=tenant, now=now, until=now) == []
    assert await followups.send_due(session, tenant=tenant, now=now) == []


async def test_feeds_switched_off_are_never_claimed(session: AsyncSession) -> None:
    tenant = await agency(session)
    long_ago = datetime(2000, 1, 1, tzinfo=UTC)
    session.add(ListingFeed(tenant_id=tenant.id, url="https://portal.example/feed.xml"))
    await session.flush()
    feed = (
        await session.execute(select(ListingFeed).where(ListingFeed.tenant_id == tenant.id))
    ).scalar_one()
    feed.next_run_at = long_ago
    tenant.features = _off(features.FEEDS)
    await session.flush()
    now = datetime.now(UTC)
    claimed = await feeds.claim_due_feed(session, now=now)
    assert claimed is None or claimed.tenant_id != tenant.id
    await session.refresh(feed)
    assert feed.next_run_at == long_ago  # not leased either
    tenant.features = {}
    await session.flush()
    claimed = await feeds.claim_due_feed(session, now=now)
    assert claimed is not None and claimed.tenant_id == tenant.id


async def test_outgoing_webhooks_switched_off_queue_nothing(session: AsyncSession) -> None:
    tenant = await agency(session)
    await webhooks.add_endpoint(
        session,
        tenant_id=tenant.id,
        url="https://crm.example/hook",
        events=["lead.stage_changed"],
        secret_key="k",
        allow_private=False,
    )
    lead = await make_lead(session, tenant.id, name="Ana")
    tenant.features = _off(features.WEBHOOKS)
    await session.flush()
    assert await webhooks.announce_stage(session, lead, before="qualifying") == 0
    tenant.features = {}
    await session.flush()
    assert await webhooks.announce_stage(session, lead, before="qualifying") == 1
    queued = await session.execute(
        select(WebhookDelivery).where(WebhookDelivery.tenant_id == tenant.id)
    )
    assert len(queued.scalars().all()) == 1


async def test_voice_switched_off_keeps_the_note_untranscribed(
    session: AsyncSession, database_url: str, tmp_path: Path
) -> None:
    tenant = await agency(session)
    lead = await make_lead(session, tenant.id, name="Ana")
    note = await make_message(session, lead, "")
    note.type = "audio"
    tenant.features = _off(features.VOICE)
    await session.flush()
    plan = await media.plan_fetch(session, message_id=note.id)
    assert plan is not None and plan.voice is False
    with FakeTranscription(text="dois quartos em Pinheiros") as fake:
        container = build(
            make_settings(database_url, tmp_path, transcription_base_url=fake.base_url)
        )
        try:
            deps = container.pipeline
            args = {"kind": "audio", "data": b"OggS", "content_type": "audio/ogg", "prompt": ""}
            assert await media.read_file(deps, voice=plan.voice, **args) is None
            assert fake.calls == []
            tenant.features = {}
            await session.flush()
            plan = await media.plan_fetch(session, message_id=note.id)
            assert plan is not None and plan.voice is True
            read = await media.read_file(deps, voice=plan.voice, **args)
            assert read is not None and read.text.strip() == "dois quartos em Pinheiros"
        finally:
            await container.aclose()
