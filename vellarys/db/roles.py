"""Least privilege: the one-time superuser setup, and the check that stops a migration before it
changes anything when the connecting role lacks a privilege.

Three roles:
- the **owner** (migrations): owns the schema's tables, no superuser, no CREATEROLE;
- the **runtime** role (``vellarys api`` / ``worker``): reads and writes rows, no DDL;
  ``BYPASSRLS`` for jobs and webhooks, and a member of ``vellarys_app``;
- ``vellarys_app`` (NOLOGIN): what a dashboard or API request runs as (``SET LOCAL ROLE``),
  subject to row-level security.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

APP_ROLE = "vellarys_app"


@dataclass(frozen=True, slots=True)
class Bootstrap:
    database: str
    owner: str
    runtime: str
    owner_password: str
    runtime_password: str
    schema: str = "public"


def _role(name: str, attributes: str, password: str, exists: bool) -> sql.Composed:
    verb = "ALTER" if exists else "CREATE"
    return sql.SQL(verb + " ROLE {} " + attributes + " PASSWORD {}").format(
        sql.Identifier(name), sql.Literal(password)
    )


def bootstrap_statements(plan: Bootstrap, existing: frozenset[str] = frozenset()) -> list[Any]:
    """The superuser's SQL, run once in the target database (``existing``: roles already there)."""
    owner, runtime = sql.Identifier(plan.owner), sql.Identifier(plan.runtime)
    app, schema = sql.Identifier(APP_ROLE), sql.Identifier(plan.schema)
    database = sql.Identifier(plan.database)
    default = sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} ").format(owner, schema)
    statements: list[Any] = [
        _role(
            plan.owner,
            "LOGIN NOSUPERUSER NOCREATEROLE",
            plan.owner_password,
            plan.owner in existing,
        ),
        _role(
            plan.runtime,
            "LOGIN NOSUPERUSER NOCREATEROLE BYPASSRLS",
            plan.runtime_password,
            plan.runtime in existing,
        ),
    ]
    if APP_ROLE not in existing:
        statements.append(sql.SQL("CREATE ROLE {} NOLOGIN").format(app))
    statements += [
        sql.SQL("GRANT {} TO {}").format(app, runtime),
        sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}, {}").format(
            database, owner, runtime
        ),
        sql.SQL("GRANT USAGE, CREATE ON SCHEMA {} TO {}").format(schema, owner),
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, runtime),
        sql.SQL("CREATE EXTENSION IF NOT EXISTS vector SCHEMA {}").format(schema),
        default + sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {}").format(runtime),
        default + sql.SQL("GRANT USAGE, SELECT ON SEQUENCES TO {}").format(runtime),
        default + sql.SQL("GRANT EXECUTE ON FUNCTIONS TO {}").format(runtime),
        # Tables migrated before the runtime role existed.
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {} TO {}").format(
            schema, runtime
        ),
        sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}").format(schema, runtime),
    ]
    return statements


def bootstrap_script(plan: Bootstrap) -> str:
    """The SQL for a fresh server, for an operator who prefers to run it with psql."""
    lines = [f"-- As a superuser, connected to the database {plan.database!r}:"]
    lines += [statement.as_string(None) + ";" for statement in bootstrap_statements(plan)]
    return "\n".join(lines) + "\n"


def run_bootstrap(superuser_url: str, plan: Bootstrap) -> None:
    """Create the database if needed, then the roles, the extension and the grants."""
    maintenance = psycopg.conninfo.make_conninfo(superuser_url, dbname="postgres")
    with psycopg.connect(maintenance, autocommit=True) as conn:
        found = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (plan.database,)
        ).fetchone()
        if found is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(plan.database)))
    target = psycopg.conninfo.make_conninfo(superuser_url, dbname=plan.database)
    with psycopg.connect(target) as conn:
        rows = conn.execute(
            "SELECT rolname FROM pg_roles WHERE rolname = ANY(%s)",
            ([plan.owner, plan.runtime, APP_ROLE],),
        ).fetchall()
        for statement in bootstrap_statements(plan, frozenset(r[0] for r in rows)):
            conn.execute(statement)


_PREFLIGHT_SQL = """
SELECT current_user AS role,
       r.rolsuper AS superuser,
       r.rolcreaterole AS createrole,
       current_schema() AS schema,
       current_schema() IS NOT NULL
         AND has_schema_privilege(current_schema(), 'CREATE') AS schema_create,
       EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector') AS vector_installed,
       (SELECT max(v.trusted::int) = 1 FROM pg_available_extension_versions v
         WHERE v.name = 'vector') AS vector_trusted,
       EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') AS vector_available,
       has_database_privilege(current_database(), 'CREATE') AS database_create,
       EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %(app)s) AS app_role_exists,
       (SELECT array_agg(DISTINCT t.tableowner::text) FROM pg_tables t
         WHERE t.schemaname = current_schema() AND t.tableowner <> current_user) AS other_owners
  FROM pg_roles r WHERE r.rolname = current_user
"""


def missing_privileges(url: str) -> list[str]:
    """What the connecting role lacks to run the migrations (empty: go ahead)."""
    with psycopg.connect(url) as conn:
        cursor = conn.execute(_PREFLIGHT_SQL, {"app": APP_ROLE})
        names = [column.name for column in cursor.description or []]
        row = dict(zip(names, cursor.fetchone() or (), strict=True))
    return _problems(row)


def _problems(row: dict[str, Any]) -> list[str]:
    role, superuser = row["role"], bool(row["superuser"])
    if superuser:
        return []
    problems = []
    if not row["vector_available"]:
        problems.append(
            "the pgvector extension is not installed on the server (see docs/operations.md)"
        )
    elif not row["vector_installed"] and not (row["vector_trusted"] and row["database_create"]):
        problems.append(
            "the vector extension is not created in this database (CREATE EXTENSION vector)"
        )
    if not row["schema_create"]:
        problems.append(f"{role} cannot create tables in schema {row['schema'] or '(none)'}")
    if not row["app_role_exists"] and not row["createrole"]:
        problems.append(f"the role {APP_ROLE} does not exist and {role} cannot create roles")
    if row["other_owners"]:
        owners = ", ".join(row["other_owners"])
        problems.append(f"tables in the schema are owned by {owners}: migrate as that role")
    return problems
