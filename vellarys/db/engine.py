"""The async engine: pool settings, per-connection server settings and the pgvector codec."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from pgvector.asyncpg import register_vector
from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from vellarys.db.url import async_url


@dataclass(frozen=True, slots=True)
class PoolConfig:
    pool_size: int = 10
    max_overflow: int = 20
    pool_timeout: float = 10
    pool_recycle: int = 1800
    statement_timeout_ms: int = 60000
    application_name: str = "vellarys_api"


def create_engine(url: str, pool: PoolConfig) -> AsyncEngine:
    """An asyncpg engine whose every connection carries the timeout, name and vector codec."""
    engine = create_async_engine(
        async_url(url),
        pool_size=pool.pool_size,
        max_overflow=pool.max_overflow,
        pool_timeout=pool.pool_timeout,
        pool_recycle=pool.pool_recycle,
        pool_pre_ping=True,
        # Error strings never carry the bound values (phones, message text) into the logs.
        hide_parameters=True,
        connect_args={
            "server_settings": {
                "statement_timeout": str(pool.statement_timeout_ms),
                "application_name": pool.application_name,
            }
        },
    )
    event.listen(engine.sync_engine, "connect", _register_vector_codec)
    return engine


def _register_vector_codec(dbapi_conn: Any, _record: Any) -> None:
    try:
        dbapi_conn.run_async(register_vector)
    except ValueError as exc:
        # Before the first migration the extension does not exist yet; nothing to register.
        if "unknown type" not in str(exc):
            raise
    except (asyncpg.InterfaceError, asyncpg.PostgresError) as exc:
        # PostgreSQL went away between connecting and this first query (it was shutting
        # down): raised unwrapped from this hook, it would be a 500 instead of "database away".
        raise ConnectionError(
            f"the database closed a new connection ({type(exc).__name__})"
        ) from exc


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
