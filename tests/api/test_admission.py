"""Providers' posts are admitted a few at a time: while the slots are taken, more posts wait
for their turn without reaching the database (or, past their wait, get 503 Overloaded), and
/health answers meanwhile. A post is held in the app by a real lock: another transaction has
inserted its message id and not committed yet."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from tests.fakes.providers import FakeGraphAPI
from tests.pipeline.harness import Stack, build_stack, meta_text
from vellarys.api.admission import Admission
from vellarys.asgi import create_app
from vellarys.db.models import Lead, Message
from vellarys.db.uow import unit_of_work

HELD = "wamid.held"
PHONE = "5511977776666"


class Rollback(Exception):
    """Ends the blocking transaction without committing it."""


async def test_posts_beyond_the_slots_wait_their_turn_and_health_answers_meanwhile(
    fresh_database: Callable[[], str], tmp_path: Path
) -> None:
    url = fresh_database()
    with FakeGraphAPI(access_token="test-token") as graph:
        # One slot; a post waits up to a minute for it.
        stack = await build_stack(
            url, tmp_path, graph, webhook_concurrency=1, webhook_wait_seconds=60
        )
        # The same deployment with no patience: a post that finds the slot taken is refused.
        impatient = _impatient(stack, webhook_wait_seconds=0)
        try:
            async with _holding(stack):
                held = asyncio.create_task(stack.post(meta_text("Oi", wamid=HELD, phone=PHONE)))
                await _until_waiting_on_locks(stack, 1)
                queued = asyncio.create_task(stack.post(meta_text("Oi", wamid="wamid.queued")))
                admission = _admission(stack)
                await _until(lambda: admission.waiting == 1)  # at the door, not in the app
                health = await stack.client.get("/health")
                assert health.status_code == 200  # answered while the posts wait
                assert (admission.waiting, await _waiting_on_locks(stack)) == (1, 1)

                again = meta_text("Oi", wamid=HELD, phone=PHONE)
                also_held = asyncio.create_task(impatient.post(again))
                await _until_waiting_on_locks(stack, 2)
                refused = await impatient.post(meta_text("Oi", wamid="wamid.refused"))
                assert refused.status_code == 503
                assert refused.json()["error"]["code"] == "Overloaded"
                assert refused.headers["retry-after"]
            # The lock is gone: every post that got in or waited is stored.
            codes = [(await task).status_code for task in (held, queued, also_held)]
            assert codes == [200, 200, 200]
            stored = await stack.scalar(
                "SELECT count(*) FROM messages WHERE external_id IN (:a, :b, :c)",
                a=HELD, b="wamid.queued", c="wamid.refused",
            )  # fmt: skip
            assert stored == 2
        finally:
            await impatient.client.aclose()
            await stack.client.aclose()
            await stack.container.aclose()


@asynccontextmanager
async def _holding(stack: Stack) -> AsyncIterator[None]:
    """A transaction that has inserted HELD's message and commits nothing while it lasts."""
    try:
        async with unit_of_work(stack.container.sessions) as session:
            lead = Lead(id=uuid.uuid4(), tenant_id=stack.tenant_id, phone=f"+{PHONE}")
            session.add(lead)
            await session.flush()
            session.add(
                Message(
                    tenant_id=stack.tenant_id,
                    lead_id=lead.id,
                    channel_id=stack.channel.id,
                    role="user",
                    direction="inbound",
                    status="received",
                    type="text",
                    content="Oi",
                    external_id=HELD,
                    media={},
                )
            )
            await session.flush()
            yield
            raise Rollback
    except Rollback:
        pass


async def _waiting_on_locks(stack: Stack) -> int:
    return int(
        await stack.scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'"
        )
    )


async def _until_waiting_on_locks(stack: Stack, count: int) -> None:
    for _ in range(1000):
        if await _waiting_on_locks(stack) >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"fewer than {count} posts waiting on the lock")


async def _until(check: Callable[[], bool]) -> None:
    for _ in range(1000):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("never happened")


def _admission(stack: Stack) -> Admission:
    """The app's admission middleware (its stack is built by the first request)."""
    transport = stack.client._transport
    assert isinstance(transport, httpx.ASGITransport)
    layer = transport.app.middleware_stack  # type: ignore[attr-defined]
    while not isinstance(layer, Admission):
        layer = layer.app
    return layer


def _impatient(stack: Stack, **settings: object) -> Stack:
    """The same deployment (database, agency, channel) behind an app with other settings."""
    changed = stack.container.settings.model_copy(update=settings)
    app = create_app(dataclasses.replace(stack.container, settings=changed))
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
    return dataclasses.replace(stack, client=client)
