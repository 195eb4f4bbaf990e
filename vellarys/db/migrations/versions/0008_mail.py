"""Outgoing e-mails (the managers' morning briefing), one row per person and day.

Revision ID: 0008_mail
Revises: 0007_media
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0008_mail"
down_revision = "0007_media"
branch_labels = None
depends_on = None

CURRENT_TENANT = "nullif(current_setting('app.tenant_id', true), '')::uuid"


def upgrade() -> None:
    op.create_table(
        "outgoing_emails",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name="pk_outgoing_emails"),
        sa.UniqueConstraint(
            "tenant_id", "kind", "day", "recipient", name="uq_outgoing_emails_once"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name="fk_outgoing_emails_tenant_id_tenants",
            ondelete="CASCADE",
        ),
    )
    op.execute("ALTER TABLE outgoing_emails ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE outgoing_emails FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_wall ON outgoing_emails USING (tenant_id = {CURRENT_TENANT}) "
        f"WITH CHECK (tenant_id = {CURRENT_TENANT})"
    )
    op.execute(
        "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vellarys_app') THEN "
        "GRANT SELECT, INSERT, UPDATE, DELETE ON outgoing_emails TO vellarys_app; END IF; END $$"
    )


def downgrade() -> None:
    op.drop_table("outgoing_emails")
