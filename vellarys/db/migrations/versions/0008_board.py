"""The sales board: opportunities, broker profiles for routing, the manager role, lead tags
and loss reasons, and the audit actions the lead timeline reads.

The audit vocabulary is spelled out here (not imported) so that this migration keeps
meaning what it meant when it ran.

Revision ID: 0008_board
Revises: 0008_mail
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0008_board"
down_revision = "0008_mail"
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
)
NEW_ACTIONS = (
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
STAGES = ("new", "visit", "proposal", "negotiation", "won", "lost")


def _actions(names: tuple[str, ...]) -> None:
    op.drop_constraint(op.f("ck_audit_log_action"), "audit_log", type_="check")
    allowed = ", ".join(f"'{name}'" for name in names)
    op.create_check_constraint(op.f("ck_audit_log_action"), "audit_log", f"action IN ({allowed})")


def _roles(names: tuple[str, ...]) -> None:
    op.drop_constraint(op.f("ck_users_role"), "users", type_="check")
    allowed = ", ".join(f"'{name}'" for name in names)
    op.create_check_constraint(op.f("ck_users_role"), "users", f"role IN ({allowed})")


def _users() -> None:
    _roles(("admin", "manager", "broker"))
    op.add_column(
        "users", sa.Column("specialities", JSONB, server_default=sa.text("'[]'"), nullable=False)
    )
    op.add_column("users", sa.Column("daily_lead_cap", sa.Integer(), nullable=True))
    op.add_column(
        "users", sa.Column("available", sa.Boolean(), server_default=sa.true(), nullable=False)
    )
    op.add_column("users", sa.Column("vacation_from", sa.Date(), nullable=True))
    op.add_column("users", sa.Column("vacation_until", sa.Date(), nullable=True))
    op.create_check_constraint(
        op.f("ck_users_lead_cap"), "users", "daily_lead_cap IS NULL OR daily_lead_cap >= 0"
    )


def _leads_and_listings() -> None:
    op.add_column("leads", sa.Column("tags", JSONB, server_default=sa.text("'[]'"), nullable=False))
    op.add_column("leads", sa.Column("loss_reason", sa.String(120), nullable=True))
    op.add_column(
        "leads", sa.Column("listing_asks", JSONB, server_default=sa.text("'{}'"), nullable=False)
    )
    op.add_column("properties", sa.Column("broker_id", UUID(as_uuid=True), nullable=True))
    op.create_foreign_key(
        op.f("fk_properties_broker_id_users"),
        "properties",
        "users",
        ["broker_id"],
        ["id"],
        ondelete="SET NULL",
    )


def _opportunities() -> None:
    stages = ", ".join(f"'{s}'" for s in STAGES)
    op.create_table(
        "opportunities",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("lead_id", UUID(as_uuid=True), nullable=False),
        sa.Column("property_id", UUID(as_uuid=True), nullable=False),
        sa.Column("stage", sa.String(16), server_default="new", nullable=False),
        sa.Column("value", sa.Numeric(14, 2), nullable=True),
        sa.Column("commission", sa.Numeric(14, 2), nullable=True),
        sa.Column("expected_close", sa.Date(), nullable=True),
        sa.Column("loss_reason", sa.String(120), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name="pk_opportunities"),
        sa.UniqueConstraint(
            "tenant_id", "lead_id", "property_id", name="uq_opportunities_tenant_id_lead_id"
        ),
        sa.CheckConstraint(f"stage IN ({stages})", name=op.f("ck_opportunities_stage")),
        sa.CheckConstraint(
            "value >= 0 AND commission >= 0", name=op.f("ck_opportunities_amounts_positive")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name="fk_opportunities_tenant_id_tenants",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name="fk_opportunities_lead_id_leads", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["property_id"],
            ["properties.id"],
            name="fk_opportunities_property_id_properties",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_opportunities_lead_id", "opportunities", ["lead_id"])
    op.execute("ALTER TABLE opportunities ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE opportunities FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_wall ON opportunities USING (tenant_id = {CURRENT_TENANT}) "
        f"WITH CHECK (tenant_id = {CURRENT_TENANT})"
    )
    op.execute(
        "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vellarys_app') THEN "
        "GRANT SELECT, INSERT, UPDATE, DELETE ON opportunities TO vellarys_app; END IF; END $$"
    )


def upgrade() -> None:
    _actions(OLD_ACTIONS + NEW_ACTIONS)
    # Several acts in one transaction (an edit and its stage change) keep their order.
    op.alter_column("audit_log", "created_at", server_default=sa.text("clock_timestamp()"))
    _users()
    _leads_and_listings()
    _opportunities()


def downgrade() -> None:
    op.alter_column("audit_log", "created_at", server_default=sa.text("now()"))
    op.drop_table("opportunities")
    op.drop_constraint(op.f("fk_properties_broker_id_users"), "properties", type_="foreignkey")
    op.drop_column("properties", "broker_id")
    op.drop_column("leads", "listing_asks")
    op.drop_column("leads", "loss_reason")
    op.drop_column("leads", "tags")
    op.drop_constraint(op.f("ck_users_lead_cap"), "users", type_="check")
    for column in ("vacation_until", "vacation_from", "available", "daily_lead_cap"):
        op.drop_column("users", column)
    op.drop_column("users", "specialities")
    op.execute("UPDATE users SET role = 'admin' WHERE role = 'manager'")
    _roles(("admin", "broker"))
    op.execute(f"DELETE FROM audit_log WHERE action IN ({', '.join(repr(a) for a in NEW_ACTIONS)})")
    _actions(OLD_ACTIONS)
