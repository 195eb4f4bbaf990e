"""The periodic feed sync on the real queue and database, reading a feed over real HTTP."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from pathlib import Path

from procrastinate.exceptions import AlreadyEnqueued
from sqlalchemy import select, update

from tests.fakes.portal import FeedHost
from tests.pipeline.harness import Stack
from vellarys.db.models import ListingFeed, Property
from vellarys.db.uow import unit_of_work
from vellarys.services import feeds
from vellarys.worker import runtime
from vellarys.worker.queue import make_queue

FEED = (Path(__file__).parents[1] / "data" / "vrsync" / "feed.xml").read_bytes()


async def _periodic(stack: Stack) -> None:
    runtime.install(stack.container)
    app = make_queue(stack.container.database_url)
    async with app.open_async():
        with contextlib.suppress(AlreadyEnqueued):
            await app.configure_task("vellarys:sync_listing_feeds").defer_async(timestamp=0)
        await app.run_worker_async(wait=False, install_signal_handlers=False, queues=["indexing"])


async def _feed(stack: Stack) -> ListingFeed:
    async with unit_of_work(stack.container.sessions) as session:
        found = await session.execute(
            select(ListingFeed).where(ListingFeed.tenant_id == stack.tenant_id)
        )
        return found.scalar_one()


async def _configure(stack: Stack, url: str) -> None:
    async with unit_of_work(stack.container.sessions) as session:
        await feeds.configure_feed(
            session,
            tenant_id=stack.tenant_id,
            url=url,
            interval_minutes=60,
            now=stack.container.clock.now(),
        )


async def test_a_due_feed_is_read_once_per_interval_and_its_report_kept(stack: Stack) -> None:
    with FeedHost(FEED) as host:
        await _configure(stack, host.url)
        await _periodic(stack)
        await _periodic(stack)  # the lease holds: not due again for an hour

        assert host.reads == 1
        feed = await _feed(stack)
        assert feed.last_report is not None
        assert (feed.last_report["added"], feed.last_report["rejected_count"]) == (4, 4)
        assert feed.last_report["error"] is None and feed.last_report["source"] == host.url
        assert feed.next_run_at >= stack.container.clock.now() + timedelta(minutes=59)
        async with unit_of_work(stack.container.sessions) as session:
            codes = await session.execute(
                select(Property.code).where(Property.tenant_id == stack.tenant_id)
            )
            assert {"VR-100", "VR-200", "VR-200-L", "VR-300"} <= set(codes.scalars())

        async with unit_of_work(stack.container.sessions) as session:
            await session.execute(
                update(ListingFeed).values(next_run_at=ListingFeed.next_run_at - timedelta(hours=2))
            )
        host.status = 500
        await _periodic(stack)
        assert host.reads == 2
        feed = await _feed(stack)
        assert feed.last_report is not None and "HTTP 500" in feed.last_report["error"]
