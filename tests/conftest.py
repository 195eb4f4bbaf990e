"""Test fixtures on a real PostgreSQL with pgvector.

The server is ``TEST_DATABASE_URL`` when set, otherwise an embedded pgserver in a
temporary folder, deleted at the end. A template database is migrated once per run;
``fresh_database`` clones it for tests that need real commits across connections.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.asgi import create_app
from vellarys.bootstrap import Container, build
from vellarys.config import Settings
from vellarys.db import migrate
from vellarys.db.url import libpq_url

TEMPLATE_DB = "vellarys_test_template"


def _server_url() -> Iterator[str]:
    external = os.environ.get("TEST_DATABASE_URL")
    if external:
        yield libpq_url(external)
        return
    import pgserver

    folder = Path(tempfile.mkdtemp(prefix="vellarys-test-pg-"))
    server: Any = pgserver.get_server(folder, cleanup_mode="delete")
    try:
        yield str(server.get_uri())
    finally:
        server.cleanup()


def _database_url(server_url: str, name: str) -> str:
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    yield from _server_url()


def _admin(server_url: str) -> psycopg.Connection[Any]:
    return psycopg.connect(server_url, autocommit=True)


def create_database(server_url: str, name: str, template: str | None = None) -> str:
    with _admin(server_url) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            query += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        conn.execute(query)
    return _database_url(server_url, name)


def drop_database(server_url: str, name: str) -> None:
    with _admin(server_url) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.fixture(scope="session")
def template_url(pg_server: str) -> Iterator[str]:
    """A database migrated to head: running the migrations here tests them on every run."""
    url = create_database(pg_server, TEMPLATE_DB)
    migrate.upgrade(url)
    yield url
    drop_database(pg_server, TEMPLATE_DB)


@pytest.fixture
def fresh_database(pg_server: str, template_url: str) -> Iterator[Callable[[], str]]:
    """Factory of brand-new migrated databases, dropped after the test."""
    created: list[str] = []

    def make() -> str:
        name = f"vellarys_t_{uuid.uuid4().hex[:12]}"
        created.append(name)
        return create_database(pg_server, name, template=TEMPLATE_DB)

    yield make
    for name in created:
        drop_database(pg_server, name)


@pytest.fixture
def empty_database(pg_server: str) -> Iterator[str]:
    """A database with nothing in it (not even the schema)."""
    name = f"vellarys_e_{uuid.uuid4().hex[:12]}"
    url = create_database(pg_server, name)
    yield url
    drop_database(pg_server, name)


@pytest.fixture(scope="session")
def database_url(pg_server: str, template_url: str) -> Iterator[str]:
    """The shared test database; tests isolate themselves with a rolled-back outer transaction."""
    url = create_database(pg_server, "vellarys_test", template=TEMPLATE_DB)
    yield url
    drop_database(pg_server, "vellarys_test")


def make_settings(url: str, tmp: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"secret_key": "test-secret", **overrides}
    return Settings(database_url=url, data_dir=tmp, **values)


@pytest.fixture
async def container(database_url: str, tmp_path: Path) -> AsyncIterator[Container]:
    built = build(make_settings(database_url, tmp_path))
    yield built
    await built.aclose()


@pytest.fixture
async def session(container: Container) -> AsyncIterator[AsyncSession]:
    """A session inside an outer transaction that is rolled back: nothing a test writes stays."""
    async with container.engine.connect() as conn:
        outer = await conn.begin()
        db = AsyncSession(
            bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield db
        finally:
            await db.close()
            await outer.rollback()


@pytest.fixture
async def client(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(container)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
