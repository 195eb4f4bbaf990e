"""What the operator's health endpoints report."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vellarys import __version__
from vellarys.db.engine import PoolConfig
from vellarys.db.queries import server, system
from vellarys.domain.pool import assess_pool


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def check_liveness(session: AsyncSession) -> dict[str, Any]:
    """A database round trip, timed."""
    started = time.perf_counter()
    await system.ping(session)
    latency = round((time.perf_counter() - started) * 1000, 2)
    return {
        "status": "ok",
        "timestamp": now_iso(),
        "version": __version__,
        "database": {"status": "ok", "latency_ms": latency},
    }


def pool_report(pool: PoolConfig, *, checked_out: int, overflow: int) -> dict[str, Any]:
    return assess_pool(
        pool_size=pool.pool_size,
        max_overflow=pool.max_overflow,
        pool_timeout=pool.pool_timeout,
        pool_recycle=pool.pool_recycle,
        checked_out=checked_out,
        overflow=overflow,
        timestamp=now_iso(),
    )


async def detailed_report(
    session: AsyncSession,
    *,
    pool: dict[str, Any],
    components: dict[str, Any],
    uptime_seconds: float,
    heartbeat_seconds: float = 60.0,
    queue_age_limit_seconds: float = 60.0,
) -> dict[str, Any]:
    """Database, pgvector, migrations, workers, queue and pool in one document; ``degraded``
    (with the reasons in ``problems``) when something needs an operator."""
    started = time.perf_counter()
    if not await system.schema_ready(session):
        db: dict[str, Any] = {
            "status": "error",
            "error": "schema not migrated: run vellarys migrate",
        }
        return _detailed("error", db, {}, {}, pool, components, uptime_seconds)
    facts = await system.database_status(session)
    workers = await server.worker_facts(session, heartbeat_seconds=heartbeat_seconds)
    role = await server.role_facts(session)
    latency = round((time.perf_counter() - started) * 1000, 2)
    # Alembic is read here only: the API process imports it on the first detailed report.
    from vellarys.db.migrate import head_revision

    head = head_revision()
    migrations = {"current": facts.revision, "head": head, "at_head": facts.revision == head}
    queue = {
        "depth": facts.queue_depth,
        "running": facts.queue_running,
        "oldest_pending_seconds": facts.oldest_pending_seconds,
        "oldest_pending_limit_seconds": queue_age_limit_seconds,
    }
    db = {
        "status": "ok",
        "latency_ms": latency,
        "server_version": facts.server_version,
        "pgvector": facts.pgvector,
    }
    problems = _role_problems(role)
    problems += _problems(facts, workers, facts.revision == head, pool, queue_age_limit_seconds)
    report = _detailed(
        "degraded" if problems else "ok", db, migrations, queue, pool, components, uptime_seconds
    )
    report["workers"] = {
        "alive": workers.alive,
        "heartbeat_window_seconds": heartbeat_seconds,
        "last_heartbeat_seconds": _round(workers.newest_heartbeat_seconds),
    }
    report["problems"] = problems
    return report


def _problems(
    facts: system.DatabaseStatus,
    workers: server.WorkerFacts,
    at_head: bool,
    pool: dict[str, Any],
    queue_age_limit_seconds: float,
) -> list[str]:
    problems = []
    if facts.pgvector is None:
        problems.append("pgvector is not installed")
    if not at_head:
        problems.append("migrations are not at head: run vellarys migrate")
    if pool["status"] != "ok":
        problems.append("the connection pool is nearly exhausted")
    oldest = facts.oldest_pending_seconds
    if oldest is not None and oldest > queue_age_limit_seconds:
        problems.append(f"the oldest due job has waited {oldest:.0f} s")
    if workers.alive == 0 and oldest is not None:
        problems.append("jobs are due and no worker is alive")
    return problems


def _role_problems(role: server.RoleFacts) -> list[str]:
    """What the connecting role lacks: without these every request looks fine while jobs,
    webhooks and `tenant create` fail."""
    problems = []
    if not (role.superuser or role.bypass_rls):
        problems.append(f"the database role {role.name} lacks BYPASSRLS: jobs and webhooks fail")
    if not role.app_member:
        problems.append(f"the database role {role.name} cannot SET ROLE {server.APP_ROLE}")
    if role.missing_privileges:
        problems.append(f"the database role {role.name} cannot write {role.missing_privileges[0]}")
    return problems


def _round(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


def _detailed(
    status: str,
    database: dict[str, Any],
    migrations: dict[str, Any],
    queue: dict[str, Any],
    pool: dict[str, Any],
    components: dict[str, Any],
    uptime_seconds: float,
) -> dict[str, Any]:
    return {
        "status": status,
        "timestamp": now_iso(),
        "version": __version__,
        "uptime_seconds": round(uptime_seconds, 1),
        "database": database,
        "migrations": migrations,
        "queue": queue,
        "pool": pool,
        **components,
    }
