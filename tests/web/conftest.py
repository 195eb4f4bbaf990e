"""Dashboard fixtures: a fresh database with the demo agency, an HTTP client that keeps the
session cookie, and helpers to sign in, read CSRF tokens and drain the job queue."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from bs4 import BeautifulSoup
from sqlalchemy import text

from tests.conftest import (
    TEMPLATE_DB,
    build_once,
    create_database,
    database_url_for,
    drop_database,
    drop_shared,
    make_settings,
    shared_database,
)
from vellarys.asgi import create_app
from vellarys.bootstrap import Container, build
from vellarys.db.models import Lead, Tenant, User
from vellarys.db.queries.tenant import by_slug
from vellarys.db.uow import unit_of_work
from vellarys.domain.password import hash_password
from vellarys.services.demo import DEMO_LOGIN, DEMO_SLUG, seed_demo
from vellarys.worker import runtime
from vellarys.worker.queue import make_queue
from vellarys.worker.runner import observe_job

FAST = {"debounce_seconds": 0.0, "send_pace_seconds": 0.0, "send_retry_base_seconds": 0.05}
PASSWORD = "senha-forte-123"
ALL_QUEUES = ("pipeline", "outbound", "indexing", "webhooks")


def soup(response: httpx.Response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def csrf_of(response: httpx.Response) -> str:
    field = soup(response).find("input", attrs={"name": "csrf_token"})
    assert field is not None, "the page has no CSRF field"
    return str(field["value"])


@dataclass
class Dashboard:
    container: Container
    tenant_id: uuid.UUID
    http: httpx.AsyncClient

    async def login(
        self, email: str = DEMO_LOGIN[0], password: str = DEMO_LOGIN[1]
    ) -> httpx.Response:
        page = await self.http.get("/login")
        return await self.http.post(
            "/login", data={"email": email, "password": password, "csrf_token": csrf_of(page)}
        )

    async def post(
        self,
        path: str,
        data: dict[str, Any] | None = None,
        *,
        page: str = "/",
        files: dict[str, Any] | None = None,
    ) -> httpx.Response:
        """POST a form with the CSRF token the signed-in user got on ``page``."""
        token = csrf_of(await self.http.get(page))
        return await self.http.post(path, data={**(data or {}), "csrf_token": token}, files=files)

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with unit_of_work(self.container.sessions) as session:
            return (await session.execute(text(sql), params)).scalar()

    async def drain(self, seconds: float = 300, queues: tuple[str, ...] = ALL_QUEUES) -> None:
        await drain_jobs(self.container, seconds=seconds, queues=queues)


async def drain_jobs(
    container: Container, *, seconds: float = 300, queues: tuple[str, ...] = ALL_QUEUES
) -> None:
    """Run the worker in this process until no job of ``queues`` is waiting or running."""
    runtime.install(container)
    queue = make_queue(container.database_url)
    deadline = time.monotonic() + seconds
    async with queue.open_async():
        while True:
            await queue.run_worker_async(
                wait=False,
                install_signal_handlers=False,
                concurrency=2,
                queues=list(queues),
                worker_middleware=[observe_job],
            )
            async with unit_of_work(container.sessions) as session:
                due = (
                    await session.execute(
                        text(
                            "SELECT count(*) FROM procrastinate_jobs WHERE queue_name = ANY(:q)"
                            " AND status IN ('todo', 'doing')"
                        ),
                        {"q": list(queues)},
                    )
                ).scalar_one()
            if not due:
                return
            assert time.monotonic() < deadline, "jobs still pending after the timeout"
            await asyncio.sleep(0.05)


SEEDED_TEMPLATE = shared_database("vellarys_seeded_template")


@pytest.fixture(scope="session")
async def seeded_template(
    pg_server: str, template_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """The demo agency as ``seed_demo`` leaves it (indexing jobs queued, nothing embedded),
    seeded once: cloning it costs a fraction of seeding (three argon2 hashes, 61 listings)."""
    with build_once(pg_server, SEEDED_TEMPLATE) as build_it:
        if build_it:
            url = create_database(pg_server, SEEDED_TEMPLATE, template=TEMPLATE_DB)
            container = build(make_settings(url, tmp_path_factory.mktemp("seeded")))
            try:
                async with unit_of_work(container.sessions) as session:
                    await seed_demo(session)
            finally:
                await container.aclose()
    yield database_url_for(pg_server, SEEDED_TEMPLATE)
    drop_shared(pg_server, SEEDED_TEMPLATE)


@pytest.fixture
async def dashboard(
    pg_server: str, seeded_template: str, tmp_path: Path
) -> AsyncIterator[Dashboard]:
    """A fresh database with the demo agency freshly seeded, and a client on it."""
    name = f"vellarys_w_{uuid.uuid4().hex[:12]}"
    url = create_database(pg_server, name, template=SEEDED_TEMPLATE)
    container = build(make_settings(url, tmp_path, **FAST))
    try:
        async with unit_of_work(container.sessions) as session:
            tenant = await by_slug(session, DEMO_SLUG)
            assert tenant is not None
        transport = httpx.ASGITransport(app=create_app(container))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield Dashboard(container, tenant.id, http)
    finally:
        await container.aclose()
        drop_database(pg_server, name)


async def add_lead(container: Container, tenant_id: uuid.UUID, **values: Any) -> uuid.UUID:
    lead_id = uuid.uuid4()
    values = {"phone": f"+55119{uuid.uuid4().int % 10**8:08d}", **values}
    async with unit_of_work(container.sessions) as session:
        session.add(Lead(id=lead_id, tenant_id=tenant_id, **values))
    return lead_id


async def add_agency(container: Container, slug: str = "outra") -> tuple[uuid.UUID, str]:
    """Another agency with its admin; returns (tenant id, admin e-mail)."""
    async with unit_of_work(container.sessions) as session:
        tenant = Tenant(id=uuid.uuid4(), slug=slug, name="Outra Imobiliária", settings={})
        session.add(tenant)
        await session.flush()
        email = f"admin@{slug}.local"
        session.add(
            User(
                tenant_id=tenant.id,
                email=email,
                name="Outra Admin",
                role="admin",
                password_hash=hash_password(PASSWORD),
            )
        )
    return tenant.id, email


async def user_id(container: Container, email: str) -> uuid.UUID:
    async with unit_of_work(container.sessions) as session:
        found = await session.execute(text("SELECT id FROM users WHERE email = :e"), {"e": email})
        return uuid.UUID(str(found.scalar_one()))
