"""Listing feeds: one portal feed (VRSync) per agency, and where each listing came from.

``listing_feeds.next_run_at`` is the lease of the periodic sync: a worker claims a due feed
by moving it forward in its own transaction before downloading. ``properties.origin`` tells
feed listings (unpublished when the feed drops them) from those staff typed or imported.

Revision ID: 0007_feed
Revises: 0006_pipe
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0007_feed"
down_revision = "0006_pipe"
branch_labels = None
depends_on = None

CURRENT_TENANT = "nullif(current_setting('app.tenant_id', true), '')::uuid"


def upgrade() -> None:
    op.create_table(
        "listing_feeds",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column(
            "tenant_id",
            UUID(as_uuid=True),
            sa.ForeignKey(
                "tenants.id", ondelete="CASCADE", name="fk_listing_feeds_tenant_id_tenants"
            ),
            nullable=False,
        ),
        sa.Column("url", sa.String(2000), nullable=True),
        sa.Column("interval_minutes", sa.Integer(), server_default=sa.text("360"), nullable=False),
        sa.Column(
            "next_run_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_report", JSONB(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name="pk_listing_feeds"),
        sa.UniqueConstraint("tenant_id", name="uq_listing_feeds_tenant_id"),
        sa.CheckConstraint(
            "interval_minutes BETWEEN 15 AND 10080", name="ck_listing_feeds_interval_minutes"
        ),
    )
    op.add_column(
        "properties",
        sa.Column("origin", sa.String(8), server_default="manual", nullable=False),
    )
    op.execute(
        "ALTER TABLE properties ADD CONSTRAINT ck_properties_origin "
        "CHECK (origin IN ('manual', 'feed'))"
    )
    op.execute("ALTER TABLE listing_feeds ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE listing_feeds FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_wall ON listing_feeds USING (tenant_id = {CURRENT_TENANT}) "
        f"WITH CHECK (tenant_id = {CURRENT_TENANT})"
    )
    op.execute(
        "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vellarys_app') "
        "THEN GRANT SELECT, INSERT, UPDATE, DELETE ON listing_feeds TO vellarys_app; END IF; END $$"
    )


def downgrade() -> None:
    op.drop_column("properties", "origin")
    op.drop_table("listing_feeds")
