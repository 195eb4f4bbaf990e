"""The one wiring point: settings -> database, engine, sessions and adapters."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from vellarys.config import Settings
from vellarys.db.embedded import start_embedded
from vellarys.db.engine import PoolConfig, create_engine, create_sessionmaker
from vellarys.domain.clock import SystemClock
from vellarys.domain.ports import Clock


def resolve_database_url(settings: Settings, *, keep_running: bool = False) -> str:
    """The configured URL, or the embedded server's (started or joined) when none is set."""
    if settings.database_url:
        return settings.database_url
    return start_embedded(settings.data_dir, keep_running=keep_running)


def pool_config(settings: Settings) -> PoolConfig:
    return PoolConfig(
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
        pool_recycle=settings.db_pool_recycle,
        statement_timeout_ms=settings.statement_timeout_ms,
        application_name=settings.application_name,
    )


@dataclass
class Container:
    """Everything an entry point needs, built once per process."""

    settings: Settings
    database_url: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock = field(default_factory=SystemClock)
    started_at: float = field(default_factory=time.monotonic)

    @property
    def pool(self) -> PoolConfig:
        return pool_config(self.settings)

    async def aclose(self) -> None:
        await self.engine.dispose()


def build(settings: Settings, *, database_url: str | None = None) -> Container:
    url = database_url or resolve_database_url(settings)
    engine = create_engine(url, pool_config(settings))
    return Container(
        settings=settings,
        database_url=url,
        engine=engine,
        sessions=create_sessionmaker(engine),
    )
