"""Visits: brokers' weekly availability and blocked times, visits to listings, their reminders.

Two leads racing for one broker's slot are settled by a partial unique index: one visit
holds (broker, start) while it is scheduled or confirmed. Row-level security like every
tenant table.

Revision ID: 0008_visits
Revises: 0008_inbox
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0008_visits"
down_revision = "0008_inbox"
branch_labels = None
depends_on = None

CURRENT_TENANT = "nullif(current_setting('app.tenant_id', true), '')::uuid"
TABLES = ("broker_schedules", "broker_blocks", "visits", "visit_reminders")


def _id_and_tenant(table: str) -> list[sa.Column[object]]:
    return [
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column(
            "tenant_id",
            UUID(as_uuid=True),
            sa.ForeignKey("tenants.id", name=f"fk_{table}_tenant_id_tenants", ondelete="CASCADE"),
            nullable=False,
        ),
    ]


def _stamps() -> list[sa.Column[object]]:
    now = sa.func.now()
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
    ]


def _user(table: str, *, ondelete: str, nullable: bool) -> sa.Column[object]:
    fk = sa.ForeignKey("users.id", name=f"fk_{table}_user_id_users", ondelete=ondelete)
    return sa.Column("user_id", UUID(as_uuid=True), fk, nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "broker_schedules",
        *_id_and_tenant("broker_schedules"),
        _user("broker_schedules", ondelete="CASCADE", nullable=False),
        sa.Column("week", JSONB(), server_default=sa.text("'{}'"), nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint("id", name="pk_broker_schedules"),
        sa.UniqueConstraint("user_id", name="uq_broker_schedules_user_id"),
    )
    op.create_table(
        "broker_blocks",
        *_id_and_tenant("broker_blocks"),
        _user("broker_blocks", ondelete="CASCADE", nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(200), server_default="", nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint("id", name="pk_broker_blocks"),
        sa.CheckConstraint("kind IN ('vacation', 'appointment')", name="ck_broker_blocks_kind"),
        sa.CheckConstraint("ends_at > starts_at", name="ck_broker_blocks_span"),
    )
    op.create_index("ix_broker_blocks_user_id_ends_at", "broker_blocks", ["user_id", "ends_at"])
    _visits()
    op.create_table(
        "visit_reminders",
        *_id_and_tenant("visit_reminders"),
        sa.Column(
            "visit_id",
            UUID(as_uuid=True),
            sa.ForeignKey(
                "visits.id", name="fk_visit_reminders_visit_id_visits", ondelete="CASCADE"
            ),
            nullable=False,
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name="pk_visit_reminders"),
        sa.UniqueConstraint("visit_id", "kind", "starts_at", name="uq_visit_reminders_key"),
        sa.CheckConstraint(
            "kind IN ('lead_day', 'lead_2h', 'broker_day', 'broker_2h', 'no_show', 'booked',"
            " 'moved', 'cancelled')",
            name="ck_visit_reminders_kind",
        ),
    )
    for table in TABLES:
        _wall(table)


def _visits() -> None:
    op.create_table(
        "visits",
        *_id_and_tenant("visits"),
        sa.Column(
            "lead_id",
            UUID(as_uuid=True),
            sa.ForeignKey("leads.id", name="fk_visits_lead_id_leads", ondelete="CASCADE"),
            nullable=False,
        ),
        _user("visits", ondelete="SET NULL", nullable=True),
        sa.Column(
            "property_id",
            UUID(as_uuid=True),
            sa.ForeignKey(
                "properties.id", name="fk_visits_property_id_properties", ondelete="SET NULL"
            ),
            nullable=True,
        ),
        sa.Column("property_code", sa.String(32), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), server_default="proposed", nullable=False),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("outcome_note", sa.Text(), nullable=True),
        sa.Column("offered", JSONB(), server_default=sa.text("'[]'"), nullable=False),
        sa.Column("awaiting", sa.String(16), nullable=True),
        sa.Column("booked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "handoff_id",
            UUID(as_uuid=True),
            sa.ForeignKey("handoffs.id", name="fk_visits_handoff_id_handoffs", ondelete="SET NULL"),
            nullable=True,
        ),
        *_stamps(),
        sa.PrimaryKeyConstraint("id", name="pk_visits"),
        sa.CheckConstraint(
            "status IN ('proposed', 'scheduled', 'confirmed', 'done', 'no_show', 'cancelled')",
            name="ck_visits_status",
        ),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('done', 'no_show', 'liked', 'proposal')",
            name="ck_visits_outcome",
        ),
        sa.CheckConstraint("ends_at > starts_at", name="ck_visits_span"),
    )
    op.create_index(
        "ux_visits_broker_slot",
        "visits",
        ["user_id", "starts_at"],
        unique=True,
        postgresql_where=sa.text("status IN ('scheduled', 'confirmed')"),
    )
    op.create_index("ix_visits_tenant_id_starts_at", "visits", ["tenant_id", "starts_at"])
    op.create_index("ix_visits_lead_id", "visits", ["lead_id"])


def _wall(table: str) -> None:
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_wall ON {table} USING (tenant_id = {CURRENT_TENANT}) "
        f"WITH CHECK (tenant_id = {CURRENT_TENANT})"
    )
    op.execute(
        "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vellarys_app') THEN "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO vellarys_app; END IF; END $$"
    )


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
