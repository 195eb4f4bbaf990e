"""The demo agency, seeded and indexed once, cloned for each test that converses with it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from tests.conftest import (
    DEMO_INDEXED_TEMPLATE,
    build_once,
    create_database,
    database_url_for,
    drop_database,
    drop_shared,
    make_settings,
    shared_database,
)
from tests.fakes.providers import FakeGraphAPI
from tests.pipeline.harness import APP_SECRET, FAST, PHONE_NUMBER_ID, Stack
from vellarys.asgi import create_app
from vellarys.bootstrap import build
from vellarys.db.queries.tenant import by_slug
from vellarys.db.uow import unit_of_work
from vellarys.services.channel import add_channel

DEMO_TEMPLATE = shared_database("vellarys_demo_template")


async def _open_all_hours(url: str, tmp: Path) -> None:
    container = build(make_settings(url, tmp))
    try:
        async with unit_of_work(container.sessions) as session:
            tenant = await by_slug(session, "demo")
            assert tenant is not None
            # Tests converse at any hour of the day: with no hours set the clone is always
            # open, so a handoff notifies its broker at once. Hours have fixed-clock tests.
            tenant.settings = {
                key: value for key, value in tenant.settings.items() if key != "business_hours"
            }
            # Everything is embedded already: the indexing jobs the import queued have no work.
            await session.execute(text("DELETE FROM procrastinate_jobs"))
    finally:
        await container.aclose()


@pytest.fixture(scope="session")
async def demo_template(
    pg_server: str, demo_indexed_template: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """The seeded and embedded demo (one embedding per run, shared with the CLI tests), open
    at all hours and with no job queued."""
    with build_once(pg_server, DEMO_TEMPLATE) as build:
        if build:
            url = create_database(pg_server, DEMO_TEMPLATE, template=DEMO_INDEXED_TEMPLATE)
            await _open_all_hours(url, tmp_path_factory.mktemp("demo"))
    yield database_url_for(pg_server, DEMO_TEMPLATE)
    drop_shared(pg_server, DEMO_TEMPLATE)


@pytest.fixture
def graph() -> Iterator[FakeGraphAPI]:
    with FakeGraphAPI(access_token="test-token") as fake:
        yield fake


@pytest.fixture
async def demo(
    pg_server: str, demo_template: str, tmp_path: Path, graph: FakeGraphAPI
) -> AsyncIterator[Stack]:
    """A full stack on a fresh copy of the indexed demo agency, with a Meta channel."""
    name = f"vellarys_d_{uuid.uuid4().hex[:12]}"
    url = create_database(pg_server, name, template=DEMO_TEMPLATE)
    container = build(make_settings(url, tmp_path, meta_graph_url=graph.url, **FAST))
    async with unit_of_work(container.sessions) as session:
        tenant = await by_slug(session, "demo")
        assert tenant is not None
        channel = await add_channel(
            session,
            tenant_id=tenant.id,
            provider="meta",
            identity=PHONE_NUMBER_ID,
            credentials={"access_token": "test-token", "app_secret": APP_SECRET},
            secret_key=container.settings.resolved_secret_key,
            allow_private_urls=True,
        )
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(container)), base_url="http://testserver"
    )
    yield Stack(container, client, graph, tenant.id, channel)
    await client.aclose()
    await container.aclose()
    drop_database(pg_server, name)
