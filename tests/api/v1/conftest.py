"""The REST API on a fresh database: two agencies with a key each, and a client whose every
response is checked against the app's own OpenAPI document."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.v1.factories import make_tenant
from tests.api.v1.harness import Agency, Api
from tests.api.v1.openapi_check import OpenApiChecker
from tests.conftest import (
    TEMPLATE_DB,
    create_database,
    drop_database,
    make_settings,
    worker_database,
)
from vellarys.asgi import create_app
from vellarys.bootstrap import Container, build
from vellarys.db.uow import unit_of_work
from vellarys.services.api_keys import create_api_key


async def _agency(container: Container) -> Agency:
    async with unit_of_work(container.sessions) as session:
        tenant = await make_tenant(session)
        key, plaintext = await create_api_key(session, tenant_id=tenant.id, name="integração")
    return Agency(tenant_id=tenant.id, key=plaintext, key_id=key.id)


@pytest.fixture(scope="session")
def api_database(pg_server: str, template_url: str) -> Iterator[str]:
    """One migrated database for every API test; each test works in agencies of its own,
    so committed rows never meet (and the API commits for real, as in production)."""
    name = worker_database("vellarys_api_v1")
    url = create_database(pg_server, name, template=TEMPLATE_DB)
    yield url
    drop_database(pg_server, name)


@pytest.fixture(scope="session")
def openapi_cache() -> dict[str, Any]:
    """The app's document, fetched once: generating it takes about a second."""
    return {}


@pytest.fixture
async def api(
    api_database: str, tmp_path: Path, openapi_cache: dict[str, Any]
) -> AsyncIterator[Api]:
    container = build(make_settings(api_database, tmp_path))
    app = create_app(container)
    transport = httpx.ASGITransport(app=app)
    if "document" not in openapi_cache:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as plain:
            openapi_cache["document"] = (await plain.get("/openapi.json")).json()
    checker = OpenApiChecker(openapi_cache["document"])

    async def check(response: httpx.Response) -> None:
        if response.request.url.path.startswith("/api/v1/"):
            await response.aread()
            checker.check(
                response.request.method,
                response.request.url.path,
                response.status_code,
                response.content,
                response.headers.get("content-type", ""),
            )

    client = httpx.AsyncClient(
        transport=transport, base_url="http://testserver", event_hooks={"response": [check]}
    )
    try:
        ours, theirs = await _agency(container), await _agency(container)
        yield Api(container=container, client=client, openapi=checker, ours=ours, theirs=theirs)
    finally:
        await client.aclose()
        await container.aclose()
