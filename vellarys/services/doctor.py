"""`vellarys doctor`: every check an operator needs before and while serving, one line each.

Run by the command and at start-up in production (failures go to the log). A check that cannot
reach its subject reports that instead of raising.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vellarys.adapters.tls import CertificateProblem, Unreachable, certificate_days_left
from vellarys.config import MIN_SECRET_BYTES, Settings
from vellarys.db import queue as jobs
from vellarys.db.queries import server, system
from vellarys.db.uow import unit_of_work
from vellarys.domain import doctor
from vellarys.domain.doctor import Budget, Check

# procrastinate's connection pool in each worker (vellarys.worker.queue: max_size).
WORKER_QUEUE_CONNECTIONS = 4
HEADROOM_CONNECTIONS = 3
DB_CHECK_TIMEOUT_SECONDS = 10.0


async def run_checks(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], *, tls_cafile: str | None = None
) -> list[Check]:
    """All checks, in the order an operator fixes them."""
    checks = settings_checks(settings)
    try:
        checks += await asyncio.wait_for(
            _database_checks(settings, sessions), DB_CHECK_TIMEOUT_SECONDS
        )
    except (OSError, TimeoutError) as exc:
        where = _where(sessions)
        checks.append(Check("database", "fail", f"{where} unreachable: {_first_line(exc)}"))
    except Exception as exc:  # noqa: BLE001 - any driver error is a failed check, not a crash
        checks.append(Check("database", "fail", _first_line(exc)))
    checks.append(disk_check(settings.data_dir))
    checks += await asyncio.to_thread(tls_checks, settings, tls_cafile)
    return checks


def settings_checks(settings: Settings) -> list[Check]:
    production = settings.environment == "production"
    mode = "embedded database" if settings.embedded else "external database"
    checks = [Check("settings", "ok", f"{settings.environment}, {mode}")]
    secret = settings.resolved_secret_key.encode()
    checks.append(
        doctor.secret_check(
            production=production, secret_bytes=len(secret), minimum=MIN_SECRET_BYTES
        )
    )
    if settings.llm_base_url and not settings.llm_model:
        checks.append(Check("llm", "warn", "VELLARYS_LLM_BASE_URL set without VELLARYS_LLM_MODEL"))
    return checks


async def _database_checks(
    settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> list[Check]:
    async with unit_of_work(sessions) as session:
        facts = await server.server_facts(session)
        checks = [doctor.versions_check(facts.version_num, facts.version, facts.pgvector)]
        checks.append(doctor.budget_check(_budget(settings, facts)))
        if not await system.schema_ready(session):
            return [*checks, Check("schema", "fail", "not migrated: run vellarys migrate")]
        checks += role_checks(await server.role_facts(session), settings)
        checks += await _queue_checks(session, settings)
    return checks


def _budget(settings: Settings, facts: server.ServerFacts) -> Budget:
    return Budget(
        api_processes=settings.api_processes,
        worker_processes=settings.worker_processes,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        worker_queue_connections=WORKER_QUEUE_CONNECTIONS,
        # The lean ack path's own asyncpg pool, and the health probe's one connection.
        api_extra_connections=(settings.db_ack_pool_size if settings.webhook_fast_path else 0) + 1,
        headroom=HEADROOM_CONNECTIONS,
        max_connections=facts.max_connections,
        reserved_connections=facts.reserved,
        in_use=facts.in_use,
    )


def role_checks(role: server.RoleFacts, settings: Settings) -> list[Check]:
    """The connecting role: table privileges, the row-level security it needs, and no more."""
    production = settings.environment == "production"
    checks: list[Check] = []
    if role.missing_privileges:
        names = ", ".join(role.missing_privileges[:5])
        checks.append(Check("privileges", "fail", f"{role.name} cannot read/write: {names}"))
    elif role.superuser:
        status: doctor.Status = "warn" if production else "ok"
        checks.append(
            Check("privileges", status, f"{role.name} is a superuser (use the runtime role)")
        )
    elif role.owned_tables:
        status = "warn" if production else "ok"
        detail = f"{role.name} owns {role.owned_tables} tables and can change the schema"
        checks.append(Check("privileges", status, detail + " (use the runtime role)"))
    else:
        checks.append(Check("privileges", "ok", f"{role.name}: data only, no DDL"))
    checks.append(_rls_check(role))
    return checks


def _rls_check(role: server.RoleFacts) -> Check:
    if role.unforced_tables:
        names = ", ".join(role.unforced_tables)
        return Check(
            "row security", "fail", f"policies not FORCEd on {names}: run vellarys migrate"
        )
    if role.protected_tables == 0:
        return Check("row security", "fail", "no tenant policies: run vellarys migrate")
    if not (role.superuser or role.bypass_rls):
        fix = f"ALTER ROLE {role.name} BYPASSRLS (as a superuser; see vellarys db bootstrap)"
        return Check(
            "row security", "fail", f"{role.name} lacks BYPASSRLS, jobs and webhooks fail: {fix}"
        )
    if not role.app_member:
        fix = f"GRANT {server.APP_ROLE} TO {role.name}"
        return Check(
            "row security", "fail", f"{role.name} cannot SET ROLE {server.APP_ROLE}: {fix}"
        )
    detail = f"{role.protected_tables} tables FORCEd; requests run as {server.APP_ROLE}"
    return Check("row security", "ok", detail)


async def _queue_checks(session: AsyncSession, settings: Settings) -> list[Check]:
    workers = await server.worker_facts(session, heartbeat_seconds=settings.stalled_job_seconds)
    status = await system.database_status(session)
    return [
        doctor.workers_check(
            alive=workers.alive,
            heartbeat_seconds=settings.stalled_job_seconds,
            per_process=jobs.QUEUE_WORKERS_PER_PROCESS,
            expected=settings.worker_processes,
        ),
        doctor.queue_check(
            depth=status.queue_depth,
            oldest_seconds=status.oldest_pending_seconds,
            limit_seconds=settings.health_queue_age_seconds,
        ),
    ]


def disk_check(data_dir: Path) -> Check:
    folder = data_dir.resolve()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    usage = shutil.disk_usage(folder)
    return doctor.disk_check(str(data_dir), free=usage.free, total=usage.total)


def tls_checks(settings: Settings, cafile: str | None = None) -> list[Check]:
    production = settings.environment == "production"
    checks = [doctor.public_url_check(settings.public_url, production=production)]
    if not (settings.public_url or "").startswith("https://"):
        return checks
    parts = urlsplit(settings.public_url or "")
    host, port = parts.hostname or "", parts.port or 443
    try:
        days = certificate_days_left(host, port, cafile=cafile)
    except Unreachable as exc:
        return [*checks, doctor.certificate_check(host, None, f"unreachable from here ({exc})")]
    except CertificateProblem as exc:
        return [*checks, doctor.certificate_check(host, None, str(exc))]
    return [*checks, doctor.certificate_check(host, days, None)]


def _where(sessions: async_sessionmaker[AsyncSession]) -> str:
    engine = sessions.kw.get("bind")
    url = getattr(engine, "url", None)
    return url.render_as_string(hide_password=True) if url is not None else "the database"


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return (text.splitlines() or [type(exc).__name__])[0][:300]
