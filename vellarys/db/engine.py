"""The async engine: pool settings, per-connection server settings and the pgvector codec."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
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

from vellarys.db.availability import ConnectBreaker
from vellarys.db.url import async_url


@dataclass(frozen=True, slots=True)
class PoolConfig:
    pool_size: int = 10
    max_overflow: int = 20
    pool_timeout: float = 10
    pool_recycle: int = 1800
    statement_timeout_ms: int = 60000
    application_name: str = "vellarys_api"
    # A connect that hangs (a host gone from the network) fails after this long.
    connect_timeout: float = 5


def create_engine(
    url: str,
    pool: PoolConfig,
    *,
    breaker: ConnectBreaker | None = None,
    probe: bool = False,
) -> AsyncEngine:
    """An asyncpg engine whose every connection carries the timeout, name and vector codec;
    with ``breaker``, new connections go through it (see ``db.availability``).

    ``probe``: for a health check, as few round trips as possible (each waits for a turn of a
    busy event loop): autocommit (no BEGIN/COMMIT, and a one-query pre-ping) and no vector
    codec to register on a new connection.
    """
    extra: dict[str, Any] = {"isolation_level": "AUTOCOMMIT"} if probe else {}
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
            "timeout": pool.connect_timeout,
            "server_settings": {
                "statement_timeout": str(pool.statement_timeout_ms),
                "application_name": pool.application_name,
            },
        },
        **extra,
    )
    event.listen(engine.sync_engine, "do_connect", partial(_connect, breaker, not probe))
    return engine


def _connect(
    breaker: ConnectBreaker | None,
    vector: bool,
    dialect: Any,
    _record: Any,
    cargs: Any,
    cparams: Any,
) -> Any:
    """Connect and register the vector codec, unless the breaker knows the database is
    away; the breaker learns how it went (the codec's query is the link's first test)."""
    if breaker is not None:
        breaker.before_connect()
    try:
        connection = dialect.connect(*cargs, **cparams)
        try:
            if vector:
                _register_vector_codec(connection)
        except BaseException:
            connection.terminate()
            raise
    except BaseException as exc:
        if breaker is not None:
            breaker.failed(exc)
        raise
    if breaker is not None:
        breaker.succeeded()
    return connection


def _register_vector_codec(dbapi_conn: Any) -> None:
    try:
        dbapi_conn.run_async(register_vector)
    except ValueError as exc:
        # Before the first migration the extension does not exist yet; nothing to register.
        if "unknown type" not in str(exc):
            raise
    except (asyncpg.InterfaceError, asyncpg.PostgresError, asyncpg.InternalClientError) as exc:
        # PostgreSQL went away between connecting and this first query (it was shutting
        # down; asyncpg may then find its protocol in the wrong state): raised unwrapped from
        # this hook, it would be a 500 instead of "database away".
        raise ConnectionError(
            f"the database closed a new connection ({type(exc).__name__})"
        ) from exc


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
