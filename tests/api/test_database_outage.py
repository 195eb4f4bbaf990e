"""A database outage is a 503 at every edge (webhooks, /api/v1, the dashboard), never a 500,
whatever the driver raised: a refused connect, PostgreSQL starting up, or a shutdown that
begins right behind the login (asyncpg then fails in the middle of the engine's own connect
hook, as the chaos run saw). Then the breaker: while the database is known away, a backlog
of requests gets 503 without each trying to connect; one connect per cooldown probes, and
only one at a time. The faults are real PostgreSQL failures relayed by tests/fakes/database_link.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from bs4 import BeautifulSoup
from sqlalchemy import text

from tests.conftest import make_settings
from tests.fakes.database_link import SHUT_DOWN_AFTER_LOGIN, STARTING_UP, DatabaseLink
from tests.fakes.providers import FakeGraphAPI
from tests.pipeline.harness import Stack, build_stack, meta_text
from vellarys.bootstrap import build
from vellarys.db.models import User
from vellarys.db.uow import unit_of_work
from vellarys.domain.password import hash_password
from vellarys.errors import DatabaseUnavailable
from vellarys.services.api_keys import create_api_key

PASSWORD = "senha-forte-123"


class Ticks:
    """The breaker's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_every_edge_answers_503_through_each_kind_of_outage_and_recovers(
    fresh_database: Callable[[], str], tmp_path: Path
) -> None:
    url = fresh_database()
    with DatabaseLink(url) as link, FakeGraphAPI(access_token="test-token") as graph:
        stack = await build_stack(link.url_text, tmp_path, graph)
        breaker = stack.container.breaker
        breaker.clock = clock = Ticks()
        try:
            key = await _staff(stack)
            edges = _edges(stack, key)
            assert [await call() for call in edges.values()] == [200, 200, 200]

            for failure in ("refused", STARTING_UP, SHUT_DOWN_AFTER_LOGIN):
                for edge, call in edges.items():
                    link.cut(refuse=1) if failure == "refused" else link.fail_next(1, failure)
                    clock.now += breaker.cooldown  # the breaker lets this connect try
                    assert (await call(), edge, failure) == (503, edge, failure)
            # Each request met its fault (not only the breaker): 3 of each kind.
            assert (link.refused, link.failed) == (3, {STARTING_UP: 3, SHUT_DOWN_AFTER_LOGIN: 3})
            assert breaker.state == "open" and breaker.trips >= 1

            # A backlog while the database is known away: 503 at once, not one connect.
            connects, fast = link.connects, breaker.failed_fast
            codes = [
                (await stack.post(meta_text("Oi", wamid=f"w.{i}"))).status_code for i in range(8)
            ]
            assert codes == [503] * 8
            assert (link.connects, breaker.failed_fast - fast) == (connects, 8)

            clock.now += breaker.cooldown  # one probe, which finds the database back
            assert [await call() for call in edges.values()] == [200, 200, 200]
            assert breaker.state == "closed"
            assert (
                await stack.scalar("SELECT count(*) FROM messages") == 2
            )  # Oi twice: before and after
        finally:
            await stack.client.aclose()
            await stack.container.aclose()


def _edges(stack: Stack, key: str) -> dict[str, Callable[[], Awaitable[int]]]:
    """One request per edge; each returns its status after checking a 503's shape."""

    async def webhook() -> int:
        response = await stack.post(meta_text("Oi", wamid=f"wamid.{uuid.uuid4().hex}"))
        return _json_status(response)

    async def api() -> int:
        response = await stack.client.get(
            "/api/v1/leads", headers={"Authorization": f"Bearer {key}"}
        )
        return _json_status(response)

    async def dashboard() -> int:
        response = await stack.client.get("/leads")
        if response.status_code == 503:
            assert "Serviço temporariamente indisponível" in response.text
            assert response.headers["retry-after"]
        return response.status_code

    return {"webhook": webhook, "api": api, "dashboard": dashboard}


def _json_status(response: httpx.Response) -> int:
    if response.status_code == 503:
        assert response.json()["error"]["code"] == "DatabaseUnavailable"
        assert response.headers["retry-after"]
    return response.status_code


async def _staff(stack: Stack) -> str:
    """An API key of the stack's agency, and its admin signed in on the stack's client."""
    async with unit_of_work(stack.container.sessions) as session:
        _, key = await create_api_key(session, tenant_id=stack.tenant_id, name="integração")
        session.add(
            User(
                tenant_id=stack.tenant_id,
                email="gestor@teste.local",
                name="Gestor",
                role="admin",
                password_hash=hash_password(PASSWORD),
            )
        )
    page = BeautifulSoup((await stack.client.get("/login")).text, "html.parser")
    token = page.find("input", attrs={"name": "csrf_token"})
    assert token is not None
    form = {"email": "gestor@teste.local", "password": PASSWORD, "csrf_token": token["value"]}
    assert (await stack.client.post("/login", data=form)).status_code == 303
    return key


async def test_the_breaker_lets_one_probe_through_at_a_time(
    database_url: str, tmp_path: Path
) -> None:
    with DatabaseLink(database_url) as link:
        container = build(make_settings(link.url_text, tmp_path))
        breaker = container.breaker
        breaker.clock = clock = Ticks()

        async def ping() -> int:
            async with unit_of_work(container.sessions) as session:
                return int((await session.execute(text("SELECT 1"))).scalar_one())

        try:
            assert await ping() == 1
            link.cut(refuse=1)
            with pytest.raises(DatabaseUnavailable):
                await ping()
            assert (breaker.state, breaker.trips, link.refused) == ("open", 1, 1)

            link.hold()  # the database answers nothing for now
            clock.now += breaker.cooldown
            connects = link.connects
            probe = asyncio.create_task(ping())
            for _ in range(500):  # until the probe's connect reaches the link
                if link.connects > connects:
                    break
                await asyncio.sleep(0.01)
            assert (breaker.state, link.connects) == ("probing", connects + 1)
            for _ in range(3):  # everyone else fails fast meanwhile
                with pytest.raises(DatabaseUnavailable):
                    await ping()
            assert (link.connects, breaker.failed_fast) == (connects + 1, 3)

            link.release()
            assert await probe == 1
            assert breaker.state == "closed"
            assert [await ping(), await ping()] == [1, 1]
        finally:
            await container.aclose()
