"""The operator's health endpoints, against a real database and a real pool."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from tests.conftest import make_settings
from vellarys.asgi import create_app
from vellarys.bootstrap import Container, build


@pytest.fixture
async def small_pool(database_url: str, tmp_path: Path) -> AsyncIterator[Container]:
    # Capacity 10 makes the thresholds land on whole connections: 9 -> 90 %, 10 -> 100 %.
    built = build(make_settings(database_url, tmp_path, db_pool_size=5, db_max_overflow=5))
    yield built
    await built.aclose()


def _client(container: Container) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(container))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_health_reports_ok_with_a_database_round_trip(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["status"] == "ok"


async def test_health_pool_has_exactly_the_documented_shape(client: httpx.AsyncClient) -> None:
    body = (await client.get("/health/pool")).json()
    assert set(body) == {
        "status",
        "timestamp",
        "configuration",
        "current_state",
        "usage",
        "recommendations",
    }
    assert body["configuration"] == {
        "pool_size": 10,
        "max_overflow": 20,
        "pool_timeout_seconds": 10,
        "pool_recycle_seconds": 1800,
    }
    assert set(body["current_state"]) == {"checked_out", "overflow_count", "total_capacity"}
    assert body["current_state"]["total_capacity"] == 30
    assert set(body["usage"]) == {"percent", "available_connections", "status"}
    assert body["timestamp"].endswith("Z")


async def _hold(stack: AsyncExitStack, container: Container, count: int) -> None:
    for _ in range(count):
        conn = await stack.enter_async_context(container.engine.connect())
        await conn.execute(text("SELECT 1"))


@pytest.mark.parametrize(
    ("held", "status", "usage", "advice"),
    [
        (3, "ok", "healthy", False),
        (8, "ok", "healthy", False),  # exactly 80 % is not above it
        (9, "ok", "warning", True),
        (10, "degraded", "critical", True),
    ],
)
async def test_health_pool_counts_held_connections_and_turns_warning_then_degraded(
    small_pool: Container, held: int, status: str, usage: str, advice: bool
) -> None:
    async with AsyncExitStack() as stack, _client(small_pool) as http:
        await _hold(stack, small_pool, held)
        body = (await http.get("/health/pool")).json()
    assert body["current_state"]["checked_out"] == held
    assert body["current_state"]["overflow_count"] == max(0, held - 5)
    assert body["usage"]["percent"] == held * 10.0
    assert body["usage"]["available_connections"] == 10 - held
    assert body["usage"]["status"] == usage
    assert body["status"] == status
    assert bool(body["recommendations"]) is advice


async def test_health_detailed_reports_database_pgvector_migrations_and_queue(
    client: httpx.AsyncClient,
) -> None:
    body = (await client.get("/health/detailed")).json()
    assert body["status"] == "ok"
    assert body["database"]["pgvector"]
    assert body["migrations"]["at_head"] is True
    assert body["queue"]["depth"] >= 0
    assert {"pool", "embedder", "llm", "version", "uptime_seconds"} <= set(body)


async def test_health_answers_503_with_a_clear_body_when_the_database_is_unreachable(
    tmp_path: Path,
) -> None:
    url = f"postgresql://postgres:@/nowhere?host={tmp_path}"  # no server listens there
    unreachable = build(make_settings(url, tmp_path))
    try:
        async with _client(unreachable) as http:
            response = await http.get("/health")
            detailed = await http.get("/health/detailed")
    finally:
        await unreachable.aclose()
    assert response.status_code == 503
    assert response.json()["status"] == "error"
    assert response.json()["database"]["status"] == "unreachable"
    assert response.json()["database"]["error"]
    assert detailed.status_code == 503


async def test_health_answers_from_its_own_connection_when_the_pool_is_exhausted(
    small_pool: Container,
) -> None:
    """After an outage, a backlog of webhooks holds every pooled connection: the probe still
    reaches the database (and reports the pool), instead of queueing behind them."""
    async with AsyncExitStack() as stack, _client(small_pool) as http:
        await _hold(stack, small_pool, 10)
        response = await http.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["database"]["status"] == "ok"
    assert body["status"] == "degraded" and body["pool"] == "critical"
