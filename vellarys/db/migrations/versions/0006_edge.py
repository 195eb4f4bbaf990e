"""Rejected inbound messages: what a webhook carried that can never be stored as a message.

Kept with the raw payload (scrubbed of what PostgreSQL cannot hold) so nothing a lead sent is
lost without a trace, while the provider gets 200 and stops retrying it. Row-level security
like every tenant table.

Revision ID: 0006_edge
Revises: 0006_audit_actions
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0006_edge"
down_revision = "0006_audit_actions"
branch_labels = None
depends_on = None

CURRENT_TENANT = "nullif(current_setting('app.tenant_id', true), '')::uuid"


def upgrade() -> None:
    op.create_table(
        "rejected_messages",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("channel_id", UUID(as_uuid=True), nullable=True),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("external_id", sa.String(200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raw_payload", JSONB(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name="pk_rejected_messages"),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name="fk_rejected_messages_tenant_id_tenants",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["channels.id"],
            name="fk_rejected_messages_channel_id_channels",
            ondelete="SET NULL",
        ),
    )
    op.create_index(
        "ix_rejected_messages_tenant_created", "rejected_messages", ["tenant_id", "created_at"]
    )
    op.execute("ALTER TABLE rejected_messages ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE rejected_messages FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_wall ON rejected_messages USING (tenant_id = {CURRENT_TENANT}) "
        f"WITH CHECK (tenant_id = {CURRENT_TENANT})"
    )
    op.execute(
        "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vellarys_app') THEN "
        "GRANT SELECT, INSERT, UPDATE, DELETE ON rejected_messages TO vellarys_app; END IF; END $$"
    )


def downgrade() -> None:
    op.drop_index("ix_rejected_messages_tenant_created", table_name="rejected_messages")
    op.drop_table("rejected_messages")
