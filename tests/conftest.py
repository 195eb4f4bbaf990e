"""Test fixtures on a real PostgreSQL with pgvector.

The server is ``TEST_DATABASE_URL`` when set, otherwise an embedded pgserver in a
temporary folder, deleted at the end. A template database is migrated once per run;
``fresh_database`` clones it for tests that need real commits across connections.

Under pytest-xdist (``make test`` runs ``-n``) the workers of one run share the embedded
server and its templates, each template built once under a file lock; the databases a
worker writes in keep names of their own (``worker_database``). On an external server every
worker builds its own templates under its own names, so concurrent runs never meet.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from psycopg import sql
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from vellarys.asgi import create_app
from vellarys.bootstrap import Container, build
from vellarys.config import Settings
from vellarys.db import migrate
from vellarys.db.uow import unit_of_work
from vellarys.db.url import libpq_url
from vellarys.domain import password
from vellarys.services.demo import seed_demo

# Staff passwords are hashed at argon2's cheapest cost here: production's (64 MiB, 3 passes)
# costs a fifth of a second per hash and per sign-in on a quiet core, and the suite does
# hundreds. Every Settings built in a test reads these; tests/test_config.py keeps production's.
CHEAP_PASSWORD_HASH = {"time_cost": 1, "memory_kib": 32}
for _name, _value in CHEAP_PASSWORD_HASH.items():
    os.environ.setdefault(f"VELLARYS_PASSWORD_HASH_{_name.upper()}", str(_value))
password.configure(**CHEAP_PASSWORD_HASH)

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
RUN_ID = os.environ.get("PYTEST_XDIST_TESTRUNUID", "")
EXTERNAL = bool(os.environ.get("TEST_DATABASE_URL"))


def worker_database(base: str) -> str:
    """A database name that only this xdist worker uses (the base name when not under xdist)."""
    return f"{base}_{WORKER}" if WORKER else base


def shared_database(base: str) -> str:
    """A template's name: one for all workers on the run's embedded server, one per worker on
    an external server (where other runs may build theirs at the same time)."""
    return worker_database(base) if EXTERNAL else base


TEMPLATE_DB = shared_database("vellarys_test_template")

# The test server's data may be lost in a crash, so it need not survive one: no fsync and no
# full-page writes make CREATE DATABASE (a checkpoint each) and every commit much cheaper.
_THROWAWAY_SETTINGS = ("fsync", "synchronous_commit", "full_page_writes")


LOCKS = Path(tempfile.gettempdir()) / f"vellarys-test-locks-{RUN_ID}"


def _embedded_folder() -> Path:
    if RUN_ID:
        folder = Path(tempfile.gettempdir()) / f"vellarys-test-pg-{RUN_ID}"
        folder.mkdir(exist_ok=True)
        return folder
    return Path(tempfile.mkdtemp(prefix="vellarys-test-pg-"))


def _server_url() -> Iterator[str]:
    external = os.environ.get("TEST_DATABASE_URL")
    if external:
        yield libpq_url(external)
        return
    import pgserver

    folder = _embedded_folder()
    server: Any = pgserver.get_server(folder, cleanup_mode="delete")
    url = str(server.get_uri())
    with _admin(url) as conn:
        for setting in _THROWAWAY_SETTINGS:
            conn.execute(sql.SQL("ALTER SYSTEM SET {} = off").format(sql.Identifier(setting)))
        conn.execute("SELECT pg_reload_conf()")
    try:
        yield url
    finally:
        server.cleanup()
        if not folder.exists():  # the run's last worker deleted the server: the locks go too
            shutil.rmtree(LOCKS, ignore_errors=True)


def database_url_for(server_url: str, name: str) -> str:
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
            if not EXTERNAL:  # no fsync here: copying the files beats WAL-logging every page
                query += sql.SQL(" STRATEGY FILE_COPY")
        conn.execute(query)
    return database_url_for(server_url, name)


def drop_database(server_url: str, name: str) -> None:
    with _admin(server_url) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def database_exists(server_url: str, name: str) -> bool:
    with _admin(server_url) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        return found.fetchone() is not None


@contextlib.contextmanager
def build_once(server_url: str, name: str) -> Iterator[bool]:
    """Yields whether the caller must build template ``name``, holding the run's lock on it.

    Workers sharing the embedded server build each template once: the first takes the lock and
    builds, the others wait and find it done. A failed build drops the half-made database."""
    shared = bool(RUN_ID) and not EXTERNAL
    with contextlib.ExitStack() as stack:
        if shared:
            LOCKS.mkdir(exist_ok=True)
            lock = stack.enter_context((LOCKS / f"{name}.lock").open("w"))
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        build = not (shared and database_exists(server_url, name))
        try:
            yield build
        except BaseException:
            if build:
                drop_database(server_url, name)
            raise


def drop_shared(server_url: str, name: str) -> None:
    # A shared template is left to the embedded server's deletion: another worker may still clone it.
    if EXTERNAL or not RUN_ID:
        drop_database(server_url, name)


@pytest.fixture(scope="session")
def template_url(pg_server: str) -> Iterator[str]:
    """A database migrated to head: running the migrations here tests them on every run."""
    with build_once(pg_server, TEMPLATE_DB) as build:
        if build:
            migrate.upgrade(create_database(pg_server, TEMPLATE_DB))
    yield database_url_for(pg_server, TEMPLATE_DB)
    drop_shared(pg_server, TEMPLATE_DB)


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
    name = worker_database("vellarys_test")
    url = create_database(pg_server, name, template=TEMPLATE_DB)
    yield url
    drop_database(pg_server, name)


DEMO_INDEXED_TEMPLATE = shared_database("vellarys_demo_indexed_template")


@pytest.fixture(scope="session")
async def demo_indexed_template(
    pg_server: str, template_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """The demo agency as ``vellarys seed-demo`` leaves it (``seed_demo`` with an embedder:
    listings and knowledge embedded, the import's indexing jobs queued), built once per run.
    Its vectors ship with the demo (``vellarys.services.demo_vectors``): building it embeds
    nothing; a clone costs a CREATE DATABASE."""
    from tests.embedder import shared_embedder

    with build_once(pg_server, DEMO_INDEXED_TEMPLATE) as build_it:
        if build_it:
            url = create_database(pg_server, DEMO_INDEXED_TEMPLATE, template=TEMPLATE_DB)
            container = build(make_settings(url, tmp_path_factory.mktemp("demo-indexed")))
            try:
                async with unit_of_work(container.sessions) as session:
                    await seed_demo(session, shared_embedder())
            finally:
                await container.aclose()
    yield database_url_for(pg_server, DEMO_INDEXED_TEMPLATE)
    drop_shared(pg_server, DEMO_INDEXED_TEMPLATE)


@pytest.fixture
def demo_database(pg_server: str, demo_indexed_template: str) -> Iterator[str]:
    """A fresh copy of the seeded and embedded demo agency (as ``seed-demo`` leaves it)."""
    name = f"vellarys_s_{uuid.uuid4().hex[:12]}"
    url = create_database(pg_server, name, template=DEMO_INDEXED_TEMPLATE)
    yield url
    drop_database(pg_server, name)


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


# An address no test server listens on: building the app never connects.
NO_DATABASE_URL = "postgresql://vellarys@127.0.0.1:9/no_database"


@pytest.fixture
async def app_without_database(tmp_path: Path) -> AsyncIterator[FastAPI]:
    """The app as served, for tests that only read its routes or its OpenAPI document: no
    database is made for them, and a query would fail (nothing listens at that address)."""
    built = build(make_settings(NO_DATABASE_URL, tmp_path))
    yield create_app(built)
    await built.aclose()


@pytest.fixture
async def client(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(container)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
