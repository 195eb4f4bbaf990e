"""/health/detailed as a supervisor reads it: worker heartbeats, queue depth and oldest job age,
and `degraded` past the thresholds."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg import sql
from sqlalchemy import text
from sqlalchemy.engine import make_url

from tests.conftest import make_settings
from vellarys.asgi import create_app
from vellarys.bootstrap import build
from vellarys.db import queue
from vellarys.db.uow import unit_of_work


async def _detailed(url: str, tmp_path: Path, **settings: Any) -> dict[str, Any]:
    container = build(make_settings(url, tmp_path, **settings))
    try:
        transport = httpx.ASGITransport(app=create_app(container))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            body: dict[str, Any] = (await http.get("/health/detailed")).json()
            return body
    finally:
        await container.aclose()


async def _sql(url: str, tmp_path: Path, statement: str, **params: Any) -> None:
    container = build(make_settings(url, tmp_path))
    try:
        async with unit_of_work(container.sessions) as session:
            if statement == "defer":
                await queue.defer(session, task=queue.INDEX_PROPERTIES, queue="indexing", args={})
            else:
                await session.execute(text(statement), params)
    finally:
        await container.aclose()


async def test_detailed_health_degrades_when_jobs_wait_and_no_worker_is_alive(
    fresh_database: Callable[[], str], tmp_path: Path
) -> None:
    url = fresh_database()
    idle = await _detailed(url, tmp_path)
    assert idle["status"] == "ok", idle["problems"]
    assert idle["workers"]["alive"] == 0 and idle["problems"] == []

    await _sql(url, tmp_path, "defer")
    unworked = await _detailed(url, tmp_path)
    assert unworked["status"] == "degraded"
    assert unworked["problems"] == ["jobs are due and no worker is alive"]
    assert unworked["queue"]["depth"] == 1
    assert unworked["queue"]["oldest_pending_seconds"] is not None

    # The same heartbeat a running procrastinate worker writes.
    await _sql(url, tmp_path, "SELECT procrastinate_register_worker_v1()")
    worked = await _detailed(url, tmp_path, health_queue_age_seconds=3600)
    assert worked["status"] == "ok", worked["problems"]
    assert worked["workers"]["alive"] == 1
    assert worked["workers"]["last_heartbeat_seconds"] is not None

    late = await _detailed(url, tmp_path, health_queue_age_seconds=1e-6)
    assert late["status"] == "degraded"
    assert late["problems"][0].startswith("the oldest due job has waited")


async def test_detailed_health_degrades_when_the_role_cannot_run_jobs(
    pg_server: str, fresh_database: Callable[[], str], tmp_path: Path
) -> None:
    """A role without BYPASSRLS: requests look fine, but jobs, webhooks and `tenant create`
    fail on row-level security. The supervisor must see it."""
    url = fresh_database()
    role = f"nobypass_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        ident = sql.Identifier(role)
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(ident))
        conn.execute(sql.SQL("GRANT vellarys_app TO {}").format(ident))
        conn.execute(
            sql.SQL(
                "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}"
            ).format(ident)
        )
    try:
        as_role = make_url(url).set(username=role).render_as_string(hide_password=False)
        body = await _detailed(as_role, tmp_path)
        assert body["status"] == "degraded"
        assert (
            f"the database role {role} lacks BYPASSRLS: jobs and webhooks fail" in body["problems"]
        )
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))
