"""Lead sources and the integrations: where each lead came from, the portals' lead intake,
idempotency keys of leads sent in, and outgoing webhooks with their delivery log.

``leads.source`` defaults to ``whatsapp`` (a lead who wrote on their own), so the rows kept
so far read right. Every new table is a tenant table with row-level security.

Revision ID: 0008_leads
Revises: 0008_board
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0008_leads"
down_revision = "0008_board"
branch_labels = None
depends_on = None

CURRENT_TENANT = "nullif(current_setting('app.tenant_id', true), '')::uuid"
TABLES = ("portal_intakes", "lead_intakes", "webhook_endpoints", "webhook_deliveries")


def _id_and_tenant(table: str) -> list[Any]:
    return [
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
        sa.Column(
            "tenant_id",
            UUID(as_uuid=True),
            sa.ForeignKey("tenants.id", ondelete="CASCADE", name=f"fk_{table}_tenant_id_tenants"),
            nullable=False,
        ),
    ]


def _timestamps() -> list[Any]:
    now = sa.func.now()
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
    ]


def upgrade() -> None:
    op.add_column(
        "leads", sa.Column("source", sa.String(40), server_default="whatsapp", nullable=False)
    )
    op.add_column("leads", sa.Column("campaign", sa.String(200), nullable=True))
    op.add_column(
        "leads",
        sa.Column("source_details", JSONB(), server_default=sa.text("'{}'"), nullable=False),
    )
    _intake_tables()
    _webhook_tables()
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_wall ON {table} USING (tenant_id = {CURRENT_TENANT}) "
            f"WITH CHECK (tenant_id = {CURRENT_TENANT})"
        )
        op.execute(
            "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vellarys_app') "
            f"THEN GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO vellarys_app; END IF; END $$"
        )
    with op.get_context().autocommit_block():
        op.execute("DROP INDEX CONCURRENTLY IF EXISTS ix_leads_tenant_source")
        op.execute(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_leads_tenant_source "
            "ON leads (tenant_id, source)"
        )


def _intake_tables() -> None:
    op.create_table(
        "portal_intakes",
        *_id_and_tenant("portal_intakes"),
        sa.Column("url_key", sa.String(64), nullable=False),
        sa.Column("secret_hash", sa.String(128), nullable=False),
        sa.Column("last_lead_at", sa.DateTime(timezone=True), nullable=True),
        *_timestamps(),
        sa.UniqueConstraint("tenant_id", name="uq_portal_intakes_tenant_id"),
        sa.UniqueConstraint("url_key", name="uq_portal_intakes_url_key"),
    )
    op.create_table(
        "lead_intakes",
        *_id_and_tenant("lead_intakes"),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column(
            "lead_id",
            UUID(as_uuid=True),
            sa.ForeignKey("leads.id", ondelete="SET NULL", name="fk_lead_intakes_lead_id_leads"),
            nullable=True,
        ),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("created", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    )
    op.create_index("ux_lead_intakes_key", "lead_intakes", ["tenant_id", "key"], unique=True)


def _webhook_tables() -> None:
    op.create_table(
        "webhook_endpoints",
        *_id_and_tenant("webhook_endpoints"),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("events", JSONB(), server_default=sa.text("'[]'"), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        *_timestamps(),
    )
    op.create_index("ix_webhook_endpoints_tenant_id", "webhook_endpoints", ["tenant_id"])
    op.create_table(
        "webhook_deliveries",
        *_id_and_tenant("webhook_deliveries"),
        sa.Column(
            "endpoint_id",
            UUID(as_uuid=True),
            sa.ForeignKey(
                "webhook_endpoints.id",
                ondelete="CASCADE",
                name="fk_webhook_deliveries_endpoint_id_webhook_endpoints",
            ),
            nullable=False,
        ),
        sa.Column("event", sa.String(40), nullable=False),
        sa.Column("payload", JSONB(), nullable=False),
        sa.Column("status", sa.String(16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        *_timestamps(),
        sa.CheckConstraint(
            "status IN ('pending', 'delivered', 'failed')", name="ck_webhook_deliveries_status"
        ),
    )
    op.create_index("ix_webhook_deliveries_endpoint_id", "webhook_deliveries", ["endpoint_id"])
    op.create_index(
        "ix_webhook_deliveries_tenant_created", "webhook_deliveries", ["tenant_id", "created_at"]
    )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute("DROP INDEX CONCURRENTLY IF EXISTS ix_leads_tenant_source")
    for table in reversed(TABLES):
        op.drop_table(table)
    op.drop_column("leads", "source_details")
    op.drop_column("leads", "campaign")
    op.drop_column("leads", "source")
