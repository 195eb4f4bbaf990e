"""Row-level security: the second tenant wall.

The unit of work of a dashboard or API request switches to the non-owner role
``vellarys_app`` (``SET LOCAL ROLE``) and names its tenant in ``app.tenant_id``; every
tenant table has a FORCEd policy that shows that role only the named tenant's rows (and
nothing when none is named). Jobs and webhooks, whose input is trusted (a job id, a signed
payload), run as the connecting role, which must bypass row security (superuser or
BYPASSRLS); the code's own tenant filters remain the first wall there.

The policy compares ``tenant_id`` with a per-statement constant, so tenant indexes still
serve it (a function call per row would hide them from the planner).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ROLE = "vellarys_app"
_ALREADY_DONE = "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;"
CURRENT_TENANT = "nullif(current_setting('app.tenant_id', true), '')::uuid"
TENANT_TABLES = (
    "users",
    "api_keys",
    "audit_log",
    "channels",
    "leads",
    "handoffs",
    "lead_notes",
    "messages",
    "properties",
    "property_embeddings",
    "knowledge_documents",
    "knowledge_chunks",
    "knowledge_embeddings",
    "llm_usage",
)


def upgrade() -> None:
    # With separate migration and runtime roles, `vellarys db bootstrap` (a superuser) created
    # the role and made the runtime role a member: nothing to do here, and no CREATEROLE needed.
    # A single role that may create roles (the embedded server, tests) does both itself.
    # Roles belong to the whole server: two databases of one server migrated at once (two
    # deployments, parallel test workers) may both find the role missing; the second one's
    # CREATE or GRANT then fails on the first one's row, which is the state wanted.
    op.execute(
        f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{ROLE}') "
        f"THEN CREATE ROLE {ROLE} NOLOGIN; END IF; {_ALREADY_DONE} END $$"
    )
    op.execute(
        "DO $$ BEGIN "
        f"IF NOT pg_has_role(current_user, '{ROLE}', 'MEMBER') "
        "AND (SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user) THEN "
        f"EXECUTE format('GRANT {ROLE} TO %I', current_user); END IF; {_ALREADY_DONE} END $$"
    )
    op.execute(
        "DO $$ DECLARE s text := current_schema(); BEGIN "
        f"EXECUTE format('GRANT USAGE ON SCHEMA %I TO {ROLE}', s); "
        f"EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO {ROLE}', s); "
        f"EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO {ROLE}', s); "
        f"EXECUTE format('GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA %I TO {ROLE}', s); "
        f"EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, "
        f"DELETE ON TABLES TO {ROLE}', s); "
        f"EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT ON "
        f"SEQUENCES TO {ROLE}', s); "
        "END $$"
    )
    _protect("tenants", "id")
    for table in TENANT_TABLES:
        _protect(table, "tenant_id")


def _protect(table: str, column: str) -> None:
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_wall ON {table} USING ({column} = {CURRENT_TENANT}) "
        f"WITH CHECK ({column} = {CURRENT_TENANT})"
    )


def downgrade() -> None:
    for table in ("tenants", *TENANT_TABLES):
        op.execute(f"DROP POLICY IF EXISTS tenant_wall ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.execute(
        "DO $$ DECLARE s text := current_schema(); BEGIN "
        f"EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I REVOKE ALL ON TABLES FROM {ROLE}', s); "
        f"EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I REVOKE ALL ON SEQUENCES FROM {ROLE}', s); "
        f"EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM {ROLE}', s); "
        f"EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM {ROLE}', s); "
        f"EXECUTE format('REVOKE ALL ON ALL FUNCTIONS IN SCHEMA %I FROM {ROLE}', s); "
        f"EXECUTE format('REVOKE USAGE ON SCHEMA %I FROM {ROLE}', s); "
        "END $$"
    )
