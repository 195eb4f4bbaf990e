"""The unit of work: the only place in Vellarys that commits or rolls back.

The entry point (HTTP handler, job, CLI command) opens one; everything below it
receives the session, may ``flush()``, and never ends the transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vellarys.errors import QueryTimeout

QUERY_CANCELED = "57014"
APP_ROLE = "vellarys_app"


@asynccontextmanager
async def unit_of_work(
    sessions: async_sessionmaker[AsyncSession], *, tenant_id: uuid.UUID | None = None
) -> AsyncIterator[AsyncSession]:
    """Yield a session in a transaction; commit when the block ends, roll back on error.

    With ``tenant_id`` (dashboard and API requests), row-level security shows this
    transaction that tenant's rows only, whatever a query forgets to filter.
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
        except DBAPIError as exc:
            await session.rollback()
            if is_statement_timeout(exc):
                raise QueryTimeout() from exc
            raise
        except BaseException:
            await session.rollback()
            raise


def is_statement_timeout(exc: BaseException) -> bool:
    """True when PostgreSQL cancelled the statement for exceeding ``statement_timeout``."""
    orig = getattr(exc, "orig", None)
    return getattr(orig, "sqlstate", None) == QUERY_CANCELED


def is_connection_error(exc: BaseException) -> bool:
    """True when ``exc`` means the database cannot be reached (as opposed to a bad query)."""
    if isinstance(exc, OSError | ConnectionError):
        return True
    if isinstance(exc, DBAPIError):
        return exc.connection_invalidated or isinstance(exc, InterfaceError | OperationalError)
    return False
