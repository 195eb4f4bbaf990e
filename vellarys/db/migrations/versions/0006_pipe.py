"""Uncertain sends and per-minute message counters (rate limits and fair queueing).

Revision ID: 0006_pipe
Revises: 0006_edge
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0006_pipe"
down_revision = "0006_sec"
branch_labels = None
depends_on = None

CURRENT_TENANT = "nullif(current_setting('app.tenant_id', true), '')::uuid"
OLD_STATUSES = "'received', 'pending', 'sent', 'delivered', 'read', 'failed'"
NEW_STATUSES = "'received', 'pending', 'uncertain', 'sent', 'delivered', 'read', 'failed'"


def upgrade() -> None:
    op.drop_constraint(op.f("ck_messages_status"), "messages", type_="check")
    op.create_check_constraint(
        op.f("ck_messages_status"), "messages", f"status IN ({NEW_STATUSES})"
    )
    op.create_table(
        "message_rates",
        sa.Column(
            "tenant_id",
            UUID(as_uuid=True),
            sa.ForeignKey(
                "tenants.id", name="fk_message_rates_tenant_id_tenants", ondelete="CASCADE"
            ),
            nullable=False,
        ),
        sa.Column("scope", sa.String(64), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("tenant_id", "scope", "window_start", name="pk_message_rates"),
    )
    op.create_index("ix_message_rates_window_start", "message_rates", ["window_start"])
    op.execute("ALTER TABLE message_rates ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE message_rates FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_wall ON message_rates USING (tenant_id = {CURRENT_TENANT}) "
        f"WITH CHECK (tenant_id = {CURRENT_TENANT})"
    )


def downgrade() -> None:
    op.drop_table("message_rates")
    op.execute("UPDATE messages SET status = 'pending' WHERE status = 'uncertain'")
    op.drop_constraint(op.f("ck_messages_status"), "messages", type_="check")
    op.create_check_constraint(
        op.f("ck_messages_status"), "messages", f"status IN ({OLD_STATUSES})"
    )
