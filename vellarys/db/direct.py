"""Single statements straight on asyncpg, each its own transaction: the webhook's ack path.

The ORM engine's checkout pings (BEGIN, ``;``, ROLLBACK: three round trips) and its unit of
work adds BEGIN and COMMIT around the statements. A statement that is atomic by itself (one
CTE) needs none of that: here it runs in autocommit on a small asyncpg pool of its own, as a
prepared statement (asyncpg caches them per connection), in one round trip.

There is no ping: a connection the database dropped (a restart) fails its statement, the
pool's connections are all marked for replacement and the statement runs once more, on a new
connection. Every statement sent here must therefore be safe to run twice (ours are: the
provider's message id deduplicates). Errors come out as the rest of the app knows them: the
database away -> ``ConnectionError`` (an ``OSError``: the API answers 503), cancelled by the
statement timeout -> ``QueryTimeout``; the input's fault (data or constraint) -> ``Refused``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.ext.asyncio import AsyncEngine

from vellarys.db.engine import PoolConfig
from vellarys.errors import QueryTimeout

QUERY_CANCELED = "57014"
# SQLSTATE classes that mean "the database is away or going away", not "this query is bad":
# connection exceptions, insufficient resources, operator intervention (shutdown, starting
# up), and a read-only transaction (a failover in progress).
_AWAY_CLASSES = ("08", "53", "57")
_READ_ONLY = "25006"


class Refused(Exception):
    """The database refused the statement's data (SQLSTATE class 22 or 23): it would be
    refused again on every retry."""

    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"the database refused the data ({sqlstate})")
        self.sqlstate = sqlstate


QueryLogger = Callable[[Any], None]


class DirectPool:
    """A lazily opened asyncpg pool on ``engine``'s database with the engine's server settings."""

    def __init__(self, engine: AsyncEngine, config: PoolConfig, *, max_size: int) -> None:
        self.engine = engine
        self._config = config
        self._max_size = max_size
        self._pool: Any = None
        self._opening = asyncio.Lock()
        self.query_loggers: list[QueryLogger] = []  # benches count round trips with these

    async def fetch(self, query: str, *args: Any) -> list[Any]:
        """Run ``query`` once (twice when the first connection turned out dead)."""
        for attempt in (1, 2):
            try:
                return await self._fetch(query, args)
            except (asyncpg.ConnectionDoesNotExistError, ConnectionResetError) as exc:
                if attempt == 2:
                    raise ConnectionError(f"the database dropped the connection: {exc}") from exc
                if self._pool is not None:
                    await self._pool.expire_connections()
        raise AssertionError("unreachable")

    async def _fetch(self, query: str, args: Sequence[Any]) -> list[Any]:
        pool = await self._open()
        try:
            async with pool.acquire(timeout=self._config.pool_timeout) as conn:
                rows: list[Any] = await conn.fetch(query, *args)
                return rows
        except (asyncpg.ConnectionDoesNotExistError, ConnectionResetError):
            raise
        except asyncpg.PostgresError as exc:
            raise _translated(exc) from exc
        except (asyncpg.InterfaceError, TimeoutError) as exc:
            raise ConnectionError(f"the database is not answering: {exc}") from exc

    async def _open(self) -> Any:
        if self._pool is not None:
            return self._pool
        async with self._opening:
            if self._pool is None:
                self._pool = await self._create()
        return self._pool

    async def _create(self) -> Any:
        args, kwargs = self.engine.dialect.create_connect_args(self.engine.url)
        kwargs.pop("prepared_statement_cache_size", None)
        kwargs.pop("async_fallback", None)
        settings = {
            "statement_timeout": str(self._config.statement_timeout_ms),
            "application_name": self._config.application_name,
        }
        try:
            return await asyncpg.create_pool(
                *args,
                **kwargs,
                min_size=0,
                max_size=self._max_size,
                server_settings=settings,
                init=self._init,
                # Nothing to reset: autocommit statements leave no session state behind.
                reset=_no_reset,
            )
        except asyncpg.PostgresError as exc:
            raise _translated(exc) from exc

    async def _init(self, conn: Any) -> None:
        for logger in self.query_loggers:
            conn.add_query_logger(logger)

    async def aclose(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()


async def _no_reset(_conn: Any) -> None:
    return None


def _translated(exc: Any) -> Exception:
    sqlstate = str(getattr(exc, "sqlstate", "") or "")
    if sqlstate == QUERY_CANCELED:
        return QueryTimeout()
    if sqlstate[:2] in _AWAY_CLASSES or sqlstate == _READ_ONLY:
        return ConnectionError(f"the database is away ({sqlstate})")
    if sqlstate[:2] in ("22", "23"):
        return Refused(sqlstate)
    return exc if isinstance(exc, Exception) else RuntimeError(str(exc))
