"""Least privilege against a real server: a superuser bootstraps once, an owner role migrates,
a runtime role with no DDL runs the app; a role lacking privileges is stopped before any change."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg import sql
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from tests.conftest import drop_database, make_settings
from tests.test_cli import VELLARYS, _env
from tests.web.conftest import PASSWORD, csrf_of, drain_jobs
from vellarys.asgi import create_app
from vellarys.bootstrap import build
from vellarys.db import migrate, queue
from vellarys.db.models import Lead, User
from vellarys.db.uow import unit_of_work
from vellarys.domain.password import hash_password
from vellarys.services import accounts


@dataclass(frozen=True)
class Deployment:
    owner_url: str
    runtime_url: str
    runtime: str


def _drop_roles(server_url: str, *roles: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        for role in roles:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def _urls(output: str) -> dict[str, str]:
    pairs = [line.split("=", 1) for line in output.splitlines() if line.startswith("VELLARYS_")]
    return {key: value for key, value in pairs}


@pytest.fixture
def deployment(pg_server: str) -> Iterator[Deployment]:
    suffix = uuid.uuid4().hex[:8]
    name, owner, runtime = f"vellarys_lp_{suffix}", f"owner_{suffix}", f"runtime_{suffix}"
    superuser = make_url(pg_server).set(database=name).render_as_string(hide_password=False)
    done = subprocess.run(
        [
            *VELLARYS,
            "db",
            "bootstrap",
            "--superuser-url",
            superuser,
            "--owner",
            owner,
            "--runtime",
            runtime,
        ],
        env=_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    urls = _urls(done.stdout)
    yield Deployment(
        urls["VELLARYS_MIGRATION_DATABASE_URL"], urls["VELLARYS_DATABASE_URL"], runtime
    )
    drop_database(pg_server, name)
    _drop_roles(pg_server, owner, runtime)


async def test_the_owner_migrates_and_the_runtime_role_runs_the_app_without_ddl(
    deployment: Deployment, tmp_path: Path
) -> None:
    env = _env(
        VELLARYS_DATABASE_URL=deployment.runtime_url,
        VELLARYS_MIGRATION_DATABASE_URL=deployment.owner_url,
        VELLARYS_DATA_DIR=str(tmp_path),
    )
    subprocess.run([*VELLARYS, "migrate"], env=env, check=True, capture_output=True)  # noqa: ASYNC221
    assert migrate.current_revision(deployment.runtime_url) == migrate.head_revision()

    container = build(make_settings(deployment.runtime_url, tmp_path))
    try:
        # Jobs, webhooks and operator commands run as the runtime role (BYPASSRLS)...
        async with unit_of_work(container.sessions) as session:
            agency = await accounts.create_tenant(session, slug="casa-runtime", name="Casa")
            session.add(
                User(
                    tenant_id=agency.id,
                    email="gestor@casa.example",
                    name="Gestor",
                    role="admin",
                    password_hash=hash_password(PASSWORD),
                )
            )
            await session.flush()
            await queue.defer(
                session,
                task=queue.INDEX_PROPERTIES,
                queue="indexing",
                args={"tenant_id": str(agency.id)},
            )
        await drain_jobs(container)  # through the real queue, as the runtime role
        # ...requests as vellarys_app, behind row-level security.
        async with unit_of_work(container.sessions, tenant_id=agency.id) as session:
            session.add(Lead(tenant_id=agency.id, phone="+5511900001111"))
            await session.flush()
            seen = (
                await session.execute(text("SELECT count(DISTINCT tenant_id) FROM leads"))
            ).scalar()
        assert seen == 1
        transport = httpx.ASGITransport(app=create_app(container))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            page = await http.get("/login")
            login = await http.post(
                "/login",
                data={
                    "email": "gestor@casa.example",
                    "password": PASSWORD,
                    "csrf_token": csrf_of(page),
                },
            )
            assert login.status_code == 303
            assert (await http.get("/leads")).status_code == 200
        async with unit_of_work(container.sessions) as session:
            jobs = (
                (
                    await session.execute(
                        text(
                            "SELECT status::text FROM procrastinate_jobs WHERE queue_name = 'indexing'"
                        )
                    )
                )
                .scalars()
                .all()
            )
        assert jobs and set(jobs) == {"succeeded"}
        with pytest.raises(ProgrammingError, match="permission denied"):
            async with unit_of_work(container.sessions) as session:
                await session.execute(text("CREATE TABLE intruder (id int)"))
    finally:
        await container.aclose()

    doctor = subprocess.run([*VELLARYS, "doctor"], env=env, capture_output=True, text=True)  # noqa: ASYNC221
    assert f"ok    privileges    {deployment.runtime}: data only, no DDL" in doctor.stdout
    assert "ok    row security" in doctor.stdout


def test_a_role_without_privileges_is_stopped_before_anything_changes(
    pg_server: str, empty_database: str
) -> None:
    role = f"plain_{uuid.uuid4().hex[:8]}"
    database = make_url(empty_database).database
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
    try:
        url = make_url(empty_database).set(username=role).render_as_string(hide_password=False)
        with pytest.raises(migrate.MigrationBlocked) as blocked:
            migrate.upgrade(url)
        message = str(blocked.value)
        assert "CREATE EXTENSION vector" in message
        assert f"{role} cannot create tables in schema public" in message
        assert "vellarys db bootstrap" in message
        with psycopg.connect(empty_database) as conn:
            tables = conn.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
            ).fetchone()
        assert tables == (0,)
        env = _env(VELLARYS_DATABASE_URL=url)
        cli = subprocess.run([*VELLARYS, "migrate"], env=env, capture_output=True, text=True)
        assert cli.returncode == 1 and "Traceback" not in cli.stderr
        assert "Migration stopped before changing anything" in cli.stderr
    finally:
        drop_database(pg_server, str(database))
        _drop_roles(pg_server, role)
