"""Facts about the PostgreSQL server and the connecting role, for `vellarys doctor` and health
(deployment-wide, not tenant data)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

APP_ROLE = "vellarys_app"

_SERVER_SQL = text(
    """
    SELECT current_setting('server_version_num')::int AS version_num,
           current_setting('server_version') AS version,
           (SELECT extversion FROM pg_extension WHERE extname = 'vector') AS pgvector,
           current_setting('max_connections')::int AS max_connections,
           current_setting('superuser_reserved_connections')::int
             + coalesce(current_setting('reserved_connections', true), '0')::int AS reserved,
           (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend') AS in_use
    """
)

_ROLE_SQL = text(
    """
    SELECT r.rolname AS name, r.rolsuper AS superuser, r.rolbypassrls AS bypass_rls,
           EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :app) AS app_role_exists,
           (EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :app)
              AND pg_has_role(current_user, :app, 'MEMBER')) AS app_member,
           (SELECT count(*) FROM pg_tables t
             WHERE t.schemaname = current_schema() AND t.tableowner = current_user) AS owned,
           (SELECT count(*) FROM pg_tables t WHERE t.schemaname = current_schema()) AS tables,
           (SELECT array_agg(t.tablename ORDER BY t.tablename) FROM pg_tables t
             WHERE t.schemaname = current_schema()
               AND NOT (has_table_privilege(format('%I.%I', t.schemaname, t.tablename), 'SELECT')
                    AND has_table_privilege(format('%I.%I', t.schemaname, t.tablename), 'INSERT')
                    AND has_table_privilege(format('%I.%I', t.schemaname, t.tablename), 'UPDATE')
                    AND has_table_privilege(format('%I.%I', t.schemaname, t.tablename), 'DELETE')
                   )) AS missing,
           (SELECT array_agg(c.relname ORDER BY c.relname) FROM pg_policy p
              JOIN pg_class c ON c.oid = p.polrelid
             WHERE c.relnamespace = current_schema()::regnamespace
               AND NOT (c.relrowsecurity AND c.relforcerowsecurity)) AS unforced,
           (SELECT count(DISTINCT p.polrelid) FROM pg_policy p
              JOIN pg_class c ON c.oid = p.polrelid
             WHERE c.relnamespace = current_schema()::regnamespace) AS protected
      FROM pg_roles r WHERE r.rolname = current_user
    """
)

_WORKERS_SQL = text(
    """
    SELECT count(*) FILTER (WHERE last_heartbeat > now() - make_interval(secs => :seconds))
             AS alive,
           EXTRACT(EPOCH FROM now() - max(last_heartbeat)) AS newest_seconds
      FROM procrastinate_workers
    """
)


@dataclass(frozen=True, slots=True)
class ServerFacts:
    version_num: int
    version: str
    pgvector: str | None
    max_connections: int
    reserved: int
    in_use: int


@dataclass(frozen=True, slots=True)
class RoleFacts:
    name: str
    superuser: bool
    bypass_rls: bool
    app_role_exists: bool
    app_member: bool
    owned_tables: int
    tables: int
    missing_privileges: list[str]
    unforced_tables: list[str]
    protected_tables: int


@dataclass(frozen=True, slots=True)
class WorkerFacts:
    alive: int
    newest_heartbeat_seconds: float | None


async def server_facts(session: AsyncSession) -> ServerFacts:
    row = (await session.execute(_SERVER_SQL)).one()
    return ServerFacts(
        version_num=int(row.version_num),
        version=str(row.version),
        pgvector=row.pgvector,
        max_connections=int(row.max_connections),
        reserved=int(row.reserved),
        in_use=int(row.in_use),
    )


async def role_facts(session: AsyncSession) -> RoleFacts:
    row = (await session.execute(_ROLE_SQL, {"app": APP_ROLE})).one()
    return RoleFacts(
        name=str(row.name),
        superuser=bool(row.superuser),
        bypass_rls=bool(row.bypass_rls),
        app_role_exists=bool(row.app_role_exists),
        app_member=bool(row.app_member),
        owned_tables=int(row.owned),
        tables=int(row.tables),
        missing_privileges=list(row.missing or []),
        unforced_tables=list(row.unforced or []),
        protected_tables=int(row.protected),
    )


async def worker_facts(session: AsyncSession, *, heartbeat_seconds: float) -> WorkerFacts:
    """Workers whose heartbeat is younger than ``heartbeat_seconds`` (procrastinate's table)."""
    row = (await session.execute(_WORKERS_SQL, {"seconds": heartbeat_seconds})).one()
    newest = row.newest_seconds
    return WorkerFacts(
        alive=int(row.alive), newest_heartbeat_seconds=float(newest) if newest is not None else None
    )
