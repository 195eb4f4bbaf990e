"""Media: the files leads send (voice notes, pictures, documents, videos) as bytea.

The bytes expire after the retention setting; the transcript or OCR text stays. One row per
inbound message. Row-level security like every tenant table.

Revision ID: 0007_media
Revises: 0006_pipe
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0007_media"
down_revision = "0007_feed"
branch_labels = None
depends_on = None

CURRENT_TENANT = "nullif(current_setting('app.tenant_id', true), '')::uuid"


def upgrade() -> None:
    op.create_table(
        "media",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("message_id", UUID(as_uuid=True), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("content_type", sa.String(120), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("text_kind", sa.String(16), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("read_seconds", sa.Float(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pruned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name="pk_media"),
        sa.UniqueConstraint("message_id", name="uq_media_message_id"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name="fk_media_tenant_id_tenants", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name="fk_media_message_id_messages",
            ondelete="CASCADE",
        ),
    )
    # The retention job finds expired bytes without reading every row.
    op.create_index(
        "ix_media_expires_with_data",
        "media",
        ["expires_at"],
        postgresql_where=sa.text("data IS NOT NULL"),
    )
    op.execute("ALTER TABLE media ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE media FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_wall ON media USING (tenant_id = {CURRENT_TENANT}) "
        f"WITH CHECK (tenant_id = {CURRENT_TENANT})"
    )
    op.execute(
        "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vellarys_app') THEN "
        "GRANT SELECT, INSERT, UPDATE, DELETE ON media TO vellarys_app; END IF; END $$"
    )


def downgrade() -> None:
    op.drop_table("media")
