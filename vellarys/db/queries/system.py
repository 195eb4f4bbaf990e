"""Deployment-wide queries for health checks (not tenant data)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

_STATUS_SQL = text(
    """
    SELECT
      (SELECT extversion FROM pg_extension WHERE extname = 'vector') AS pgvector,
      (SELECT current_setting('server_version')) AS server_version,
      (SELECT version_num FROM alembic_version LIMIT 1) AS revision,
      (SELECT count(*) FROM procrastinate_jobs WHERE status = 'todo') AS queue_depth,
      (SELECT count(*) FROM procrastinate_jobs WHERE status = 'doing') AS queue_running,
      (SELECT EXTRACT(EPOCH FROM now() - min(e.at))
         FROM procrastinate_jobs j
         JOIN procrastinate_events e ON e.job_id = j.id AND e.type = 'deferred'
        WHERE j.status = 'todo' AND (j.scheduled_at IS NULL OR j.scheduled_at <= now())
      ) AS oldest_pending_seconds
    """
)


@dataclass(frozen=True, slots=True)
class DatabaseStatus:
    pgvector: str | None
    server_version: str
    revision: str | None
    queue_depth: int
    queue_running: int
    oldest_pending_seconds: float | None


async def ping(session: AsyncSession) -> None:
    await session.execute(text("SELECT 1"))


async def database_status(session: AsyncSession) -> DatabaseStatus:
    """Extension, migration and queue facts in one round trip (the schema must be migrated)."""
    row = (await session.execute(_STATUS_SQL)).one()
    oldest = row.oldest_pending_seconds
    return DatabaseStatus(
        pgvector=row.pgvector,
        server_version=row.server_version,
        revision=row.revision,
        queue_depth=int(row.queue_depth),
        queue_running=int(row.queue_running),
        oldest_pending_seconds=float(oldest) if oldest is not None else None,
    )


async def schema_ready(session: AsyncSession) -> bool:
    found = await session.execute(
        text(
            "SELECT to_regclass('alembic_version') IS NOT NULL "
            "AND to_regclass('procrastinate_jobs') IS NOT NULL"
        )
    )
    return bool(found.scalar())


def pool_counters(engine: AsyncEngine) -> tuple[int, int]:
    """(checked out, overflow) of the engine's pool; overflow starts at -pool_size, so clamp it."""
    pool = engine.pool
    checked_out = int(pool.checkedout())  # type: ignore[attr-defined]
    overflow = int(pool.overflow())  # type: ignore[attr-defined]
    return checked_out, max(0, overflow)
