"""`/health` is public; the detailed health, the pool and the metrics answer a client on this
machine or the holder of the operator token, and nobody else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import make_settings
from vellarys.asgi import create_app
from vellarys.bootstrap import Container, build

OPERATOR_ONLY = ("/health/detailed", "/health/pool", "/metrics")
TOKEN = "operator-token-for-tests-0123456789"
REMOTE = ("203.0.113.9", 51000)


@pytest.fixture
async def guarded(database_url: str, tmp_path: Path) -> AsyncIterator[Container]:
    built = build(make_settings(database_url, tmp_path, operator_token=TOKEN))
    yield built
    await built.aclose()


def _client(container: Container, client: tuple[str, int]) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(container), client=client)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_a_remote_client_gets_health_but_not_the_operator_endpoints(
    guarded: Container,
) -> None:
    async with _client(guarded, REMOTE) as http:
        assert (await http.get("/health")).status_code == 200
        for path in OPERATOR_ONLY:
            response = await http.get(path)
            assert response.status_code == 401, path
            assert response.json()["error"]["code"] == "OperatorOnly"
            wrong = await http.get(path, headers={"Authorization": "Bearer not-the-token"})
            assert wrong.status_code == 401, path


async def test_the_operator_token_opens_them_from_anywhere(guarded: Container) -> None:
    async with _client(guarded, REMOTE) as http:
        for path in OPERATOR_ONLY:
            response = await http.get(path, headers={"Authorization": f"Bearer {TOKEN}"})
            assert response.status_code == 200, path


async def test_a_loopback_client_needs_no_token_unless_it_is_a_proxy(guarded: Container) -> None:
    async with _client(guarded, ("127.0.0.1", 40000)) as http:
        for path in OPERATOR_ONLY:
            assert (await http.get(path)).status_code == 200, path
            # A reverse proxy on this machine forwards the internet: not local.
            proxied = await http.get(path, headers={"X-Forwarded-For": "198.51.100.7"})
            assert proxied.status_code == 401, path


async def test_without_a_configured_token_only_local_clients_get_in(
    database_url: str, tmp_path: Path
) -> None:
    container = build(make_settings(database_url, tmp_path))
    try:
        async with _client(container, REMOTE) as http:
            for path in OPERATOR_ONLY:
                response = await http.get(path, headers={"Authorization": "Bearer "})
                assert response.status_code == 401, path
    finally:
        await container.aclose()
