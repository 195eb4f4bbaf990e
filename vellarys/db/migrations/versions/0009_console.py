"""The operator's console: operators and their sessions, plans per agency, feature switches,
login history, operator acts in the audit log, and LGPD requests made in the chat.

The audit vocabulary is spelled out here (not imported) so that this migration keeps
meaning what it meant when it ran.

Revision ID: 0009_console
Revises: 0009_llm_trace_outcomes
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0009_console"
down_revision = "0009_llm_trace_outcomes"
branch_labels = None
depends_on = None

CURRENT_TENANT = "nullif(current_setting('app.tenant_id', true), '')::uuid"
OLD_ACTIONS = (
    "lead.viewed",
    "lead.exported",
    "lead.erased",
    "leads.exported",
    "lead.taken_over",
    "lead.given_back",
    "lead.message_sent",
    "lead.stage_changed",
    "lead.assigned",
    "document.uploaded",
    "user.created",
    "lead.created",
    "lead.edited",
    "leads.imported",
    "lead.handed_off",
    "lead.note_added",
    "opportunity.opened",
    "opportunity.changed",
    "user.updated",
    "user.reset_link_issued",
)
NEW_ACTIONS = (
    "lgpd.requested",
    "lgpd.done",
    "plan.saved",
    "tenant.plan_set",
    "tenant.features_set",
    "tenant.suspended",
    "tenant.resumed",
)
_APP_GRANT = (
    "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vellarys_app') THEN "
    "GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO vellarys_app; END IF; END $$"
)


def _id() -> sa.Column[object]:
    return sa.Column("id", UUID(as_uuid=True), nullable=False)


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}", ondelete=ondelete
    )


def _now(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def upgrade() -> None:
    _operators()
    _plans()
    _login_events()
    _lgpd_requests()
    op.add_column("audit_log", sa.Column("operator_id", UUID(as_uuid=True), nullable=True))
    op.create_foreign_key(
        "fk_audit_log_operator_id_operators",
        "audit_log",
        "operators",
        ["operator_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.alter_column("audit_log", "tenant_id", nullable=True)
    op.create_index("ix_audit_log_created_at", "audit_log", ["created_at"])
    _actions((*OLD_ACTIONS, *NEW_ACTIONS))


def _operators() -> None:
    op.create_table(
        "operators",
        _id(),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        _now("created_at"),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_operators"),
    )
    op.create_index("ux_operators_email", "operators", [sa.text("lower(email)")], unique=True)
    op.create_table(
        "operator_sessions",
        _id(),
        sa.Column("operator_id", UUID(as_uuid=True), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ip", sa.String(64), nullable=True),
        sa.Column("user_agent", sa.String(300), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_operator_sessions"),
        sa.UniqueConstraint("token_hash", name="uq_operator_sessions_token_hash"),
        _fk("operator_sessions", "operator_id", "operators", "CASCADE"),
    )
    op.create_index("ix_operator_sessions_operator_id", "operator_sessions", ["operator_id"])


def _plans() -> None:
    op.create_table(
        "plans",
        _id(),
        sa.Column("name", sa.String(80), nullable=False),
        *(
            sa.Column(name, sa.Integer(), nullable=True)
            for name in (
                "max_brokers",
                "max_leads_month",
                "max_messages_month",
                "max_llm_tokens_month",
                "max_storage_mb",
            )
        ),
        _now("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_plans"),
        sa.UniqueConstraint("name", name="uq_plans_name"),
    )
    op.add_column("tenants", sa.Column("plan_id", UUID(as_uuid=True), nullable=True))
    op.create_foreign_key(
        "fk_tenants_plan_id_plans", "tenants", "plans", ["plan_id"], ["id"], ondelete="SET NULL"
    )
    op.add_column(
        "tenants",
        sa.Column("features", JSONB(), server_default=sa.text("'{}'"), nullable=False),
    )
    op.execute(_APP_GRANT.format(table="plans"))


def _login_events() -> None:
    op.create_table(
        "login_events",
        _id(),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("ip", sa.String(64), nullable=True),
        sa.Column("user_agent", sa.String(300), nullable=True),
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=True),
        sa.Column("user_id", UUID(as_uuid=True), nullable=True),
        sa.Column("operator_id", UUID(as_uuid=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_login_events"),
        _fk("login_events", "tenant_id", "tenants", "CASCADE"),
        _fk("login_events", "user_id", "users", "SET NULL"),
        _fk("login_events", "operator_id", "operators", "SET NULL"),
    )
    op.create_index("ix_login_events_at", "login_events", ["at"])


def _lgpd_requests() -> None:
    op.create_table(
        "lgpd_requests",
        _id(),
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("lead_id", UUID(as_uuid=True), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), server_default="open", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by_id", UUID(as_uuid=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_lgpd_requests"),
        sa.CheckConstraint("kind IN ('access', 'erase', 'opt_out')", name="ck_lgpd_requests_kind"),
        sa.CheckConstraint("status IN ('open', 'erasing', 'done')", name="ck_lgpd_requests_status"),
        _fk("lgpd_requests", "tenant_id", "tenants", "CASCADE"),
        _fk("lgpd_requests", "lead_id", "leads", "CASCADE"),
        _fk("lgpd_requests", "done_by_id", "users", "SET NULL"),
    )
    op.create_index("ix_lgpd_requests_tenant_id_status", "lgpd_requests", ["tenant_id", "status"])
    op.execute("ALTER TABLE lgpd_requests ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE lgpd_requests FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_wall ON lgpd_requests USING (tenant_id = {CURRENT_TENANT}) "
        f"WITH CHECK (tenant_id = {CURRENT_TENANT})"
    )
    op.execute(_APP_GRANT.format(table="lgpd_requests"))


def _actions(names: tuple[str, ...]) -> None:
    op.drop_constraint(op.f("ck_audit_log_action"), "audit_log", type_="check")
    allowed = ", ".join(f"'{name}'" for name in names)
    op.create_check_constraint(op.f("ck_audit_log_action"), "audit_log", f"action IN ({allowed})")


def downgrade() -> None:
    op.execute(
        "DELETE FROM audit_log WHERE tenant_id IS NULL OR action IN ("
        + ", ".join(f"'{name}'" for name in NEW_ACTIONS)
        + ")"
    )
    _actions(OLD_ACTIONS)
    op.drop_index("ix_audit_log_created_at", table_name="audit_log")
    op.alter_column("audit_log", "tenant_id", nullable=False)
    op.drop_constraint("fk_audit_log_operator_id_operators", "audit_log", type_="foreignkey")
    op.drop_column("audit_log", "operator_id")
    op.drop_table("lgpd_requests")
    op.drop_table("login_events")
    op.drop_constraint("fk_tenants_plan_id_plans", "tenants", type_="foreignkey")
    op.drop_column("tenants", "features")
    op.drop_column("tenants", "plan_id")
    op.drop_table("plans")
    op.drop_table("operator_sessions")
    op.drop_table("operators")
