"""The unit of work: the only place in Vellarys that commits or rolls back.

The entry point (HTTP handler, job, CLI command) opens one; everything below it
receives the session, may ``flush()``, and never ends the transaction.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vellarys.db.availability import database_away
from vellarys.errors import DatabaseUnavailable, QueryTimeout

log = logging.getLogger(__name__)

QUERY_CANCELED = "57014"
APP_ROLE = "vellarys_app"


@asynccontextmanager
async def unit_of_work(
    sessions: async_sessionmaker[AsyncSession], *, tenant_id: uuid.UUID | None = None
) -> AsyncIterator[AsyncSession]:
    """Yield a session in a transaction; commit when the block ends, roll back on error.

    With ``tenant_id`` (dashboard and API requests), row-level security shows this
    transaction that tenant's rows only, whatever a query forgets to filter.

    Losing the database (refused, starting up, shutting down, cut mid-query) raises
    ``DatabaseUnavailable`` whatever the driver said: every edge renders it as a 503.
    """
    session = sessions()
    async with session:
        try:
            if tenant_id is not None:
                # The non-owner role is subject to row-level security; both last until commit.
                await session.execute(text(f"SET LOCAL ROLE {APP_ROLE}"))
                await session.execute(
                    text("SELECT set_config('app.tenant_id', :tenant, true)"),
                    {"tenant": str(tenant_id)},
                )
            yield session
            await session.commit()
        except Exception as exc:
            await _roll_back(session, exc)
            if isinstance(exc, DBAPIError) and is_statement_timeout(exc):
                raise QueryTimeout() from exc
            if database_away(exc):
                raise DatabaseUnavailable() from exc
            raise
        except BaseException as exc:
            await _roll_back(session, exc)
            raise


async def _roll_back(session: AsyncSession, cause: BaseException) -> None:
    """Roll back; with the database gone the connection is discarded instead, and the
    failure that ended the block (not the rollback's own) is the one that is raised."""
    try:
        await session.rollback()
    except Exception as exc:
        if not (database_away(exc) or database_away(cause)):
            raise
        log.debug("rollback skipped: the database is away", extra={"error": type(exc).__name__})


def is_statement_timeout(exc: BaseException) -> bool:
    """True when PostgreSQL cancelled the statement for exceeding ``statement_timeout``."""
    orig = getattr(exc, "orig", None)
    return getattr(orig, "sqlstate", None) == QUERY_CANCELED
